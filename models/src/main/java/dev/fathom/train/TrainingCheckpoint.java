package dev.fathom.train;

import dev.fathom.io.Checkpoint;
import dev.fathom.nn.Module;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.Generator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Everything a stopped run needs to continue bit-identically, in one safetensors file: the model,
 * the optimizer (moments, step counts, learning rate), the global generator's position (dropout
 * masks, random augmentations) and the last completed epoch. The shuffle order is a pure function
 * of the data seed and the epoch, so the epoch is enough to restore it. Descriptive scalars (the
 * model's name and sizes, the command line) ride along for {@code fathom eval}.
 */
public final class TrainingCheckpoint {
    public static final String EPOCH = "epoch";

    private TrainingCheckpoint() {
    }

    private static Checkpoint of(Module model, Optimizer optimizer) {
        Checkpoint c = new Checkpoint().section("model", model);
        if (optimizer != null) {
            c.section("optimizer", new OptimizerSection(optimizer));
        }
        return c.section("rng", Generator.global());
    }

    /** Atomically writes the state after {@code epoch} (1-based) to {@code file}, with {@code info} as scalars. */
    public static void save(Path file, Module model, Optimizer optimizer, int epoch, Map<String, String> info) throws IOException {
        Checkpoint c = of(model, optimizer).put(EPOCH, epoch);
        info.forEach(c::put);
        c.save(file);
    }

    /** Restores model, optimizer and generator from {@code file}; returns the last completed epoch. */
    public static int resume(Path file, Module model, Optimizer optimizer) throws IOException {
        Checkpoint c = of(model, optimizer);
        c.load(file);
        return Math.toIntExact(c.getLong(EPOCH));
    }

    /** Restores only the model (for evaluation); returns the scalars. */
    public static Map<String, String> loadModel(Path file, Module model) throws IOException {
        Checkpoint c = new Checkpoint().section("model", model);
        c.load(file, false);
        return c.scalars();
    }
}
