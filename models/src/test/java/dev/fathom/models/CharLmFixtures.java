package dev.fathom.models;

import dev.fathom.autograd.Autograd;
import dev.fathom.data.CharCorpus;
import dev.fathom.data.SplitMix64;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.optim.Adam;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.LongStream;

/** Shared by the char-LM tests: a fixed 2,000-character text and an overfitting loop. */
public final class CharLmFixtures {
    private CharLmFixtures() {
    }

    /** 2,000 characters of English prose (the start of the project's README), 69 distinct. */
    public static String text2000() {
        try (InputStream in = CharLmFixtures.class.getResourceAsStream("overfit-2000.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Adam steps on random windows of {@code ids} (SplitMix64(0)) until the model has memorized the
     * text: the batch loss is below {@code target} and then so is {@link #meanLoss} over every window
     * (one lucky batch is not enough); returns the step at which both were, or -1 after {@code maxSteps}.
     */
    public static int stepsToReach(CharLm model, long[] ids, int ctx, int batch, double lr, double target, int maxSteps) {
        SplitMix64 rng = new SplitMix64(0);
        try (Optimizer opt = new Adam(((Module) model).parameters(), lr)) {
            for (int step = 1; step <= maxSteps; step++) {
                try (Scope s = Scope.open()) {
                    long[] starts = new long[batch];
                    for (int i = 0; i < batch; i++) {
                        starts[i] = rng.below(ids.length - ctx);
                    }
                    long[][] xy = CharCorpus.windows(ids, starts, ctx);
                    Tensor logits = model.forward(Tensor.of(xy[0], batch, ctx));
                    Tensor loss = Functional.crossEntropy(logits.reshape(batch * ctx, model.vocabSize()), Tensor.of(xy[1], batch * ctx));
                    opt.zeroGrad();
                    loss.backward();
                    opt.step();
                    if (loss.itemDouble() < target && meanLoss(model, ids, ctx) < target) {
                        return step;
                    }
                }
            }
        }
        return -1;
    }

    /**
     * The mean cross-entropy of {@code model} over every window of {@code ctx + 1} characters of
     * {@code ids} (each start from 0 to {@code ids.length − ctx − 1}, as the training draws them),
     * every position of each window counted; in eval mode without recording, in batches of 256 windows.
     */
    public static double meanLoss(CharLm model, long[] ids, int ctx) {
        Module m = (Module) model;
        boolean training = m.isTraining();
        int windows = ids.length - ctx;
        double sum = 0;
        m.eval();
        try (var g = Autograd.noGrad()) {
            for (int from = 0; from < windows; from += 256) {
                int b = Math.min(256, windows - from);
                try (Scope s = Scope.open()) {
                    long[][] xy = CharCorpus.windows(ids, LongStream.range(from, from + b).toArray(), ctx);
                    Tensor logits = model.forward(Tensor.of(xy[0], b, ctx));
                    sum += b * Functional.crossEntropy(logits.reshape(b * ctx, model.vocabSize()), Tensor.of(xy[1], b * ctx)).itemDouble();
                }
            }
        } finally {
            if (training) {
                m.train();
            }
        }
        return sum / windows;
    }

    /** log-softmax of {@code row} at {@code target}, in F64 (the reference for cross-entropy). */
    public static double logProb(float[] logits, int offset, int v, long target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < v; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < v; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        return logits[offset + (int) target] - max - Math.log(sum);
    }
}
