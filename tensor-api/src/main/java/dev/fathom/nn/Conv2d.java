package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

/**
 * A 2-D convolution layer, as {@code torch.nn.Conv2d}: weight {@code (out, in/groups, KH, KW)}
 * and an optional bias {@code (out)}, applied with {@link Convolutions#conv2d}.
 *
 * <p>Initialization is PyTorch's default: {@code kaiming_uniform(a=√5)} for the weight, which is
 * {@code U(±1/√fan_in)} with {@code fan_in = in/groups·KH·KW} (He et al., "Delving Deep into
 * Rectifiers", 2015, with PyTorch's choice of a), and {@code U(±1/√fan_in)} for the bias; both
 * drawn in F32 from {@link Generator#global()}, or the generator given.
 */
public final class Conv2d extends Module {
    private final int inChannels, outChannels, groups;
    private final int[] kernel, stride, padding, dilation;
    private final Parameter weight, bias;

    /** Square kernel, stride 1, no padding, dilation 1, one group, with bias. */
    public Conv2d(int inChannels, int outChannels, int kernel) {
        this(inChannels, outChannels, new int[] {kernel}, new int[] {1}, new int[] {0}, new int[] {1}, 1, true);
    }

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding) {
        this(inChannels, outChannels, new int[] {kernel}, new int[] {stride}, new int[] {padding}, new int[] {1}, 1, true);
    }

    /** Square kernel, with or without bias (PyTorch's {@code bias=False}, as before a batch norm), dilation 1, one group. */
    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, boolean bias) {
        this(inChannels, outChannels, new int[] {kernel}, new int[] {stride}, new int[] {padding}, new int[] {1}, 1, bias);
    }

    /** Sizes are one value for both dims or {@code {h, w}}. */
    public Conv2d(int inChannels, int outChannels, int[] kernel, int[] stride, int[] padding, int[] dilation, int groups, boolean bias) {
        this(inChannels, outChannels, kernel, stride, padding, dilation, groups, bias, Generator.global());
    }

    /** As the constructor above, drawing the initial weights from {@code generator}. */
    public Conv2d(int inChannels, int outChannels, int[] kernel, int[] stride, int[] padding, int[] dilation, int groups, boolean bias,
                  Generator generator) {
        String op = "Conv2d";
        java.util.Objects.requireNonNull(generator, "Conv2d: generator is null (use Generator.global())");
        this.kernel = Convolutions.pair(op, "kernel size", kernel, 1);
        this.stride = Convolutions.pair(op, "stride", stride, 1);
        this.padding = Convolutions.pair(op, "padding", padding, 0);
        this.dilation = Convolutions.pair(op, "dilation", dilation, 1);
        Convolutions.checkChannels(op, inChannels, outChannels, groups);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.groups = groups;
        int fanIn = inChannels / groups * this.kernel[0] * this.kernel[1];
        double bound = 1.0 / Math.sqrt(fanIn);
        this.weight = parameter("weight", Tensor.uniform(-bound, bound, DType.F32, generator, outChannels, inChannels / groups, this.kernel[0],
                this.kernel[1]));
        this.bias = bias ? parameter("bias", Tensor.uniform(-bound, bound, DType.F32, generator, outChannels)) : null;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Convolutions.conv2d(input, weight.data(), bias == null ? null : bias.data(), stride, padding, dilation, groups);
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null when built without one. */
    public Parameter bias() {
        return bias;
    }

    @Override
    public String toString() {
        return Convolutions.describe("Conv2d", inChannels, outChannels, kernel, stride, padding, dilation, null, groups, bias != null);
    }
}
