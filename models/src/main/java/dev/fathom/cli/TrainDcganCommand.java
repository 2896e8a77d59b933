package dev.fathom.cli;

import dev.fathom.Fathom;
import dev.fathom.data.Dataset;
import dev.fathom.data.FashionMnist;
import dev.fathom.io.Checkpoint;
import dev.fathom.models.Dcgan;
import dev.fathom.tensor.Device;
import dev.fathom.train.GanTraining;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code fathom train dcgan}: the reference DCGAN on the Fashion-MNIST training images
 * ({@link GanTraining}); writes {@code metrics.jsonl}, {@code learning_curves.png}, sample grids
 * and {@code checkpoint.safetensors} into the run directory.
 */
@Command(name = "dcgan", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train the reference DCGAN on Fashion-MNIST; sample grids, losses and a checkpoint in the run directory.")
final class TrainDcganCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--resume", paramLabel = "CKPT",
            description = "Continue the run whose checkpoint.safetensors this is, to --steps, as if it had not stopped (in its directory unless "
                    + "--out); the seed, batch, nets and optimizer state are the checkpoint's.")
    Path resume;

    @Option(names = "--steps", paramLabel = "N", description = "Training steps, one batch each (default: ${DEFAULT-VALUE}, the reference's).")
    int steps = 200;

    @Option(names = "--sample-every", paramLabel = "N",
            description = "Write an 8×8 grid and a checkpoint every N steps, and at the end (default: ${DEFAULT-VALUE}; 0: at the end only).")
    int sampleEvery = 100;

    @Option(names = {"--batch", "--batch-size"}, paramLabel = "N", description = "Real images and noise vectors per step (default: ${DEFAULT-VALUE}).")
    int batch = Dcgan.BATCH;

    @Mixin
    DataAndDevice where;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the weights, the data order and the noise (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/dcgan-TIME).")
    Path out;

    @Override
    public Integer call() throws IOException {
        PrintWriter w = spec.commandLine().getOut();
        if (steps < 1 || batch < 2 || sampleEvery < 0) {
            throw new IllegalArgumentException("need --steps >= 1, --batch >= 2 (batch norm's statistics need two images) and --sample-every >= 0; got "
                    + steps + ", " + batch + ", " + sampleEvery);
        }
        if (resume != null) {
            // The run's own seed and batch, unless given (a different one is refused by GanTraining.resume).
            Map<String, String> saved = Checkpoint.peek(resume);
            if (!Dcgan.ID.equals(saved.get("model"))) {
                throw new IllegalArgumentException(resume + " holds a \"" + saved.get("model") + "\" model; --resume continues a DCGAN run "
                        + "(its checkpoint.safetensors)");
            }
            var parsed = spec.commandLine().getParseResult();
            seed = parsed.hasMatchedOption("--seed") ? seed : Checkpoint.longScalar(resume, saved, "seed", null, Long.MIN_VALUE, Long.MAX_VALUE);
            batch = parsed.hasMatchedOption("--batch") ? batch : (int) Checkpoint.longScalar(resume, saved, "batch", null, 2, Integer.MAX_VALUE);
        }
        Device d = Device.parse(where.device);
        Fathom.setDefaultDevice(d);
        Path runDir = RunDirectory.choose(out, resume, Dcgan.ID);
        try (RunDirectory run = RunDirectory.open(runDir, resume != null, true)) {
            FashionMnist.Splits splits = FashionMnist.load(FashionMnist.locate(where.data));
            w.printf(Locale.ROOT, "fathom train dcgan on %s: %d training images, batch %d, %d steps, Adam %s β (%s, %s), seed %d, run %s%n", d,
                    splits.train().size(), batch, steps, Dcgan.LR, Dcgan.BETA1, Dcgan.BETA2, seed, runDir);
            GanTraining.Config config = new GanTraining.Config(steps, batch, sampleEvery, seed, runDir);
            Dataset images = splits.train().reshape(FashionMnist.IMAGE_SHAPE);
            GanTraining.Result r = resume != null ? GanTraining.resume(images, config, resume, w) : GanTraining.run(images, config, w);
            w.printf(Locale.ROOT, "%.3f steps/s (1/median step time over steps %d..%d), final d_loss %.4f g_loss %.4f%n", r.stepsPerSecond(),
                    r.firstTimedStep(), steps, r.dLoss(), r.gLoss());
            w.println(run.keep());
            return 0;
        }
    }
}
