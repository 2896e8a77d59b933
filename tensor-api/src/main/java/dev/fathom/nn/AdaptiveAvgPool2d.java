package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** Adaptive average pooling to a fixed output size, as {@code torch.nn.AdaptiveAvgPool2d}; see {@link Convolutions#adaptiveAvgPool2d}. */
public final class AdaptiveAvgPool2d extends Module {
    private final int outH, outW;

    /** A square output {@code size × size}. */
    public AdaptiveAvgPool2d(int size) {
        this(size, size);
    }

    public AdaptiveAvgPool2d(int outH, int outW) {
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d: output size must be positive, got " + outH + "x" + outW);
        }
        this.outH = outH;
        this.outW = outW;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Convolutions.adaptiveAvgPool2d(input, outH, outW);
    }

    @Override
    public String toString() {
        return "AdaptiveAvgPool2d(output_size=" + Convolutions.size(new int[] {outH, outW}) + ")";
    }
}
