package dev.fathom.io;

import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

/** {@code y = x·w + b}: (B, in) → (B, out), weights normal(0, 0.5) from a seeded generator, bias 0. */
final class Tiny extends Module {
    final Parameter w;
    final Parameter b;

    Tiny(long seed, int in, int out) {
        w = parameter("w", Tensor.normal(0, 0.5, DType.F32, new Generator(seed), in, out));
        b = parameter("b", Tensor.zeros(out));
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.matmul(w.data()).add(b.data());
    }
}
