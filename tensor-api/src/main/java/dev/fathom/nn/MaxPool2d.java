package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** Max pooling, as {@code torch.nn.MaxPool2d} ({@code ceil_mode=False}); see {@link Convolutions#maxPool2d}. */
public final class MaxPool2d extends Module {
    private final int[] kernel, stride, padding, dilation;

    /** Stride = kernel, no padding. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    public MaxPool2d(int kernel, int stride, int padding) {
        this(new int[] {kernel}, new int[] {stride}, new int[] {padding}, new int[] {1});
    }

    /** Sizes are one value for both dims or {@code {h, w}}. */
    public MaxPool2d(int[] kernel, int[] stride, int[] padding, int[] dilation) {
        this.kernel = Convolutions.pair("MaxPool2d", "kernel size", kernel, 1);
        this.stride = Convolutions.pair("MaxPool2d", "stride", stride, 1);
        this.padding = Convolutions.pair("MaxPool2d", "padding", padding, 0);
        this.dilation = Convolutions.pair("MaxPool2d", "dilation", dilation, 1);
    }

    @Override
    public Tensor forward(Tensor input) {
        return Convolutions.maxPool2d(input, kernel, stride, padding, dilation);
    }

    @Override
    public String toString() {
        return "MaxPool2d(kernel_size=" + Convolutions.size(kernel) + ", stride=" + Convolutions.size(stride) + ", padding="
                + Convolutions.size(padding) + ", dilation=" + Convolutions.size(dilation) + ", ceil_mode=False)";
    }
}
