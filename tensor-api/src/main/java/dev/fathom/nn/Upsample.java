package dev.fathom.nn;

import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.KernelOps;

import java.util.Objects;

/**
 * Nearest-neighbour upsampling by an integer factor, as {@code torch.nn.Upsample(scale_factor=s)}
 * (mode {@code "nearest"}): every spatial entry of {@code (N, C, L)}, {@code (N, C, H, W)} or
 * {@code (N, C, D, H, W)} becomes an {@code s × … × s} block. Output index {@code i} reads input
 * {@code ⌊i / s⌋}, which is PyTorch's rule for an integer factor. A broadcast and a reshape, so its
 * gradient is the sum over each block.
 */
public final class Upsample extends Module {
    private final int scale;

    public Upsample(int scale) {
        if (scale < 1) {
            throw new IllegalArgumentException("Upsample: scale factor must be at least 1, got " + scale);
        }
        this.scale = scale;
    }

    /** {@code F.interpolate(x, scale_factor=scale, mode="nearest")} for an integer {@code scale}. */
    public static Tensor nearest(Tensor x, int scale) {
        Objects.requireNonNull(x, "upsampleNearest: input is null");
        x.checkOpen("upsampleNearest");
        if (x.dim() < 3 || x.dim() > 5) {
            throw new IllegalArgumentException("upsampleNearest: expects an input (N, C, L), (N, C, H, W) or (N, C, D, H, W), got "
                    + Shape.format(x.shape()));
        }
        if (scale < 1) {
            throw new IllegalArgumentException("upsampleNearest: scale factor must be at least 1, got " + scale);
        }
        int[] s = x.shape();
        int spatial = s.length - 2;
        // (N, C, a, 1, b, 1, …) broadcast to (N, C, a, s, b, s, …), then each (a, s) pair merged.
        int[] source = new int[2 + 2 * spatial], blocks = new int[2 + 2 * spatial], out = new int[s.length];
        source[0] = blocks[0] = out[0] = s[0];
        source[1] = blocks[1] = out[1] = s[1];
        for (int i = 0; i < spatial; i++) {
            source[2 + 2 * i] = blocks[2 + 2 * i] = s[2 + i];
            source[3 + 2 * i] = 1;
            blocks[3 + 2 * i] = scale;
            out[2 + i] = Math.multiplyExact(s[2 + i], scale);
        }
        return KernelOps.hooks().intermediates(() -> {
            Tensor up = x.reshape(source).expand(blocks).reshape(out);
            return up.sharesStorageWith(x) ? up.clone() : up;
        });
    }

    @Override
    public Tensor forward(Tensor input) {
        return nearest(input, scale);
    }

    @Override
    public String toString() {
        return "Upsample(scale_factor=" + scale + ".0, mode=nearest)";
    }
}
