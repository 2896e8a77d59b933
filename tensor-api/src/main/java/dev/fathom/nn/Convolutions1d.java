package dev.fathom.nn;

import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.KernelOps;

/**
 * The 1-D convolution and pooling of {@code torch.nn.functional} ({@code conv1d},
 * {@code max_pool1d}, {@code avg_pool1d}) on inputs {@code (N, C, L)} or unbatched {@code (C, L)}:
 * each is its 2-D op ({@link Convolutions}) on a height of 1, so it runs on every backend's
 * convolution and pooling kernels and differentiates as they do. The arguments are checked here,
 * so that a bad one is named in 1-D terms.
 */
public final class Convolutions1d {
    private Convolutions1d() {
    }

    /**
     * 1-D cross-correlation, as {@code torch.nn.functional.conv1d}: x {@code (N, C_in, L)} or
     * {@code (C_in, L)}, weight {@code (C_out, C_in/groups, K)}, bias {@code (C_out)} or null;
     * returns {@code (N, C_out, OL)}, {@code OL = (L + 2·padding − dilation·(K−1) − 1) / stride + 1}.
     */
    public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        String op = "conv1d";
        Convolutions.checkTensor(op, "input", x);
        Convolutions.checkTensor(op, "weight", weight);
        if ((x.dim() != 2 && x.dim() != 3) || weight.dim() != 3) {
            throw new IllegalArgumentException(op + ": expects an input (N, C_in, L) or (C_in, L) and a 3-D weight (C_out, C_in/groups, K), got input "
                    + Shape.format(x.shape()) + " and weight " + Shape.format(weight.shape()));
        }
        Convolutions.sameKind(op, x, weight);
        checkSizes(op, stride, padding, dilation);
        int[] ws = weight.shape();
        int channels = x.size(-2), length = x.size(-1);
        if (groups < 1 || channels != ws[1] * groups || ws[0] % groups != 0 || ws[0] == 0 || ws[1] == 0 || ws[2] == 0) {
            throw new IllegalArgumentException(op + ": input " + Shape.format(x.shape()) + " has " + channels + " channels; weight "
                    + Shape.format(ws) + " with groups " + groups + " expects " + (long) ws[1] * groups
                    + " (weight needs output channels divisible by groups, and a kernel of at least 1)");
        }
        if (bias != null) {
            Convolutions.checkTensor(op, "bias", bias);
            Convolutions.sameKind(op, x, bias);
            if (bias.dim() != 1 || bias.size(0) != ws[0]) {
                throw new IllegalArgumentException(op + ": bias must have shape [" + ws[0] + "] (one per output channel of weight "
                        + Shape.format(ws) + "), got " + Shape.format(bias.shape()));
            }
        }
        checkOutput(op, x, length, ws[2], stride, padding, dilation);
        int h = x.dim() - 1;   // where the height of 1 goes: before L
        return KernelOps.hooks().intermediates(() -> Convolutions.conv2d(x.unsqueeze(h), weight.unsqueeze(2), bias, new int[] {1, stride},
                new int[] {0, padding}, new int[] {1, dilation}, groups).squeeze(h));
    }

    /** Max over windows of {@code (N, C, L)} or {@code (C, L)}, as {@code torch.nn.functional.max_pool1d}; see {@link Convolutions#maxPool2d}. */
    public static Tensor maxPool1d(Tensor x, int kernel, int stride, int padding, int dilation, boolean ceilMode) {
        checkPool("maxPool1d", x, kernel, stride, padding, dilation);
        int h = x.dim() - 1;
        return KernelOps.hooks().intermediates(() -> Convolutions.maxPool2d(x.unsqueeze(h), new int[] {1, kernel}, new int[] {1, stride},
                new int[] {0, padding}, new int[] {1, dilation}, ceilMode).squeeze(h));
    }

    /** Mean over windows of {@code (N, C, L)} or {@code (C, L)}, as {@code torch.nn.functional.avg_pool1d}; see {@link Convolutions#avgPool2d}. */
    public static Tensor avgPool1d(Tensor x, int kernel, int stride, int padding, boolean ceilMode, boolean countIncludePad) {
        checkPool("avgPool1d", x, kernel, stride, padding, 1);
        int h = x.dim() - 1;
        return KernelOps.hooks().intermediates(() -> Convolutions.avgPool2d(x.unsqueeze(h), new int[] {1, kernel}, new int[] {1, stride},
                new int[] {0, padding}, ceilMode, countIncludePad).squeeze(h));
    }

    private static void checkPool(String op, Tensor x, int kernel, int stride, int padding, int dilation) {
        Convolutions.checkTensor(op, "input", x);
        if (x.dim() != 2 && x.dim() != 3) {
            throw new IllegalArgumentException(op + ": expects an input (N, C, L) or (C, L), got " + Shape.format(x.shape()));
        }
        Convolutions.floating(op, x);
        if (kernel < 1) {
            throw new IllegalArgumentException(op + ": kernel size must be at least 1, got " + kernel);
        }
        checkSizes(op, stride, padding, dilation);
        if (padding > kernel / 2) {
            throw new IllegalArgumentException(op + ": padding " + padding + " must be at most half the kernel size " + kernel);
        }
        checkOutput(op, x, x.size(-1), kernel, stride, padding, dilation);
    }

    private static void checkSizes(String op, int stride, int padding, int dilation) {
        if (stride < 1 || padding < 0 || dilation < 1) {
            throw new IllegalArgumentException(op + ": need stride >= 1, padding >= 0 and dilation >= 1, got " + stride + ", " + padding + ", "
                    + dilation);
        }
    }

    private static void checkOutput(String op, Tensor x, int length, int kernel, int stride, int padding, int dilation) {
        long span = (long) dilation * (kernel - 1) + 1;
        if (length + 2L * padding < span) {
            throw new IllegalArgumentException(op + ": input " + Shape.format(x.shape()) + " of length " + length + " with padding " + padding
                    + " is shorter than the kernel " + kernel + (dilation > 1 ? " dilated by " + dilation : "") + " (it spans " + span
                    + "); pad the input or use a smaller kernel");
        }
    }
}
