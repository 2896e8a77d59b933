package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
import dev.fathom.spi.Kernels;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import dev.fathom.tensor.internal.KernelOps;

import java.util.ArrayList;
import java.util.List;

import static dev.fathom.nn.KernelOperands.closeCopy;
import static dev.fathom.nn.KernelOperands.contiguous;

/**
 * Layer norm and training-mode batch norm through the backend's fused kernels
 * ({@link Kernels#layerNorm}, {@link Kernels#batchNorm} and their backwards); {@link Normalization}
 * validates the arguments, holds the composites that define both, and uses those when a backend has
 * no such kernel (a null result here).
 *
 * <p>The forward saves the per-row (per-channel) mean and reciprocal std the kernel returns; the
 * node's backward hands them to the backward kernel when the pass builds no graph. When it does
 * ({@code createGraph}), the gradient is written with tensor ops from x, weight and the incoming
 * gradient, recomputing the statistics, so that it is recorded and differentiable again. With
 * {@code xhat = (x − mean)·rstd} and {@code g' = g·w} over the normalized elements (M of them):
 * {@code gx = rstd·(g' − mean(g') − xhat·mean(g'·xhat))}, {@code gw = Σ g·xhat}, {@code gb = Σ g}.
 */
final class NormOps {
    private NormOps() {
    }

    /** The result of a fused forward: the output and the statistics for the running averages. */
    record Result(Tensor out, Tensor mean, Tensor rstd) {
    }

    /** Layer norm over the trailing {@code k} dims (arguments checked), or null without a kernel. */
    static Tensor layerNorm(Tensor x, int k, Tensor weight, Tensor bias, double eps) {
        KernelOps.Hooks h = KernelOps.hooks();
        int[] shape = x.shape();
        long n = 1;
        for (int d = shape.length - k; d < shape.length; d++) {
            n *= shape[d];
        }
        int rows = (int) (x.numel() / n);
        long normalized = n;
        Tensor[] operands = {contiguous(x), contiguous(weight), contiguous(bias)};
        Tensor out = h.empty(x.dtype(), x.device(), shape);
        Tensor mean = h.empty(x.dtype(), x.device(), new int[] {rows});
        Tensor rstd = h.empty(x.dtype(), x.device(), new int[] {rows});
        Tensor xc = operands[0], wc = operands[1];
        try {
            Backends.kernels(x.device()).layerNorm(h.strided(xc), normalized, strided(h, wc), strided(h, operands[2]), eps,
                    h.strided(out), h.strided(mean), h.strided(rstd));
        } catch (UnsupportedOperationException e) {
            closeAll(out, mean, rstd);
            closeCopies(operands, x, weight, bias);
            return null;
        }
        closeCopies(new Tensor[] {null, null, operands[2]}, x, weight, bias);
        int[] dims = new int[k];
        int[] lead = new int[shape.length - k];
        for (int i = 0; i < k; i++) {
            dims[i] = shape.length - k + i;
        }
        for (int i = 0; i < lead.length; i++) {
            lead[i] = i;
        }
        return record("layer_norm", out, x, weight, bias, mean, rstd, gy -> {
            if (!Autograd.shouldRecord(x, weight, gy)) {
                Tensor[] g = kernelGrads(h, x, weight, bias, (kk, gyc, gx, gw, gb) ->
                        kk.layerNormBackward(gyc, h.strided(xc), h.strided(mean), h.strided(rstd), strided(h, wc), gx, gw, gb), gy);
                if (g != null) {
                    return g;
                }
            }
            Tensor m = x.mean(dims, true);
            Tensor r = x.var(dims, 0, true).add(eps).rsqrt();
            return compositeGrads(x, weight, bias, gy, m, r, dims, weight, lead);
        }, xc, wc);
    }

