package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** Softmax along {@code dim} (negative from the end). */
public final class Softmax extends Module {
    private final int dim;

    public Softmax(int dim) {
        this.dim = dim;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.softmax(input, dim);
    }

    public int dim() {
        return dim;
    }

    @Override
    public String toString() {
        return "Softmax(dim=" + dim + ")";
    }
}
