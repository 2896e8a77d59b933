package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** {@code σ(x) = 1/(1 + e^{−x})}, elementwise. */
public final class Sigmoid extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return Functional.sigmoid(input);
    }

    @Override
    public String toString() {
        return "Sigmoid()";
    }
}
