package dev.fathom.train;

import dev.fathom.Fathom;
import dev.fathom.data.Batch;
import dev.fathom.data.DataLoader;
import dev.fathom.data.Dataset;
import dev.fathom.io.IoErrors;
import dev.fathom.models.Dcgan;
import dev.fathom.models.DcganGenerator;
import dev.fathom.optim.Adam;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Trains the reference {@link Dcgan} on images in [0, 1] as {@code dcgan_fmnist.py} does: pixels
 * scaled to [−1, 1], Adam(2e-4, β 0.5/0.999) for each net, one {@link GanStep} per batch.
 *
 * <p>Data order: step {@code s} (1-based) takes the consecutive slice {@code s-1} of the
 * permutations of one {@code SplitMix64(seed)} stream, through a {@link DataLoader} with shuffle and
 * drop-last: the first {@code ⌊n/batch⌋} steps are exactly the reference's batches, later steps
 * continue with the stream's next permutation (the reference stops within one). Weights come from
 * the global generator seeded with {@code seed}; the training noise is {@code N(0, 1)} from a
 * {@link Generator} seeded with {@code seed} (one draw of {@code [batch, 64]} per step).
 *
 * <p>Run directory: {@code metrics.jsonl} (one row per step: {@code step, d_loss, g_loss,
 * steps_per_s}), {@code learning_curves.png}, {@code samples/step-NNNNNN.png} every
 * {@code sampleEvery} steps and {@code samples.png} at the end (8×8 grids of the generator in eval
 * mode on one fixed noise batch from {@code Generator(gridSeed(seed))}, so grids are comparable over
 * time and {@code fathom sample} redraws the last one), and {@code checkpoint.safetensors}
 * ({@link GanCheckpoint}) at the same times.
 */
public final class GanTraining {
    /** Steps before the steps/s median, as in the reference (steps 21..N). */
    public static final int WARMUP_STEPS = SteadySteps.WARMUP_STEPS;
    /** Images per grid (8×8). */
    public static final int GRID = 64;

    /**
     * @param steps       number of steps (each one batch)
     * @param batch       real images and noise vectors per step (at least 2, for batch norm)
     * @param sampleEvery write a grid and a checkpoint every this many steps (0: only at the end)
     * @param seed        weights, data order and noise
     * @param runDir      where the files go
     */
    public record Config(int steps, int batch, int sampleEvery, long seed, Path runDir) {
        public Config {
            if (steps < 1 || batch < 2 || sampleEvery < 0) {
                throw new IllegalArgumentException("GanTraining: need steps >= 1, batch >= 2 (batch norm's statistics need two examples) and "
                        + "sampleEvery >= 0, got " + steps + ", " + batch + ", " + sampleEvery);
            }
            Objects.requireNonNull(runDir, "GanTraining: runDir is null");
        }
    }

    /**
     * The run's outcome: the last losses, the steps/s (1 / the median time of steps
     * {@code firstTimedStep} to the last: the warm-up is left out when there are more) and the files.
     */
    public record Result(int steps, double dLoss, double gLoss, double stepsPerSecond, int firstTimedStep, Path grid, Path checkpoint) {
    }

    private GanTraining() {
    }

    /** The seed of the fixed grid noise of a run seeded with {@code seed}: apart from the training noise. */
    public static long gridSeed(long seed) {
        return seed + 1;
    }

    /** The fixed noise of the grids, {@code [GRID, zDim]} from {@code Generator(gridSeed)} (in the current scope). */
    public static Tensor gridNoise(long gridSeed, int zDim) {
        return Tensor.randn(new Generator(gridSeed), DType.F32, GRID, zDim);
    }

    /** Trains on {@code images} (F32 examples {@code [1, 28, 28]} in [0, 1]); progress lines go to {@code out}. */
    public static Result run(Dataset images, Config c, PrintWriter out) throws IOException {
        return train(images, c, null, out);
    }

    /**
     * Continues the run whose checkpoint is {@code checkpoint} (a {@code GanTraining} run's: both nets,
     * both optimizers, the noise and global generators and the step) to {@code c.steps()}, as if it
     * had never stopped: the same batches, the same noise, the same updates. The seed and batch must
     * be the checkpoint's; the metrics log keeps its rows up to the checkpoint's step and drops later
     * ones.
     */
    public static Result resume(Dataset images, Config c, Path checkpoint, PrintWriter out) throws IOException {
        return train(images, c, Objects.requireNonNull(checkpoint, "GanTraining.resume: checkpoint is null"), out);
    }

