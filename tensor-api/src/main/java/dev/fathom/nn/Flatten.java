package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** Flattens dims {@code start_dim..end_dim} (inclusive; default 1..-1, keeping the batch dim). */
public final class Flatten extends Module {
    private final int startDim;
    private final int endDim;

    public Flatten() {
        this(1, -1);
    }

    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.flatten(input, startDim, endDim);
    }

    @Override
    public String toString() {
        return "Flatten(start_dim=" + startDim + ", end_dim=" + endDim + ")";
    }
}
