package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** {@code x} for x > 0, else {@code α·(eˣ − 1)} (Clevert et al. 2015; default α = 1). */
public final class ELU extends Module {
    private final double alpha;

    public ELU() {
        this(1.0);
    }

    public ELU(double alpha) {
        if (!Double.isFinite(alpha)) {
            throw new IllegalArgumentException("ELU: alpha must be finite, got " + alpha);
        }
        this.alpha = alpha;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.elu(input, alpha);
    }

    public double alpha() {
        return alpha;
    }

    @Override
    public String toString() {
        return "ELU(alpha=" + alpha + ")";
    }
}
