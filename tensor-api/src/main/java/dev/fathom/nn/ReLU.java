package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** {@code max(0, x)}, elementwise. */
public final class ReLU extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return Functional.relu(input);
    }

    @Override
    public String toString() {
        return "ReLU()";
    }
}
