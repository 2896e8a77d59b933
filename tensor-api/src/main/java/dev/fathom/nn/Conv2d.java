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
 * drawn from {@link Generator#global()} in F32.
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

    /** Sizes are one value for both dims or {@code {h, w}}. */
    public Conv2d(int inChannels, int outChannels, int[] kernel, int[] stride, int[] padding, int[] dilation, int groups, boolean bias) {
        String op = "Conv2d";
        this.kernel = Convolutions.pair(op, "kernel size", kernel, 1);
        this.stride = Convolutions.pair(op, "stride", stride, 1);
        this.padding = Convolutions.pair(op, "padding", padding, 0);
        this.dilation = Convolutions.pair(op, "dilation", dilation, 1);
        if (inChannels < 1 || outChannels < 1 || groups < 1 || inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException(op + ": in_channels " + inChannels + " and out_channels " + outChannels
                    + " must be positive and divisible by groups " + groups);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.groups = groups;
        int fanIn = inChannels / groups * this.kernel[0] * this.kernel[1];
        double bound = 1.0 / Math.sqrt(fanIn);
        this.weight = parameter("weight", uniform(bound, outChannels, inChannels / groups, this.kernel[0], this.kernel[1]));
        this.bias = bias ? parameter("bias", uniform(bound, outChannels)) : null;
    }

    private static Tensor uniform(double bound, int... shape) {
        return Tensor.uniform(-bound, bound, DType.F32, Generator.global(), shape);
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
        StringBuilder sb = new StringBuilder("Conv2d(").append(inChannels).append(", ").append(outChannels)
                .append(", kernel_size=").append(Convolutions.tuple(kernel)).append(", stride=").append(Convolutions.tuple(stride));
        if (padding[0] != 0 || padding[1] != 0) {
            sb.append(", padding=").append(Convolutions.tuple(padding));
        }
        if (dilation[0] != 1 || dilation[1] != 1) {
            sb.append(", dilation=").append(Convolutions.tuple(dilation));
        }
        if (groups != 1) {
            sb.append(", groups=").append(groups);
        }
        if (bias == null) {
            sb.append(", bias=False");
        }
        return sb.append(')').toString();
    }
}
