package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** GELU (Hendrycks and Gimpel 2016): exact {@code x·Φ(x)}, or its tanh approximation. */
public final class GELU extends Module {
    private final boolean tanhApproximation;

    /** The exact form. */
    public GELU() {
        this(false);
    }

    /** With {@code tanhApproximation}, PyTorch's {@code approximate="tanh"}. */
    public GELU(boolean tanhApproximation) {
        this.tanhApproximation = tanhApproximation;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.gelu(input, tanhApproximation);
    }

    public boolean tanhApproximation() {
        return tanhApproximation;
    }

    @Override
    public String toString() {
        return "GELU(approximate='" + (tanhApproximation ? "tanh" : "none") + "')";
    }
}
