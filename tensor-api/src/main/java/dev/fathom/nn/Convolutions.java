package dev.fathom.nn;

import dev.fathom.spi.Conv2dGeometry;
import dev.fathom.spi.Pool2dGeometry;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.KernelOps;

import java.util.Arrays;

/**
 * 2-D convolution and pooling on NCHW tensors, with PyTorch's semantics ({@code torch.nn.functional.conv2d},
 * {@code conv_transpose2d}, {@code max_pool2d}, {@code avg_pool2d}, {@code adaptive_avg_pool2d}; {@code ceil_mode=False}).
 * An unbatched {@code (C, H, W)} input gives an unbatched output, as in PyTorch.
 * Hyperparameters given as one int apply to both H and W; as an {@code int[]} they are
 * {@code {h, w}} (or one value for both). Inputs may have any strides; the geometry is checked and
 * computed here once ({@link Conv2dGeometry}, {@link Pool2dGeometry}) and handed to the backend's
 * kernels. Every op is recorded for autograd, and so are their backward passes, so gradients of
 * gradients work too.
 */
public final class Convolutions {
    private Convolutions() {
    }

    // ---- convolution ----------------------------------------------------------------------------

    /** {@code conv2d} with stride 1, no padding, dilation 1, one group. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias) {
        return conv2d(x, weight, bias, 1, 0, 1, 1);
    }

    /** {@code conv2d} with the same stride, padding and dilation for H and W. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        return conv2d(x, weight, bias, new int[] {stride}, new int[] {padding}, new int[] {dilation}, groups);
    }

    /**
     * 2-D cross-correlation, as {@code torch.nn.functional.conv2d}: x {@code (N, C_in, H, W)},
     * weight {@code (C_out, C_in/groups, KH, KW)}, bias {@code (C_out)} or null; returns
     * {@code (N, C_out, OH, OW)}, {@code OH = (H + 2·padH − dilH·(KH−1) − 1) / strideH + 1}.
     * stride, padding and dilation are {@code {h, w}} or a single value for both.
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        String op = "conv2d";
        checkTensor(op, "input", x);
        checkTensor(op, "weight", weight);
        int[] s = pair(op, "stride", stride, 1), p = pair(op, "padding", padding, 0), d = pair(op, "dilation", dilation, 1);
        if (x.dim() == 3 && weight.dim() == 4) {
            return unbatched(x, b -> conv2d(b, weight, bias, s, p, d, groups));
        }
        if (x.dim() != 4 || weight.dim() != 4) {
            throw new IllegalArgumentException(op + ": expects an input (N, C_in, H, W) or (C_in, H, W) and a 4-D weight (C_out, C_in/groups, KH, KW), got input "
                    + Shape.format(x.shape()) + " and weight " + Shape.format(weight.shape()));
        }
        sameKind(op, x, weight);
        int[] xs = x.shape(), ws = weight.shape();
        if (groups < 1) {
            throw new IllegalArgumentException(op + ": groups must be at least 1, got " + groups);
        }
        if (xs[1] != ws[1] * groups) {
            throw new IllegalArgumentException(op + ": input " + Shape.format(xs) + " has " + xs[1] + " channels but weight " + Shape.format(ws)
                    + " expects " + ws[1] * groups + " (groups " + groups + ")");
        }
        if (ws[0] % groups != 0 || ws[0] == 0 || ws[1] == 0 || ws[2] == 0 || ws[3] == 0) {
            throw new IllegalArgumentException(op + ": weight " + Shape.format(ws) + " needs a positive number of output channels divisible by groups "
                    + groups + ", at least one input channel and a kernel of at least 1x1");
        }
        if (bias != null) {
            checkTensor(op, "bias", bias);
            sameKind(op, x, bias);
            if (bias.dim() != 1 || bias.size(0) != ws[0]) {
                throw new IllegalArgumentException(op + ": bias must have shape [" + ws[0] + "] (one per output channel of weight "
                        + Shape.format(ws) + "), got " + Shape.format(bias.shape()));
            }
        }
        Conv2dGeometry g = Conv2dGeometry.of(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], s[0], s[1], p[0], p[1], d[0], d[1], groups);
        if (g.outH() < 1 || g.outW() < 1) {
            throw new IllegalArgumentException(op + ": input " + Shape.format(xs) + " with padding " + Arrays.toString(p)
                    + " is smaller than the kernel " + ws[2] + "x" + ws[3] + " dilated by " + Arrays.toString(d)
                    + " (output would be " + g.outH() + "x" + g.outW() + "); pad the input or use a smaller kernel");
        }
        return ConvOps.forward(g, x, weight, bias);
    }

    // ---- transposed convolution -----------------------------------------------------------------

    /** {@code convTranspose2d} with the same stride, padding, output padding and dilation for H and W. */
    public static Tensor convTranspose2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int outputPadding, int groups,
                                         int dilation) {
        return convTranspose2d(x, weight, bias, new int[] {stride}, new int[] {padding}, new int[] {outputPadding}, groups,
                new int[] {dilation});
    }

    /**
     * 2-D transposed convolution, as {@code torch.nn.functional.conv_transpose2d} (the gradient of
     * {@link #conv2d} with respect to its input): x {@code (N, C_in, H, W)}, weight
     * {@code (C_in, C_out/groups, KH, KW)}, bias {@code (C_out)} or null; every x[n, c, i, j]
     * scatters {@code x·w[c, o, p, q]} to {@code out[n, o, i·sH − padH + p·dilH, j·sW − padW + q·dilW]}
     * (targets outside the output are dropped), giving {@code (N, C_out, OH, OW)} with
     * {@code OH = (H − 1)·strideH − 2·padH + dilH·(KH − 1) + outputPaddingH + 1}. Output padding
     * only lengthens the output at the bottom and right and must be smaller than the stride or the
     * dilation, as PyTorch checks. Argument order is PyTorch's.
     *
     * <p>Runs on the convolution kernels: it is {@code conv2dBackwardData} of the convolution that maps
     * the {@code (OH, OW)} output back to {@code (H, W)}; its gradients are that convolution's forward
     * (for x) and weight gradient (for w), to any order ({@link ConvOps}).
     */
    public static Tensor convTranspose2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] outputPadding,
                                         int groups, int[] dilation) {
        String op = "convTranspose2d";
        checkTensor(op, "input", x);
        checkTensor(op, "weight", weight);
        int[] s = pair(op, "stride", stride, 1), p = pair(op, "padding", padding, 0), d = pair(op, "dilation", dilation, 1);
        int[] op2 = pair(op, "output padding", outputPadding, 0);
        if (x.dim() == 3 && weight.dim() == 4) {
            return unbatched(x, b -> convTranspose2d(b, weight, bias, s, p, op2, groups, d));
        }
        if (x.dim() != 4 || weight.dim() != 4) {
            throw new IllegalArgumentException(op + ": expects an input (N, C_in, H, W) or (C_in, H, W) and a 4-D weight (C_in, C_out/groups, KH, KW), got input "
                    + Shape.format(x.shape()) + " and weight " + Shape.format(weight.shape()));
        }
        sameKind(op, x, weight);
        int[] xs = x.shape(), ws = weight.shape();
        if (groups < 1) {
            throw new IllegalArgumentException(op + ": groups must be at least 1, got " + groups);
        }
        if (xs[1] != ws[0]) {
            throw new IllegalArgumentException(op + ": input " + Shape.format(xs) + " has " + xs[1] + " channels but weight " + Shape.format(ws)
                    + " expects " + ws[0] + " (the weight of a transposed convolution is (C_in, C_out/groups, KH, KW))");
        }
        if (ws[0] % groups != 0 || ws[0] == 0 || ws[1] == 0 || ws[2] == 0 || ws[3] == 0) {
            throw new IllegalArgumentException(op + ": weight " + Shape.format(ws) + " needs a positive number of input channels divisible by groups "
                    + groups + ", at least one output channel and a kernel of at least 1x1");
        }
        for (int i = 0; i < 2; i++) {
            if (op2[i] >= s[i] && op2[i] >= d[i]) {
                throw new IllegalArgumentException(op + ": output padding " + tuple(op2) + " must be smaller than either the stride "
                        + tuple(s) + " or the dilation " + tuple(d) + " in each dim");
            }
        }
        if (xs[2] == 0 || xs[3] == 0) {
            throw new IllegalArgumentException(op + ": input " + Shape.format(xs) + " has an empty plane");
        }
        int cOut = ws[1] * groups;
        if (bias != null) {
            checkTensor(op, "bias", bias);
            sameKind(op, x, bias);
            if (bias.dim() != 1 || bias.size(0) != cOut) {
                throw new IllegalArgumentException(op + ": bias must have shape [" + cOut + "] (C_out = groups " + groups + " x weight "
                        + Shape.format(ws) + " dim 1), got " + Shape.format(bias.shape()));
            }
        }
        int outH = transposedSize(xs[2], ws[2], s[0], p[0], op2[0], d[0]), outW = transposedSize(xs[3], ws[3], s[1], p[1], op2[1], d[1]);
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException(op + ": input " + Shape.format(xs) + " with kernel " + ws[2] + "x" + ws[3] + ", stride " + tuple(s)
                    + ", padding " + tuple(p) + ", output padding " + tuple(op2) + " and dilation " + tuple(d) + " gives an output of "
                    + outH + "x" + outW + "; use less padding");
        }
        // Output padding of a stride or more (allowed when below the dilation) has no convolution
        // whose output size rule maps (OH, OW) back to (H, W); zero rows/columns appended to x (which
        // scatter nothing) bring it back below the stride with the same output size.
        int extraH = op2[0] / s[0], extraW = op2[1] / s[1];
        return KernelOps.hooks().intermediates(() -> {
            Tensor xp = x;
            if (extraH > 0) {
                xp = Tensor.cat(2, xp, Tensor.zeros(x.dtype(), x.device(), xs[0], xs[1], extraH, xs[3]));
            }
            if (extraW > 0) {
                xp = Tensor.cat(3, xp, Tensor.zeros(x.dtype(), x.device(), xs[0], xs[1], xs[2] + extraH, extraW));
            }
            // The convolution from the (N, C_out, OH, OW) output to xp's (N, C_in, H', W'): its weight
            // (C_in, C_out/groups, KH, KW) is the transposed convolution's weight as it stands.
            Conv2dGeometry g = Conv2dGeometry.of(xs[0], cOut, outH, outW, ws[0], ws[2], ws[3], s[0], s[1], p[0], p[1], d[0], d[1], groups);
            if (g.outH() != xp.size(2) || g.outW() != xp.size(3)) {
                throw new IllegalStateException(op + ": internal shape rule mismatch " + g + " for input " + Shape.format(xp.shape()));
            }
            return ConvOps.transpose(g, xp, weight, bias);
        });
    }

    /** {@code (in − 1)·stride − 2·pad + dil·(k − 1) + outputPadding + 1}: PyTorch's output length of a transposed convolution. */
    public static int transposedSize(int in, int k, int stride, int pad, int outputPadding, int dil) {
        return (in - 1) * stride - 2 * pad + dil * (k - 1) + outputPadding + 1;
    }

    // ---- pooling --------------------------------------------------------------------------------

    /** {@code maxPool2d} with stride = kernel, no padding. */
    public static Tensor maxPool2d(Tensor x, int kernel) {
        return maxPool2d(x, kernel, kernel, 0);
    }

    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        return maxPool2d(x, new int[] {kernel}, new int[] {stride}, new int[] {padding}, new int[] {1});
    }

    /**
     * Max over windows, as {@code torch.nn.functional.max_pool2d}: x {@code (N, C, H, W)}; padding
     * never wins and is at most half the kernel; ties go to the first element of the window. The
     * gradient flows to the argmax of each window.
     */
    public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        return maxPool2d(x, kernel, stride, padding, dilation, false);
    }

    /** {@link #maxPool2d(Tensor, int[], int[], int[], int[])} with PyTorch's {@code ceil_mode}: a last, partial window where the input leaves one. */
    public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        if (x != null && x.dim() == 3) {
            return unbatched(x, b -> maxPool2d(b, kernel, stride, padding, dilation, ceilMode));
        }
        Pool2dGeometry g = poolGeometry("maxPool2d", x, kernel, stride, padding, dilation, ceilMode);
        return PoolOps.max(g, x);
    }

    /** {@code avgPool2d} with stride = kernel, no padding. */
    public static Tensor avgPool2d(Tensor x, int kernel) {
        return avgPool2d(x, kernel, kernel, 0);
    }

    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        return avgPool2d(x, new int[] {kernel}, new int[] {stride}, new int[] {padding}, true);
    }

    /**
     * Mean over windows, as {@code torch.nn.functional.avg_pool2d}: x {@code (N, C, H, W)}. With
     * {@code countIncludePad} (PyTorch's default) every window divides by KH·KW, padding counting
     * as zeros; without, by the number of real elements in the window.
     */
    public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean countIncludePad) {
        return avgPool2d(x, kernel, stride, padding, false, countIncludePad);
    }

    /**
     * {@link #avgPool2d(Tensor, int[], int[], int[], boolean)} with PyTorch's {@code ceil_mode}: a
     * last, partial window where the input leaves one, which divides (with {@code countIncludePad})
     * by its part inside the padded input, as PyTorch's.
     */
    public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean ceilMode, boolean countIncludePad) {
        if (x != null && x.dim() == 3) {
            return unbatched(x, b -> avgPool2d(b, kernel, stride, padding, ceilMode, countIncludePad));
        }
        Pool2dGeometry g = poolGeometry("avgPool2d", x, kernel, stride, padding, new int[] {1}, ceilMode);
        return PoolOps.avg(g, countIncludePad, x);
    }

    /**
     * Averages x {@code (N, C, H, W)} to {@code (N, C, outH, outW)} as
     * {@code torch.nn.functional.adaptive_avg_pool2d}: output row i averages input rows
     * {@code [floor(i·H/outH), ceil((i+1)·H/outH))}, likewise columns. A plain average pool when
     * the sizes divide; otherwise two products with averaging matrices, {@code A_h · x · A_wᵀ}.
     */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        String op = "adaptiveAvgPool2d";
        checkTensor(op, "input", x);
        if (x.dim() == 3) {
            return unbatched(x, b -> adaptiveAvgPool2d(b, outH, outW));
        }
        if (x.dim() != 4) {
            throw new IllegalArgumentException(op + ": expects an input (N, C, H, W) or (C, H, W), got " + Shape.format(x.shape()));
        }
        floating(op, x);
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException(op + ": output size must be positive, got " + outH + "x" + outW);
        }
        int h = x.size(2), w = x.size(3);
        if (h == 0 || w == 0) {
            throw new IllegalArgumentException(op + ": input " + Shape.format(x.shape()) + " has an empty plane");
        }
        if (h % outH == 0 && w % outW == 0) {
            int kh = h / outH, kw = w / outW;
            return avgPool2d(x, new int[] {kh, kw}, new int[] {kh, kw}, new int[] {0}, true);
        }
        KernelOps.Hooks hooks = KernelOps.hooks();
        return hooks.intermediates(() -> {
            Tensor ah = averaging(outH, h, x), awT = averaging(outW, w, x).t();
            return ah.matmul(x.matmul(awT));
        });
    }

    /** {@code (out, in)}: row i holds 1/len on PyTorch's adaptive window of i, in x's dtype and device. */
    private static Tensor averaging(int out, int in, Tensor like) {
        double[] a = new double[out * in];
        for (int i = 0; i < out; i++) {
            int start = Math.floorDiv(i * in, out), end = -Math.floorDiv(-(i + 1) * in, out);
            for (int j = start; j < end; j++) {
                a[i * in + j] = 1.0 / (end - start);
            }
        }
        return Tensor.of(a, out, in).to(like.dtype()).to(like.device());
    }

    /** An unbatched (C, H, W) input, as PyTorch accepts: run as a batch of one, then drop the batch dim. */
    private static Tensor unbatched(Tensor x, java.util.function.UnaryOperator<Tensor> op) {
        return KernelOps.hooks().intermediates(() -> op.apply(x.unsqueeze(0)).squeeze(0));
    }

    // ---- checks ---------------------------------------------------------------------------------

    private static Pool2dGeometry poolGeometry(String op, Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        checkTensor(op, "input", x);
        int[] k = pair(op, "kernel size", kernel, 1), s = pair(op, "stride", stride, 1);
        int[] p = pair(op, "padding", padding, 0), d = pair(op, "dilation", dilation, 1);
        if (x.dim() != 4) {
            throw new IllegalArgumentException(op + ": expects an input (N, C, H, W) or (C, H, W), got " + Shape.format(x.shape()));
        }
        floating(op, x);
        if (p[0] > k[0] / 2 || p[1] > k[1] / 2) {
            throw new IllegalArgumentException(op + ": padding " + Arrays.toString(p) + " must be at most half the kernel size "
                    + Arrays.toString(k));
        }
        int[] xs = x.shape();
        Pool2dGeometry g = Pool2dGeometry.of(xs[0], xs[1], xs[2], xs[3], k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], ceilMode);
        if (g.outH() < 1 || g.outW() < 1) {
            throw new IllegalArgumentException(op + ": input " + Shape.format(xs) + " with padding " + Arrays.toString(p)
                    + " is smaller than the kernel " + k[0] + "x" + k[1] + (d[0] * d[1] > 1 ? " dilated by " + Arrays.toString(d) : "")
                    + " (output would be " + g.outH() + "x" + g.outW() + ")");
        }
        return g;
    }

    /** {@code {h, w}} from one value or two, each at least {@code min}. */
    static int[] pair(String op, String name, int[] v, int min) {
        if (v == null || v.length < 1 || v.length > 2) {
            throw new IllegalArgumentException(op + ": " + name + " must be one value or {h, w}, got "
                    + (v == null ? "null" : Arrays.toString(v)));
        }
        int[] out = v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
        if (out[0] < min || out[1] < min) {
            throw new IllegalArgumentException(op + ": " + name + " must be at least " + min + ", got " + Arrays.toString(v));
        }
        return out;
    }

    /** PyTorch's way of printing a size pair: {@code (3, 3)}. */
    static String tuple(int[] hw) {
        return "(" + hw[0] + ", " + hw[1] + ")";
    }

    /** One number when both dims agree, else {@code (h, w)}, as PyTorch prints pooling sizes given as ints. */
    static String size(int[] hw) {
        return hw[0] == hw[1] ? Integer.toString(hw[0]) : tuple(hw);
    }

    static void checkTensor(String op, String what, Tensor t) {
        if (t == null) {
            throw new NullPointerException(op + ": " + what + " is null");
        }
        t.checkOpen(op);
    }

    static void floating(String op, Tensor t) {
        if (t.dtype() != DType.F32 && t.dtype() != DType.F64) {
            throw new IllegalArgumentException(op + ": needs a floating tensor (F32 or F64), got " + t.describe() + "; convert with .to(DType.F32)");
        }
    }

    static void sameKind(String op, Tensor x, Tensor other) {
        floating(op, x);
        if (other.dtype() != x.dtype()) {
            throw new IllegalArgumentException(op + ": dtypes differ: input " + x.describe() + " and " + other.describe()
                    + "; convert one with .to(DType." + x.dtype() + ") (Fathom never promotes silently)");
        }
        if (!other.device().equals(x.device())) {
            throw new IllegalArgumentException(op + ": tensors are on different devices: input " + x.describe() + " and " + other.describe()
                    + "; move one with .to(Device)");
        }
    }

    /** Rejects channel counts that are not positive or not divisible by {@code groups}, naming the layer. */
    static void checkChannels(String op, int inChannels, int outChannels, int groups) {
        if (inChannels < 1 || outChannels < 1 || groups < 1 || inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException(op + ": in_channels " + inChannels + " and out_channels " + outChannels
                    + " must be positive and divisible by groups " + groups);
        }
    }

    /** A convolution layer as PyTorch prints it: only the settings that differ from the defaults. */
    static String describe(String name, int inChannels, int outChannels, int[] kernel, int[] stride, int[] padding, int[] dilation,
            int[] outputPadding, int groups, boolean bias) {
        StringBuilder sb = new StringBuilder(name).append('(').append(inChannels).append(", ").append(outChannels)
                .append(", kernel_size=").append(tuple(kernel)).append(", stride=").append(tuple(stride));
        if (padding[0] != 0 || padding[1] != 0) {
            sb.append(", padding=").append(tuple(padding));
        }
        if (dilation[0] != 1 || dilation[1] != 1) {
            sb.append(", dilation=").append(tuple(dilation));
        }
        if (outputPadding != null && (outputPadding[0] != 0 || outputPadding[1] != 0)) {
            sb.append(", output_padding=").append(tuple(outputPadding));
        }
        if (groups != 1) {
            sb.append(", groups=").append(groups);
        }
        if (!bias) {
            sb.append(", bias=False");
        }
        return sb.append(')').toString();
    }
}
