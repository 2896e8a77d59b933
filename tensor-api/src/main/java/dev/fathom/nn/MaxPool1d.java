package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** Max pooling over {@code (N, C, L)} or {@code (C, L)}, as {@code torch.nn.MaxPool1d}; see {@link Convolutions1d#maxPool1d}. */
public final class MaxPool1d extends Module {
    private final int kernel, stride, padding, dilation;
    private final boolean ceilMode;

    /** Stride = kernel, no padding. */
    public MaxPool1d(int kernel) {
        this(kernel, kernel, 0, 1, false);
    }

    public MaxPool1d(int kernel, int stride, int padding, int dilation, boolean ceilMode) {
        if (kernel < 1 || stride < 1 || padding < 0 || dilation < 1 || padding > kernel / 2) {
            throw new IllegalArgumentException("MaxPool1d: need kernel size >= 1, stride >= 1, dilation >= 1 and padding in [0, kernel/2], got "
                    + kernel + ", " + stride + ", " + dilation + ", " + padding);
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.ceilMode = ceilMode;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Convolutions1d.maxPool1d(input, kernel, stride, padding, dilation, ceilMode);
    }

    @Override
    public String toString() {
        return "MaxPool1d(kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding + ", dilation=" + dilation + ", ceil_mode="
                + (ceilMode ? "True" : "False") + ")";
    }
}
