package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** Average pooling over {@code (N, C, L)} or {@code (C, L)}, as {@code torch.nn.AvgPool1d}; see {@link Convolutions1d#avgPool1d}. */
public final class AvgPool1d extends Module {
    private final int kernel, stride, padding;
    private final boolean ceilMode, countIncludePad;

    /** Stride = kernel, no padding. */
    public AvgPool1d(int kernel) {
        this(kernel, kernel, 0, false, true);
    }

    public AvgPool1d(int kernel, int stride, int padding, boolean ceilMode, boolean countIncludePad) {
        if (kernel < 1 || stride < 1 || padding < 0 || padding > kernel / 2) {
            throw new IllegalArgumentException("AvgPool1d: need kernel size >= 1, stride >= 1 and padding in [0, kernel/2], got " + kernel + ", "
                    + stride + ", " + padding);
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Convolutions1d.avgPool1d(input, kernel, stride, padding, ceilMode, countIncludePad);
    }

    @Override
    public String toString() {
        return "AvgPool1d(kernel_size=(" + kernel + ",), stride=(" + stride + ",), padding=(" + padding + ",))";
    }
}
