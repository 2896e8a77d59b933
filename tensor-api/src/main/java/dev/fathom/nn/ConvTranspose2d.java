package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

/**
 * A 2-D transposed convolution layer, as {@code torch.nn.ConvTranspose2d} (the upsampling layer of
 * a DCGAN generator): weight {@code (in, out/groups, KH, KW)} and an optional bias {@code (out)},
 * applied with {@link Convolutions#convTranspose2d}. The output of an {@code (H, W)} input is
 * {@code (H − 1)·stride − 2·padding + dilation·(K − 1) + output_padding + 1} in each dim.
 *
 * <p>Initialization is PyTorch's default: {@code kaiming_uniform(a=√5)} for the weight, which is
 * {@code U(±1/√fan_in)}, and {@code U(±1/√fan_in)} for the bias, where PyTorch's fan_in is taken
 * from the weight's dim 1: {@code fan_in = out/groups·KH·KW} (He et al., "Delving Deep into
 * Rectifiers", 2015, with PyTorch's choice of a); both drawn in F32 from {@link Generator#global()}, or the generator given.
 */
public final class ConvTranspose2d extends Module {
    private final int inChannels, outChannels, groups;
    private final int[] kernel, stride, padding, outputPadding, dilation;
    private final Parameter weight, bias;

    /** Square kernel, stride 1, no padding, no output padding, one group, with bias, dilation 1. */
    public ConvTranspose2d(int inChannels, int outChannels, int kernel) {
        this(inChannels, outChannels, kernel, 1, 0);
    }

    public ConvTranspose2d(int inChannels, int outChannels, int kernel, int stride, int padding) {
        this(inChannels, outChannels, new int[] {kernel}, new int[] {stride}, new int[] {padding}, new int[] {0}, 1, true, new int[] {1});
    }

    /** PyTorch's argument order; sizes are one value for both dims or {@code {h, w}}. */
    public ConvTranspose2d(int inChannels, int outChannels, int[] kernel, int[] stride, int[] padding, int[] outputPadding, int groups,
                           boolean bias, int[] dilation) {
        this(inChannels, outChannels, kernel, stride, padding, outputPadding, groups, bias, dilation, Generator.global());
    }

    /** As the constructor above, drawing the initial weights from {@code generator}. */
    public ConvTranspose2d(int inChannels, int outChannels, int[] kernel, int[] stride, int[] padding, int[] outputPadding, int groups,
                           boolean bias, int[] dilation, Generator generator) {
        String op = "ConvTranspose2d";
        java.util.Objects.requireNonNull(generator, "ConvTranspose2d: generator is null (use Generator.global())");
        this.kernel = Convolutions.pair(op, "kernel size", kernel, 1);
        this.stride = Convolutions.pair(op, "stride", stride, 1);
        this.padding = Convolutions.pair(op, "padding", padding, 0);
        this.outputPadding = Convolutions.pair(op, "output padding", outputPadding, 0);
        this.dilation = Convolutions.pair(op, "dilation", dilation, 1);
        Convolutions.checkChannels(op, inChannels, outChannels, groups);
        for (int i = 0; i < 2; i++) {
            if (this.outputPadding[i] >= this.stride[i] && this.outputPadding[i] >= this.dilation[i]) {
                throw new IllegalArgumentException(op + ": output padding " + Convolutions.tuple(this.outputPadding)
                        + " must be smaller than either the stride " + Convolutions.tuple(this.stride) + " or the dilation "
                        + Convolutions.tuple(this.dilation) + " in each dim");
            }
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.groups = groups;
        int fanIn = outChannels / groups * this.kernel[0] * this.kernel[1];
        double bound = 1.0 / Math.sqrt(fanIn);
        this.weight = parameter("weight", Tensor.uniform(-bound, bound, DType.F32, generator, inChannels, outChannels / groups, this.kernel[0],
                this.kernel[1]));
        this.bias = bias ? parameter("bias", Tensor.uniform(-bound, bound, DType.F32, generator, outChannels)) : null;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Convolutions.convTranspose2d(input, weight.data(), bias == null ? null : bias.data(), stride, padding, outputPadding, groups,
                dilation);
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
        return Convolutions.describe("ConvTranspose2d", inChannels, outChannels, kernel, stride, padding, dilation, outputPadding, groups, bias != null);
    }
}
