package dev.fathom.train;

import dev.fathom.io.Checkpoint;
import dev.fathom.models.Dcgan;
import dev.fathom.nn.Module;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A GAN run's checkpoint: sections {@code generator} and {@code discriminator} (state dicts with
 * PyTorch's keys), {@code optimizer_g} and {@code optimizer_d} (Adam moments and step counts),
 * {@code noise} (the position of the training noise generator) and {@code rng} (the global
 * generator), plus top-level scalars: {@code model}, {@code step} and whatever the run adds
 * ({@code seed}, {@code grid_seed}, {@code z_dim}, {@code batch}, …). Everything a resumed run
 * needs ({@link #resume}); one atomic safetensors file.
 */
public final class GanCheckpoint {
    public static final String STEP = "step";

    private GanCheckpoint() {
    }

    /** Atomically writes the state after {@code step} to {@code file}. */
    public static void save(Path file, Module generator, Module discriminator, Optimizer optG, Optimizer optD, Generator noise, long step,
                            Map<String, String> info) throws IOException {
        // The optimizers' state dicts are copies made in the current scope: this one frees them.
        try (Scope s = Scope.open()) {
            Checkpoint c = new Checkpoint().section("generator", generator).section("discriminator", discriminator)
                    .section("optimizer_g", new OptimizerSection(optG)).section("optimizer_d", new OptimizerSection(optD))
                    .section("noise", noise).section("rng", Generator.global());
            info.forEach(c::put);
            c.put(STEP, step).save(file);
        }
    }

    /**
     * The training state of {@code file} (a {@link GanTraining} run's checkpoint) restored into the
     * nets, their optimizers, the training-noise generator and the global generator; throws naming
     * the file when it cannot be continued.
     */
    public static RunPosition resume(Path file, Module generator, Module discriminator, Optimizer optG, Optimizer optD, Generator noise)
            throws IOException {
        Map<String, String> meta = Checkpoint.peek(file);
        if (!Dcgan.ID.equals(meta.get("model"))) {
            throw new IllegalArgumentException(file + " holds a \"" + meta.get("model") + "\" model, not a " + Dcgan.ID + " run's checkpoint");
        }
        if (meta.get("batch") == null || meta.get("seed") == null) {
            throw new IllegalArgumentException(file + " has no seed or batch in its metadata; only the checkpoints of fathom train dcgan "
                    + "(GanTraining) can be resumed");
        }
        Checkpoint c = new Checkpoint().section("generator", generator).section("discriminator", discriminator)
                .section("optimizer_g", new OptimizerSection(optG)).section("optimizer_d", new OptimizerSection(optD))
                .section("noise", noise).section("rng", Generator.global());
        c.load(file);
        return RunPosition.read(file, c.scalars());
    }

    /** Restores only the generator (to draw samples); returns the top-level scalars. */
    public static Map<String, String> loadGenerator(Path file, Module generator) throws IOException {
        Checkpoint c = new Checkpoint().section("generator", generator);
        c.load(file, false);
        return c.scalars();
    }
}
