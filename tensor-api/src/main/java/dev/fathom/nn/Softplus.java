package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** {@code log(1 + e^{βx})/β}, linear above {@code βx > threshold}, elementwise; see {@link Functional#softplus(Tensor, double, double)}. */
public final class Softplus extends Module {
    private final double beta;
    private final double threshold;

    /** β 1 and threshold 20, PyTorch's defaults. */
    public Softplus() {
        this(1, 20);
    }

    public Softplus(double beta, double threshold) {
        if (!(beta > 0) || Double.isInfinite(beta) || Double.isNaN(threshold)) {
            throw new IllegalArgumentException("Softplus: beta must be positive and finite, and threshold a number; got beta " + beta
                    + ", threshold " + threshold);
        }
        this.beta = beta;
        this.threshold = threshold;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.softplus(input, beta, threshold);
    }

    @Override
    public String toString() {
        return "Softplus(beta=" + beta + ", threshold=" + threshold + ")";
    }
}
