package dev.fathom.models;

import dev.fathom.nn.BatchNorm1d;
import dev.fathom.nn.BatchNorm2d;
import dev.fathom.nn.ConvTranspose2d;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Linear;
import dev.fathom.nn.Module;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

/**
 * The generator of the reference DCGAN ({@code dcgan_fmnist.py}; Radford, Metz and Chintala,
 * "Unsupervised Representation Learning with Deep Convolutional GANs", 2015): z(64) → Linear 6272 →
 * BatchNorm1d(6272) → ReLU → view (128, 7, 7) → ConvTranspose2d 128→64 4/2/1 → BatchNorm2d(64) →
 * ReLU → ConvTranspose2d 64→1 4/2/1 → tanh. Shapes: {@code (B, 64)} → images {@code (B, 1, 28, 28)}
 * in [−1, 1].
 *
 * <p>The children are named by their index in the reference's {@code nn.Sequential} ("0", "1",
 * "4", "5", "7"; the parameter-free layers leave gaps), so the state dict has PyTorch's keys
 * ({@code "0.weight"}, {@code "1.running_mean"}, …) and weights can be exchanged. PyTorch's default
 * initialization from the global generator: {@code Fathom.seed} first.
 */
public final class DcganGenerator extends Module {
    private final int zDim;
    private final Linear fc;
    private final BatchNorm1d bn0;
    private final ConvTranspose2d up1;
    private final BatchNorm2d bn1;
    private final ConvTranspose2d up2;

    /** The reference generator, z of {@link Dcgan#Z_DIM}. */
    public DcganGenerator() {
        this(Dcgan.Z_DIM);
    }

    public DcganGenerator(int zDim) {
        this(zDim, Generator.global());
    }

    /** Initialized from {@code generator} instead of the global one (reproducible whatever other threads draw). */
    public DcganGenerator(int zDim, Generator generator) {
        java.util.Objects.requireNonNull(generator, "DcganGenerator: generator is null (use Generator.global())");
        if (zDim < 1) {
            throw new IllegalArgumentException("DcganGenerator: the noise size must be >= 1, got " + zDim);
        }
        this.zDim = zDim;
        fc = child("0", new Linear(zDim, 128 * 7 * 7, true, generator));
        bn0 = child("1", new BatchNorm1d(128 * 7 * 7));
        up1 = child("4", upsampling(128, 64, generator));
        bn1 = child("5", new BatchNorm2d(64));
        up2 = child("7", upsampling(64, 1, generator));
    }

    /** 4×4, stride 2, padding 1: twice the resolution. */
    private static ConvTranspose2d upsampling(int in, int out, Generator generator) {
        return new ConvTranspose2d(in, out, new int[] {4}, new int[] {2}, new int[] {1}, new int[] {0}, 1, true, new int[] {1}, generator);
    }

    @Override
    public Tensor forward(Tensor z) {
        if (z.dim() != 2 || z.size(1) != zDim) {
            throw new IllegalArgumentException("DcganGenerator.forward: expected noise [B, " + zDim + "], got " + Shape.format(z.shape())
                    + "; draw it with Tensor.randn(generator, DType.F32, B, " + zDim + ")");
        }
        Tensor h = Functional.relu(bn0.forward(fc.forward(z))).reshape(z.size(0), 128, 7, 7);
        h = Functional.relu(bn1.forward(up1.forward(h)));
        return Functional.tanh(up2.forward(h));
    }

    /** The size of one noise vector. */
    public int zDim() {
        return zDim;
    }

    @Override
    public String toString() {
        return "DcganGenerator(z" + zDim + "-fc6272-bn-convT64-bn-convT1-tanh)";
    }
}
