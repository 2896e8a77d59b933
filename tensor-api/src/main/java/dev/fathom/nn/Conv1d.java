package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

/**
 * A 1-D convolution layer, as {@code torch.nn.Conv1d}: weight {@code (out, in/groups, K)} and an
 * optional bias {@code (out)}, applied with {@link Convolutions1d#conv1d} to {@code (N, in, L)} or
 * {@code (in, L)}. Initialization is {@link Conv2d}'s with {@code fan_in = in/groups·K}: PyTorch's
 * default, in F32 from {@link Generator#global()} or the generator given.
 */
public final class Conv1d extends Module {
    private final int inChannels, outChannels, kernel, stride, padding, dilation, groups;
    private final Parameter weight, bias;

    /** Stride 1, no padding, dilation 1, one group, with bias. */
    public Conv1d(int inChannels, int outChannels, int kernel) {
        this(inChannels, outChannels, kernel, 1, 0, 1, 1, true);
    }

    public Conv1d(int inChannels, int outChannels, int kernel, int stride, int padding) {
        this(inChannels, outChannels, kernel, stride, padding, 1, 1, true);
    }

    /** With or without bias (PyTorch's {@code bias=False}), dilation 1, one group. */
    public Conv1d(int inChannels, int outChannels, int kernel, int stride, int padding, boolean bias) {
        this(inChannels, outChannels, kernel, stride, padding, 1, 1, bias);
    }

    public Conv1d(int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, int groups, boolean bias) {
        this(inChannels, outChannels, kernel, stride, padding, dilation, groups, bias, Generator.global());
    }

    /** As the constructor above, drawing the initial weights from {@code generator}. */
    public Conv1d(int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, int groups, boolean bias,
                  Generator generator) {
        String op = "Conv1d";
        java.util.Objects.requireNonNull(generator, "Conv1d: generator is null (use Generator.global())");
        if (kernel < 1 || stride < 1 || padding < 0 || dilation < 1) {
            throw new IllegalArgumentException(op + ": need kernel size >= 1, stride >= 1, padding >= 0 and dilation >= 1, got " + kernel + ", "
                    + stride + ", " + padding + ", " + dilation);
        }
        Convolutions.checkChannels(op, inChannels, outChannels, groups);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
        double bound = 1.0 / Math.sqrt((double) inChannels / groups * kernel);
        this.weight = parameter("weight", Tensor.uniform(-bound, bound, DType.F32, generator, outChannels, inChannels / groups, kernel));
        this.bias = bias ? parameter("bias", Tensor.uniform(-bound, bound, DType.F32, generator, outChannels)) : null;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Convolutions1d.conv1d(input, weight.data(), bias == null ? null : bias.data(), stride, padding, dilation, groups);
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
        StringBuilder sb = new StringBuilder("Conv1d(").append(inChannels).append(", ").append(outChannels).append(", kernel_size=(").append(kernel)
                .append(",), stride=(").append(stride).append(",)");
        if (padding != 0) {
            sb.append(", padding=(").append(padding).append(",)");
        }
        if (dilation != 1) {
            sb.append(", dilation=(").append(dilation).append(",)");
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