    /** Batch-statistics batch norm over dims (0, 2, ...) of x (arguments checked), or null without a kernel. */
    static Result batchNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        KernelOps.Hooks h = KernelOps.hooks();
        int c = x.size(1);
        Tensor[] operands = {contiguous(x), contiguous(weight), contiguous(bias)};
        Tensor out = h.empty(x.dtype(), x.device(), x.shape());
        Tensor mean = h.empty(x.dtype(), x.device(), new int[] {c});
        Tensor invstd = h.empty(x.dtype(), x.device(), new int[] {c});
        Tensor xc = operands[0], wc = operands[1];
        try {
            Backends.kernels(x.device()).batchNorm(h.strided(xc), strided(h, wc), strided(h, operands[2]), eps, h.strided(out),
                    h.strided(mean), h.strided(invstd));
        } catch (UnsupportedOperationException e) {
            closeAll(out, mean, invstd);
            closeCopies(operands, x, weight, bias);
            return null;
        }
        closeCopies(new Tensor[] {null, null, operands[2]}, x, weight, bias);
        int[] dims = new int[x.dim() - 1];
        for (int i = 1; i < dims.length; i++) {
            dims[i] = i + 1;
        }
        int[] channelShape = Normalization.channelShape(x.dim(), c);
        Tensor y = record("batch_norm", out, x, weight, bias, mean, invstd, gy -> {
            if (!Autograd.shouldRecord(x, weight, gy)) {
                Tensor[] g = kernelGrads(h, x, weight, bias, (kk, gyc, gx, gw, gb) ->
                        kk.batchNormBackward(gyc, h.strided(xc), h.strided(mean), h.strided(invstd), strided(h, wc), gx, gw, gb), gy);
                if (g != null) {
                    return g;
                }
            }
            Tensor m = x.mean(dims, true);
            Tensor r = x.var(dims, 0, true).add(eps).rsqrt();
            return compositeGrads(x, weight, bias, gy, m, r, dims, weight == null ? null : weight.reshape(channelShape), dims);
        }, xc, wc);
        return new Result(y, mean, invstd);
    }

    @FunctionalInterface
    private interface BackwardKernel {
        void run(Kernels k, Strided gy, Strided gx, Strided gw, Strided gb);
    }

    /** The gradients by the backward kernel, in input order, or null when the backend has none. */
    private static Tensor[] kernelGrads(KernelOps.Hooks h, Tensor x, Tensor weight, Tensor bias, BackwardKernel kernel, Tensor gy) {
        Tensor gyc = contiguous(gy);
        Tensor gx = h.empty(x.dtype(), x.device(), x.shape());
        Tensor gw = weight != null && weight.requiresGrad() ? h.empty(x.dtype(), x.device(), weight.shape()) : null;
        Tensor gb = bias != null && bias.requiresGrad() ? h.empty(x.dtype(), x.device(), bias.shape()) : null;
        try {
            kernel.run(Backends.kernels(x.device()), h.strided(gyc), h.strided(gx), strided(h, gw), strided(h, gb));
        } catch (UnsupportedOperationException e) {
            closeAll(gx, gw, gb);
            return null;
        } finally {
            if (gyc != gy) {
                gyc.close();
            }
        }
        return inputOrder(x.requiresGrad() ? gx : null, weight, gw, bias, gb);
    }

    /**
     * The recorded formula of the class comment over {@code dims}; {@code w} is the weight shaped to
     * broadcast against x, or null; the parameter gradients sum over {@code sumDims}.
     */
    private static Tensor[] compositeGrads(Tensor x, Tensor weight, Tensor bias, Tensor gy, Tensor mean, Tensor rstd, int[] dims, Tensor w,
                                           int[] sumDims) {
        Tensor xhat = x.sub(mean).mul(rstd);
        Tensor g = w == null ? gy : gy.mul(w);
        Tensor gx = x.requiresGrad()
                ? rstd.mul(g.sub(g.mean(dims, true)).sub(xhat.mul(g.mul(xhat).mean(dims, true))))
                : null;
        Tensor gw = weight != null && weight.requiresGrad() ? sumOver(gy.mul(xhat), sumDims).reshape(weight.shape()) : null;
        Tensor gb = bias != null && bias.requiresGrad() ? sumOver(gy, sumDims).reshape(bias.shape()) : null;
        return inputOrder(gx, weight, gw, bias, gb);
    }

    /** Sum over {@code dims}; none means none here (an empty list would mean all dims to {@code sum}). */
    private static Tensor sumOver(Tensor t, int[] dims) {
        return dims.length == 0 ? t : t.sum(dims, false);
    }

    private static Tensor[] inputOrder(Tensor gx, Tensor weight, Tensor gw, Tensor bias, Tensor gb) {
        List<Tensor> out = new ArrayList<>(3);
        out.add(gx);
        if (weight != null) {
            out.add(gw);
        }
        if (bias != null) {
            out.add(gb);
        }
        return out.toArray(new Tensor[0]);
    }

    private static Tensor record(String op, Tensor out, Tensor x, Tensor weight, Tensor bias, Tensor mean, Tensor rstd,
                                 dev.fathom.autograd.BackwardFn fn, Tensor xc, Tensor wc) {
        List<Tensor> inputs = new ArrayList<>(3);
        inputs.add(x);
        if (weight != null) {
            inputs.add(weight);
        }
        if (bias != null) {
            inputs.add(bias);
        }
        List<Tensor> saved = new ArrayList<>(inputs);
        saved.addAll(List.of(mean, rstd));
        if (xc != x) {
            saved.add(xc);
        }
        if (wc != null && wc != weight) {
            saved.add(wc);
        }
        return KernelOps.hooks().record(op, out, inputs.toArray(new Tensor[0]), saved.toArray(new Tensor[0]), fn);
    }

    /** A per-feature operand (weight, bias or their gradients; contiguous) as the kernels take it: flat {@code (n,)}, or null. */
    private static Strided strided(KernelOps.Hooks h, Tensor t) {
        if (t == null) {
            return null;
        }
        Strided s = h.strided(t);
        return new Strided(s.buffer(), new int[] {Math.toIntExact(t.numel())}, new long[] {1}, s.offset());
    }

    private static void closeCopies(Tensor[] copies, Tensor... originals) {
        for (int i = 0; i < copies.length; i++) {
            closeCopy(copies[i], originals[i]);
        }
    }

    private static void closeAll(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null) {
                t.close();
            }
        }
    }
}
