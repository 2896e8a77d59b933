package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * Layer and batch normalization: argument checks, and the compositions of tensor ops that define
 * both. Layer norm and batch-statistics batch norm run the backend's fused kernels through
 * {@link NormOps} when it has them, and these composites otherwise; eval-mode batch norm composes.
 */
final class Normalization {
    private Normalization() {
    }

    static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        String op = "layerNorm";
        Checks.floating(op, "input", x);
        Objects.requireNonNull(normalizedShape, "layerNorm: normalizedShape is null");
        Checks.like(op, "input", x, "weight", weight);
        Checks.like(op, "input", x, "bias", bias);
        Checks.positive(op, "eps", eps);
        int k = normalizedShape.length;
        int[] shape = x.shape();
        if (k == 0 || k > shape.length
                || !Arrays.equals(Arrays.copyOfRange(shape, shape.length - k, shape.length), normalizedShape)) {
            throw new IllegalArgumentException("layerNorm: input " + Shape.format(shape) + " must end in the normalized shape "
                    + Shape.format(normalizedShape));
        }
        Checks.shape(op, "weight", weight, normalizedShape);
        Checks.shape(op, "bias", bias, normalizedShape);
        Tensor fused = x.numel() > 0 ? NormOps.layerNorm(x, k, weight, bias, eps) : null;
        if (fused != null) {
            return fused;
        }
        int[] dims = new int[k];
        for (int i = 0; i < k; i++) {
            dims[i] = shape.length - k + i;
        }
        Tensor mean = x.mean(dims, true);
        Tensor centered = x.sub(mean);
        Tensor var = x.var(dims, 0, true);
        Tensor y = centered.mul(var.add(eps).rsqrt());
        if (weight != null) {
            y = y.mul(weight);
        }
        return bias == null ? y : y.add(bias);
    }

    /**
     * Group normalization: x {@code [N, C, *]} seen as {@code [N, G, (C/G)·Π*]}, each row normalized
     * as {@link #layerNorm} does (the fused kernels where the backend has them), then the
     * per-channel affine.
     */
    static Tensor groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps) {
        String op = "groupNorm";
        Checks.floating(op, "input", x);
        Checks.like(op, "input", x, "weight", weight);
        Checks.like(op, "input", x, "bias", bias);
        Checks.positive(op, "eps", eps);
        int[] shape = x.shape();
        if (shape.length < 2) {
            throw new IllegalArgumentException("groupNorm: input must be [N, C, *], got " + x.describe());
        }
        int c = shape[1];
        if (groups < 1 || c % groups != 0) {
            throw new IllegalArgumentException("groupNorm: " + c + " channels (input " + Shape.format(shape) + ") do not split into "
                    + groups + " groups; the group count must divide the channel count");
        }
        Checks.shape(op, "weight", weight, c);
        Checks.shape(op, "bias", bias, c);
        if (x.numel() == 0) {
            return x.mul(1);
        }
        long perGroup = x.numel() / shape[0] / groups;
        Tensor rows = x.reshape(shape[0], groups, Math.toIntExact(perGroup));
        Tensor y = layerNorm(rows, new int[] {(int) perGroup}, null, null, eps).reshape(shape);
        int[] along = channelShape(shape.length, c);
        if (weight != null) {
            y = y.mul(weight.reshape(along));
        }
        return bias == null ? y : y.add(bias.reshape(along));
    }

    /** {@code [1, c, 1, …]} of {@code rank} dims: a per-channel {@code [c]} tensor reshaped to broadcast over {@code [N, c, *]}. */
    static int[] channelShape(int rank, int c) {
        int[] shape = new int[rank];
        Arrays.fill(shape, 1);
        shape[1] = c;
        return shape;
    }

    static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, boolean training,
                            double momentum, double eps) {
        String op = "batchNorm";
        Checks.floating(op, "input", x);
        if (x.dim() < 2 || x.dim() > 4) {
            throw new IllegalArgumentException("batchNorm: input must be [N, C], [N, C, L] or [N, C, H, W], got " + x.describe());
        }
        int c = x.size(1);
        String[] names = {"runningMean", "runningVar", "weight", "bias"};
        Tensor[] perChannel = {runningMean, runningVar, weight, bias};
        for (int i = 0; i < 4; i++) {
            Checks.like(op, "input", x, names[i], perChannel[i]);
            if (perChannel[i] != null && !Arrays.equals(perChannel[i].shape(), new int[] {c})) {
                throw new IllegalArgumentException("batchNorm: " + names[i] + " must have shape [" + c + "] (the channels of input "
                        + Shape.format(x.shape()) + "), got " + Shape.format(perChannel[i].shape()));
            }
        }
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException("batchNorm: give both running statistics or neither");
        }
        Checks.range(op, "momentum", momentum, 0, 1);
        Checks.positive(op, "eps", eps);
        int[] dims = new int[x.dim() - 1];
        dims[0] = 0;
        for (int i = 2; i < x.dim(); i++) {
            dims[i - 1] = i;
        }
        int[] channelShape = channelShape(x.dim(), c);
        boolean batchStats = training || runningMean == null;
        Tensor mean;
        Tensor var;
        if (batchStats) {
            long n = x.numel() / Math.max(c, 1);
            if (training && n <= 1) {
                throw new IllegalArgumentException("batchNorm: expected more than 1 value per channel when training, got input "
                        + Shape.format(x.shape()) + "; use a larger batch or eval()");
            }
            NormOps.Result fused = x.numel() > 0 ? NormOps.batchNorm(x, weight, bias, eps) : null;
            if (fused != null) {
                if (training && runningMean != null) {
                    updateRunningFromInvstd(runningMean, runningVar, fused.mean(), fused.rstd(), n, momentum, eps);
                }
                return fused.out();
            }
            mean = x.mean(dims, true);
            var = x.var(dims, 0, true);
            if (training && runningMean != null) {
                updateRunning(runningMean, runningVar, mean, var, n, momentum);
            }
        } else {
            mean = runningMean.reshape(channelShape);
            var = runningVar.reshape(channelShape);
        }
        Tensor y = x.sub(mean).mul(var.add(eps).rsqrt());
        if (weight != null) {
            y = y.mul(weight.reshape(channelShape));
        }
        return bias == null ? y : y.add(bias.reshape(channelShape));
    }

    /**
     * {@link #updateRunning} from the fused kernel's statistics: the biased variance is
     * {@code 1/invstd² − eps}, computed in F64 so that an F32 invstd loses no more than its own rounding.
     */
    private static void updateRunningFromInvstd(Tensor runningMean, Tensor runningVar, Tensor mean, Tensor invstd, long n, double momentum,
                                                double eps) {
        try (var g = Autograd.noGrad()) {
            // to() returns its receiver when the dtype already matches: close only real copies.
            Tensor i64 = invstd.to(DType.F64);
            Tensor square = i64.mul(i64);
            Tensor recip = square.reciprocal();
            Tensor var64 = recip.sub(eps);
            Tensor var = var64.to(invstd.dtype());
            updateRunning(runningMean, runningVar, mean, var, n, momentum);
            for (Tensor t : new Tensor[] {var != var64 ? var : null, var64, recip, square, i64 != invstd ? i64 : null}) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    /**
     * Running statistics use the unbiased variance (n/(n−1) times the biased one), as PyTorch.
     * Under noGrad the views below do not require grad, so the in-place writes are allowed.
     */
    private static void updateRunning(Tensor runningMean, Tensor runningVar, Tensor mean, Tensor var, long n, double momentum) {
        int c = runningMean.size(0);
        try (var g = Autograd.noGrad();
             Tensor m = mean.reshape(c);
             Tensor v = var.reshape(c);
             Tensor unbiased = v.mul((double) n / (n - 1))) {
            runningMean.mulInPlace(1 - momentum).addInPlace(m, momentum);
            runningVar.mulInPlace(1 - momentum).addInPlace(unbiased, momentum);
        }
    }
}
