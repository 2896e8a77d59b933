package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** {@code x·σ(x) (Elfwing et al. 2017; Swish)}, elementwise. */
public final class SiLU extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return Functional.silu(input);
    }

    @Override
    public String toString() {
        return "SiLU()";
    }
}
