package dev.fathom.models;

import dev.fathom.autograd.Autograd;
import dev.fathom.nn.Module;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * Text generation from a {@link CharLm}, as nanoGPT's {@code generate}: logits of the next token
 * divided by the temperature, all but the {@code top-k} largest set to −∞ (ties with the k-th kept),
 * softmax, then one draw by inverse CDF from a uniform of the {@link Generator} (so a seed fixes
 * the text on every backend). {@code top-k 1} is greedy decoding.
 */
public final class Sampling {
    private Sampling() {
    }

    /**
     * Feeds {@code prompt} (at least one token) and draws {@code tokens} more; returns only the new
     * tokens. The model runs in eval mode without recording, and is left in the mode it was in.
     *
     * @param topK keep the k most likely tokens; 0 (or ≥ V) keeps all
     */
    public static long[] generate(CharLm model, long[] prompt, int tokens, double temperature, int topK, Generator generator) {
        Objects.requireNonNull(model, "Sampling.generate: model is null");
        Objects.requireNonNull(generator, "Sampling.generate: generator is null");
        if (prompt.length == 0 || tokens < 0 || !(temperature > 0) || Double.isInfinite(temperature) || topK < 0) {
            throw new IllegalArgumentException("Sampling.generate: need a non-empty prompt, tokens >= 0, a finite temperature > 0 and top-k >= 0 "
                    + "(0 = all); got a prompt of " + prompt.length + " tokens, tokens " + tokens + ", temperature " + temperature + ", top-k " + topK);
        }
        Module m = (Module) model;
        boolean wasTraining = m.isTraining();
        m.eval();
        long[] out = new long[tokens];
        try (var g = Autograd.noGrad(); CharLm.Decoder d = model.decoder()) {
            long[] feed = prompt;
            for (int i = 0; i < tokens; i++) {
                float[] logits;
                try (Scope s = Scope.open()) {
                    logits = d.feed(feed).toFloatArray();
                }
                double u;
                try (Scope s = Scope.open()) {
                    u = Tensor.rand(generator, DType.F64, 1).itemDouble();
                }
                out[i] = pick(logits, temperature, topK, u);
                feed = new long[] {out[i]};
            }
        } finally {
            if (wasTraining) {
                m.train();
            }
        }
        return out;
    }

    /** The token that {@code u} ∈ [0, 1) selects from {@code softmax(top_k(logits / temperature))}. */
    public static int pick(float[] logits, double temperature, int topK, double u) {
        int v = logits.length;
        double[] z = new double[v];
        for (int i = 0; i < v; i++) {
            z[i] = logits[i] / temperature;
        }
        double threshold = Double.NEGATIVE_INFINITY;
        if (topK > 0 && topK < v) {
            double[] sorted = z.clone();
            Arrays.sort(sorted);
            threshold = sorted[v - topK];
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double x : z) {
            max = Math.max(max, x);
        }
        double[] p = new double[v];
        double sum = 0;
        for (int i = 0; i < v; i++) {
            p[i] = z[i] >= threshold ? Math.exp(z[i] - max) : 0;
            sum += p[i];
        }
        if (!(sum > 0) || Double.isNaN(max)) {
            throw new IllegalArgumentException("Sampling: the logits are not finite (max " + max + "); the model's weights are broken");
        }
        double target = u * sum;
        double acc = 0;
        int last = -1;
        for (int i = 0; i < v; i++) {
            if (p[i] > 0) {
                acc += p[i];
                last = i;
                if (target < acc) {
                    return i;
                }
            }
        }
        return last;  // rounding left target at the very top
    }
}
