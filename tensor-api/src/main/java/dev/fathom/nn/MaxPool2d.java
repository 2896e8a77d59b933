package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** Max pooling, as {@code torch.nn.MaxPool2d}; see {@link Convolutions#maxPool2d}. */
public final class MaxPool2d extends Module {
    private final int[] kernel, stride, padding, dilation;
    private final boolean ceilMode;

    /** Stride = kernel, no padding. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    public MaxPool2d(int kernel, int stride, int padding) {
        this(new int[] {kernel}, new int[] {stride}, new int[] {padding}, new int[] {1});
    }

    /** Sizes are one value for both dims or {@code {h, w}}. */
    /** With PyTorch's {@code ceil_mode}, square windows, dilation 1. */
    public MaxPool2d(int kernel, int stride, int padding, boolean ceilMode) {
        this(new int[] {kernel}, new int[] {stride}, new int[] {padding}, new int[] {1}, ceilMode);
    }

    public MaxPool2d(int[] kernel, int[] stride, int[] padding, int[] dilation) {
        this(kernel, stride, padding, dilation, false);
    }

    /** With PyTorch's {@code ceil_mode}: the output size rounded up (a last, partial window). */
    public MaxPool2d(int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        this.ceilMode = ceilMode;
        this.kernel = Convolutions.pair("MaxPool2d", "kernel size", kernel, 1);
        this.stride = Convolutions.pair("MaxPool2d", "stride", stride, 1);
        this.padding = Convolutions.pair("MaxPool2d", "padding", padding, 0);
        this.dilation = Convolutions.pair("MaxPool2d", "dilation", dilation, 1);
    }

    @Override
    public Tensor forward(Tensor input) {
        return Convolutions.maxPool2d(input, kernel, stride, padding, dilation, ceilMode);
    }

    @Override
    public String toString() {
        return "MaxPool2d(kernel_size=" + Convolutions.size(kernel) + ", stride=" + Convolutions.size(stride) + ", padding="
                + Convolutions.size(padding) + ", dilation=" + Convolutions.size(dilation) + ", ceil_mode=" + (ceilMode ? "True" : "False") + ")";
    }
}
