package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** Average pooling, as {@code torch.nn.AvgPool2d}; see {@link Convolutions#avgPool2d}. */
public final class AvgPool2d extends Module {
    private final int[] kernel, stride, padding;
    private final boolean ceilMode;
    private final boolean countIncludePad;

    /** Stride = kernel, no padding. */
    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    public AvgPool2d(int kernel, int stride, int padding) {
        this(new int[] {kernel}, new int[] {stride}, new int[] {padding}, true);
    }

    /** Sizes are one value for both dims or {@code {h, w}}; {@code countIncludePad} is PyTorch's (default true). */
    public AvgPool2d(int[] kernel, int[] stride, int[] padding, boolean countIncludePad) {
        this(kernel, stride, padding, false, countIncludePad);
    }

    /** With PyTorch's {@code ceil_mode}: the output size rounded up (a last, partial window). */
    public AvgPool2d(int[] kernel, int[] stride, int[] padding, boolean ceilMode, boolean countIncludePad) {
        this.ceilMode = ceilMode;
        this.kernel = Convolutions.pair("AvgPool2d", "kernel size", kernel, 1);
        this.stride = Convolutions.pair("AvgPool2d", "stride", stride, 1);
        this.padding = Convolutions.pair("AvgPool2d", "padding", padding, 0);
        this.countIncludePad = countIncludePad;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Convolutions.avgPool2d(input, kernel, stride, padding, ceilMode, countIncludePad);
    }

    @Override
    public String toString() {
        return "AvgPool2d(kernel_size=" + Convolutions.size(kernel) + ", stride=" + Convolutions.size(stride) + ", padding="
                + Convolutions.size(padding) + (ceilMode ? ", ceil_mode=True" : "") + (countIncludePad ? "" : ", count_include_pad=False") + ")";
    }
}
