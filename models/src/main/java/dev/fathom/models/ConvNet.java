package dev.fathom.models;

import dev.fathom.nn.Conv2d;
import dev.fathom.nn.Flatten;
import dev.fathom.nn.Linear;
import dev.fathom.nn.MaxPool2d;
import dev.fathom.nn.Module;
import dev.fathom.nn.ReLU;
import dev.fathom.nn.Sequential;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

/**
 * The reference CNN for 28×28 grey images: conv 1→32 3×3 pad 1, ReLU, max-pool 2; conv 32→64 3×3
 * pad 1, ReLU, max-pool 2; flatten (64·7·7 = 3136, NCHW order); fc 128, ReLU; fc 10.
 * Shapes: {@code (B, 1, 28, 28)} → logits {@code (B, 10)}.
 */
public final class ConvNet extends Module {
    private final Sequential net;

    public ConvNet() {
        this(Generator.global());
    }

    /** Initialized from {@code generator} instead of the global one (reproducible whatever other threads draw). */
    public ConvNet(Generator generator) {
        java.util.Objects.requireNonNull(generator, "ConvNet: generator is null (use Generator.global())");
        net = child("net", new Sequential(
                conv(1, 32, generator), new ReLU(), new MaxPool2d(2),
                conv(32, 64, generator), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(64 * 7 * 7, 128, true, generator), new ReLU(), new Linear(128, 10, true, generator)));
    }

    /** 3×3, stride 1, padding 1, with bias. */
    private static Conv2d conv(int in, int out, Generator generator) {
        return new Conv2d(in, out, new int[] {3}, new int[] {1}, new int[] {1}, new int[] {1}, 1, true, generator);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.dim() != 4 || x.size(1) != 1 || x.size(2) != 28 || x.size(3) != 28) {
            throw new IllegalArgumentException("ConvNet.forward: expected images [B, 1, 28, 28], got " + Shape.format(x.shape()));
        }
        return net.forward(x);
    }

    @Override
    public String toString() {
        return "ConvNet(conv32-pool-conv64-pool-fc128-fc10)";
    }
}
