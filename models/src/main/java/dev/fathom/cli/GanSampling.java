package dev.fathom.cli;

import dev.fathom.data.FashionMnist;
import dev.fathom.io.Checkpoint;
import dev.fathom.metrics.GanScore;
import dev.fathom.models.Dcgan;
import dev.fathom.models.DcganGenerator;
import dev.fathom.models.Zoo;
import dev.fathom.nn.Module;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.autograd.Autograd;
import dev.fathom.train.GanCheckpoint;
import dev.fathom.train.GanTraining;
import dev.fathom.train.SampleGrid;
import dev.fathom.train.TrainingCheckpoint;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * The DCGAN part of {@code fathom sample CKPT --grid out.png [--seed S] [--judge CNN_CKPT]}: draws an
 * 8×8 grid from a generator saved by {@code fathom train dcgan} and, with a classifier checkpoint
 * from {@code fathom train cnn} (or any Fashion-MNIST zoo model), judges {@value #JUDGE_SAMPLES}
 * samples with it ({@link GanScore}). The generator runs in eval mode (running batch-norm
 * statistics), so a sample depends on its noise alone. The noise of the grid is
 * {@link GanTraining#gridNoise}: without a seed it is the run's grid seed, so the grid is the run's
 * last {@code samples.png}; the judged samples are drawn from a fresh {@code Generator(seed)} too.
 * Runs on the default device.
 */
public final class GanSampling {
    /** Samples judged by the classifier. */
    public static final int JUDGE_SAMPLES = 1000;
    private static final int CHUNK = 100;

    private GanSampling() {
    }

    /**
     * Writes the grid to {@code png} and prints what it did to {@code out}; with {@code judge}, also
     * judges {@link #JUDGE_SAMPLES} samples and returns the score (else null).
     *
     * @param seed null for the checkpoint's {@code grid_seed}
     */
    public static GanScore sample(Path generatorCheckpoint, Path png, Long seed, Path judge, PrintWriter out) throws IOException {
        Map<String, String> meta = Checkpoint.peek(generatorCheckpoint);
        if (!Dcgan.ID.equals(meta.get("model"))) {
            throw new IllegalArgumentException(generatorCheckpoint + " holds a \"" + meta.get("model") + "\" model, not a \"" + Dcgan.ID
                    + "\" generator; --grid draws from checkpoints of `fathom train dcgan`");
        }
        long s = seed != null ? seed : Checkpoint.longScalar(generatorCheckpoint, meta, "grid_seed", 0L, Long.MIN_VALUE, Long.MAX_VALUE);
        int zDim = (int) Checkpoint.longScalar(generatorCheckpoint, meta, "z_dim", (long) Dcgan.Z_DIM, 1, 1 << 20);
        if (judge != null) {
            CheckpointKind.classifier(judge, Checkpoint.peek(judge), "--judge takes");   // before the grid is written
        }
        try (DcganGenerator g = new DcganGenerator(zDim)) {
            GanCheckpoint.loadGenerator(generatorCheckpoint, g);
            try (Scope sc = Scope.open()) {
                SampleGrid.write(png, GanTraining.sample(g, GanTraining.gridNoise(s, zDim)), 8);
            }
            out.printf(Locale.ROOT, "wrote %s: 8×8 samples of %s (step %s), seed %d%n", png, generatorCheckpoint, meta.get("step"), s);
            if (judge == null) {
                return null;
            }
            GanScore score = judge(g, judge, new Generator(s), JUDGE_SAMPLES);
            out.printf(Locale.ROOT, "judged by %s on %d samples: mean top-class confidence %.4f, %d of %d classes covered (>= %.0f%% of the "
                            + "samples each), inception score %.3f%n", judge, score.samples(), score.meanConfidence(), score.classesCovered(),
                    FashionMnist.CLASSES, GanScore.COVERAGE_FRACTION * 100, score.inceptionScore());
            long[] counts = score.classCounts();
            StringBuilder b = new StringBuilder("samples per class:");
            for (int k = 0; k < counts.length; k++) {
                b.append(String.format(Locale.ROOT, " %s %d%s", FashionMnist.CLASS_NAMES[k], counts[k], k + 1 < counts.length ? "," : ""));
            }
            out.println(b);
            out.flush();
            return score;
        }
    }

    /**
     * Judges {@code n} samples of {@code generator} (noise from {@code noise}, drawn in chunks of
     * {@value #CHUNK}) with the classifier saved in {@code classifierCheckpoint}: images mapped from
     * [−1, 1] to the classifier's [0, 1] pixels ({@code (x + 1)/2}, as {@code FashionMnist} scales
     * {@code x/255}), softmax of its logits.
     */
    public static GanScore judge(DcganGenerator generator, Path classifierCheckpoint, Generator noise, int n) throws IOException {
        if (n < 1) {
            throw new IllegalArgumentException("GanSampling.judge: need n >= 1 samples, got " + n);
        }
        Map<String, String> meta = Checkpoint.peek(classifierCheckpoint);
        Zoo zoo = CheckpointKind.classifier(classifierCheckpoint, meta, "--judge takes");
        double[] probs = new double[n * FashionMnist.CLASSES];
        try (Module classifier = zoo.create(); var grad = Autograd.noGrad()) {
            TrainingCheckpoint.loadModel(classifierCheckpoint, classifier);
            classifier.eval();
            int[] shape = zoo.exampleShape();
            for (int from = 0; from < n; from += CHUNK) {
                int m = Math.min(CHUNK, n - from);
                try (Scope s = Scope.open()) {
                    Tensor images = GanTraining.sample(generator, Tensor.randn(noise, DType.F32, m, generator.zDim()));
                    int[] batchShape = new int[shape.length + 1];
                    batchShape[0] = m;
                    System.arraycopy(shape, 0, batchShape, 1, shape.length);
                    Tensor pixels = images.add(1).mul(0.5).reshape(batchShape);
                    double[] p = classifier.forward(pixels).softmax(-1).to(DType.F64).toDoubleArray();
                    if (p.length != m * FashionMnist.CLASSES) {
                        throw new IllegalArgumentException(classifierCheckpoint + ": the classifier gives " + p.length / m + " outputs per image, not "
                                + FashionMnist.CLASSES + " (" + Arrays.toString(shape) + " inputs)");
                    }
                    System.arraycopy(p, 0, probs, from * FashionMnist.CLASSES, p.length);
                }
            }
        }
        return GanScore.of(probs, FashionMnist.CLASSES);
    }
}
