package dev.fathom.models;

import dev.fathom.nn.BatchNorm2d;
import dev.fathom.nn.Conv2d;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Linear;
import dev.fathom.nn.Module;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

/**
 * The discriminator of the reference DCGAN ({@code dcgan_fmnist.py}): Conv2d 1→64 4/2/1 →
 * LeakyReLU(0.2) → Conv2d 64→128 4/2/1 → BatchNorm2d(128) → LeakyReLU(0.2) → flatten (6272, NCHW
 * order) → Linear 6272→1. Shapes: images {@code (B, 1, 28, 28)} in [−1, 1] → logits {@code (B, 1)}
 * (real is 1; train with {@code bceWithLogits}).
 *
 * <p>Children are named by their index in the reference's {@code nn.Sequential} ("0", "2", "3",
 * "6"), so the state dict has PyTorch's keys. PyTorch's default initialization from the global
 * generator.
 */
public final class DcganDiscriminator extends Module {
    /** The negative slope of both LeakyReLUs. */
    public static final double SLOPE = 0.2;

    private final Conv2d conv1;
    private final Conv2d conv2;
    private final BatchNorm2d bn2;
    private final Linear fc;

    public DcganDiscriminator() {
        this(Generator.global());
    }

    /** Initialized from {@code generator} instead of the global one (reproducible whatever other threads draw). */
    public DcganDiscriminator(Generator generator) {
        java.util.Objects.requireNonNull(generator, "DcganDiscriminator: generator is null (use Generator.global())");
        conv1 = child("0", downsampling(1, 64, generator));
        conv2 = child("2", downsampling(64, 128, generator));
        bn2 = child("3", new BatchNorm2d(128));
        fc = child("6", new Linear(128 * 7 * 7, 1, true, generator));
    }

    /** 4×4, stride 2, padding 1: half the resolution. */
    private static Conv2d downsampling(int in, int out, Generator generator) {
        return new Conv2d(in, out, new int[] {4}, new int[] {2}, new int[] {1}, new int[] {1}, 1, true, generator);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.dim() != 4 || x.size(1) != 1 || x.size(2) != 28 || x.size(3) != 28) {
            throw new IllegalArgumentException("DcganDiscriminator.forward: expected images [B, 1, 28, 28], got " + Shape.format(x.shape()));
        }
        Tensor h = Functional.leakyRelu(conv1.forward(x), SLOPE);
        h = Functional.leakyRelu(bn2.forward(conv2.forward(h)), SLOPE);
        return fc.forward(Functional.flatten(h, 1, -1));
    }

    @Override
    public String toString() {
        return "DcganDiscriminator(conv64-lrelu-conv128-bn-lrelu-fc1)";
    }
}