    /** Steps 1 (or the checkpoint's step + 1) to {@code c.steps()}. */
    private static Result train(Dataset images, Config c, Path resumeFrom, PrintWriter out) throws IOException {
        if (!Arrays.equals(images.exampleShape(), new int[] {1, 28, 28})) {
            throw new IllegalArgumentException("GanTraining.run: the DCGAN takes images [1, 28, 28], the data set has examples "
                    + Shape.format(images.exampleShape()) + "; reshape it (dataset.reshape(1, 28, 28))");
        }
        if (images.size() < c.batch()) {
            throw new IllegalArgumentException("GanTraining.run: " + images.size() + " images do not fill one batch of " + c.batch()
                    + "; lower --batch");
        }
        Path dir = c.runDir();   // created by the first metrics row; samples/ by the first grid: a run that fails first leaves nothing
        Fathom.seed(c.seed());
        DataLoader loader = DataLoader.builder(images, c.batch()).shuffle(true).seed(c.seed()).dropLast(true).prefetch(true).build();
        Generator noise = new Generator(c.seed());
        long gridSeed = gridSeed(c.seed());
        Map<String, String> info = new LinkedHashMap<>();
        info.put("model", Dcgan.ID);
        info.put("seed", Long.toString(c.seed()));
        info.put("grid_seed", Long.toString(gridSeed));
        info.put("z_dim", Integer.toString(Dcgan.Z_DIM));
        info.put("batch", Integer.toString(c.batch()));
        Path grid = dir.resolve("samples.png"), ckpt = dir.resolve("checkpoint.safetensors");
        GanStep.Losses last = null;
        try (Dcgan gan = new Dcgan();
             Adam optG = new Adam(gan.generator().parameters(), Dcgan.adam());
             Adam optD = new Adam(gan.discriminator().parameters(), Dcgan.adam());
             Tensor fixedZ = Scope.escape(gridNoise(gridSeed, Dcgan.Z_DIM))) {
            int done = 0;
            if (resumeFrom != null) {
                done = (int) GanCheckpoint.resume(resumeFrom, gan.generator(), gan.discriminator(), optG, optD, noise)
                        .continuing(resumeFrom, c.seed(), c.batch(), c.steps());
            }
            double[] seconds = new double[c.steps() - done];
            out.printf(Locale.ROOT, "generator: %,d parameters, discriminator: %,d parameters%s%n", gan.generator().parameterCount(),
                    gan.discriminator().parameterCount(), done > 0 ? "; resumed after step " + done : "");
            GanStep gs = new GanStep(gan.generator(), gan.discriminator(), optG, optD);
            // Step s (from 1) takes batch (s - 1) mod b of epoch (s - 1) / b, b batches an epoch.
            int perEpoch = loader.batchesPerEpoch();
            DataLoader.Epoch epoch = loader.epoch(done / perEpoch, done % perEpoch);
            try (MetricsLog log = MetricsLog.resume(dir.resolve("metrics.jsonl"), "step", done + 1)) {
                for (int step = done + 1; step <= c.steps(); step++) {
                    if (!epoch.hasNext()) {
                        epoch.close();
                        epoch = loader.epoch();
                    }
                    long t0 = System.nanoTime();
                    try (Scope s = Scope.open()) {
                        Batch b = epoch.next();
                        Tensor real = b.x().mul(2).sub(1);   // [0, 1] → [−1, 1]
                        Tensor z = Tensor.randn(noise, DType.F32, c.batch(), Dcgan.Z_DIM);
                        last = gs.step(real, z, step);
                    }
                    double stepSeconds = (System.nanoTime() - t0) / 1e9;
                    seconds[step - done - 1] = stepSeconds;
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("step", step);
                    row.put("d_loss", last.d());
                    row.put("g_loss", last.g());
                    row.put("steps_per_s", 1 / stepSeconds);
                    log.log(row);
                    boolean end = step == c.steps();
                    if (step % 50 == 0 || end) {
                        out.printf(Locale.ROOT, "step %d/%d  d_loss %.4f  g_loss %.4f  %.1f ms/step%n", step, c.steps(), last.d(), last.g(),
                                stepSeconds * 1e3);
                        out.flush();
                    }
                    if (end || (c.sampleEvery() > 0 && step % c.sampleEvery() == 0)) {
                        Path stepGrid = dir.resolve("samples").resolve(String.format(Locale.ROOT, "step-%06d.png", step));
                        try {
                            writeGrid(gan.generator(), fixedZ, stepGrid);
                            if (end) {
                                writeGrid(gan.generator(), fixedZ, grid);
                            }
                            GanCheckpoint.save(ckpt, gan.generator(), gan.discriminator(), optG, optD, noise, step, info);
                        } catch (IOException e) {
                            throw new IOException("saving the samples and checkpoint of step " + step + " in " + dir + ": " + IoErrors.describe(e), e);
                        }
                        LearningCurves.write(dir.resolve("learning_curves.png"), log.rows(), "step");
                    }
                }
            } finally {
                epoch.close();
            }
            SteadySteps speed = SteadySteps.of(seconds, done);
            return new Result(c.steps(), last.d(), last.g(), 1 / speed.medianSeconds(), speed.firstTimedStep(), grid, ckpt);
        }
    }

    /** The generator's images for {@code z} in eval mode (running batch-norm statistics), without recording. */
    public static Tensor sample(DcganGenerator generator, Tensor z) {
        boolean training = generator.isTraining();
        generator.eval();
        try (var g = dev.fathom.autograd.Autograd.noGrad()) {
            return generator.forward(z);
        } finally {
            if (training) {
                generator.train();
            }
        }
    }

    private static void writeGrid(DcganGenerator generator, Tensor z, Path png) throws IOException {
        Files.createDirectories(png.toAbsolutePath().getParent());
        try (Scope s = Scope.open()) {
            SampleGrid.write(png, sample(generator, z), 8);
        }
    }
}
