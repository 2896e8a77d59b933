package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** {@code tanh(x)}, elementwise. */
public final class Tanh extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return Functional.tanh(input);
    }

    @Override
    public String toString() {
        return "Tanh()";
    }
}
