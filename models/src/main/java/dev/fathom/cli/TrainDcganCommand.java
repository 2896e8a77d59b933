package dev.fathom.cli;

import dev.fathom.Fathom;
import dev.fathom.data.FashionMnist;
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
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
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
        Device d = Device.parse(where.device);
        Fathom.setDefaultDevice(d);
        Path runDir = out != null ? out
                : Path.of("runs", Dcgan.ID + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        try (RunDirectory run = RunDirectory.open(runDir, false, false)) {
            FashionMnist.Splits splits = FashionMnist.load(FashionMnist.locate(where.data));
            w.printf(Locale.ROOT, "fathom train dcgan on %s: %d training images, batch %d, %d steps, Adam %s β (%s, %s), seed %d, run %s%n", d,
                    splits.train().size(), batch, steps, Dcgan.LR, Dcgan.BETA1, Dcgan.BETA2, seed, runDir);
            GanTraining.Result r = GanTraining.run(splits.train().reshape(FashionMnist.IMAGE_SHAPE),
                    new GanTraining.Config(steps, batch, sampleEvery, seed, runDir), w);
            w.printf(Locale.ROOT, "%.3f steps/s (1/median step time%s), final d_loss %.4f g_loss %.4f%n", r.stepsPerSecond(),
                    steps > GanTraining.WARMUP_STEPS ? " over steps " + (GanTraining.WARMUP_STEPS + 1) + ".." + steps : "", r.dLoss(), r.gLoss());
            w.println(run.keep());
            return 0;
        }
    }
}
