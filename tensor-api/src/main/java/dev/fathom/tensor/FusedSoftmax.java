package dev.fathom.tensor;

import dev.fathom.autograd.Autograd;
import dev.fathom.spi.Kernels;

/**
 * Softmax and log-softmax through the backend's fused kernels
 * ({@link Kernels#softmax}, {@link Kernels#softmaxBackward}); {@link Reductions} holds the
 * composites that define them and that serve when a backend has no such kernel.
 *
 * <p>The node saves the output y. Its backward runs the backward kernel when the pass builds no
 * graph (plain {@code backward()}); when it does ({@code createGraph}, so that y or the incoming
 * gradient requires grad), it uses the same formula written with tensor ops, which is then
 * recorded and differentiable again (through y, whose node is this one):
 * softmax {@code gx = y·(g − Σ g·y)}, log-softmax {@code gx = g − exp(y)·Σ g}.
 */
final class FusedSoftmax {
    private FusedSoftmax() {
    }

    /** The fused result, or null when the backend has no softmax kernel (the caller then composes). */
    static Tensor forward(Tensor x, int axis, boolean log) {
        Kernels k = Ops.kernels(x.device());
        Tensor out = Ops.empty(x.dtype(), x.device(), x.shape);
        Tensor xc = contiguous(x);
        try {
            k.softmax(Ops.strided(xc), axis, log, Ops.strided(out));
        } catch (UnsupportedOperationException e) {
            out.close();
            return null;
        } finally {
            if (xc != x) {
                xc.close();
            }
        }
        return Ops.record(log ? "log_softmax" : "softmax", out, new Tensor[] {x}, new Tensor[] {out},
                g -> new Tensor[] {backward(out, g, axis, log)});
    }

    private static Tensor backward(Tensor y, Tensor g, int axis, boolean log) {
        if (!Autograd.shouldRecord(y, g)) {
            Tensor gx = Ops.empty(y.dtype(), y.device(), y.shape);
            Tensor gc = contiguous(g);
            try {
                Ops.kernels(y.device()).softmaxBackward(Ops.strided(y), Ops.strided(gc), axis, log, Ops.strided(gx));
                return gx;
            } catch (UnsupportedOperationException e) {
                gx.close();
            } finally {
                if (gc != g) {
                    gc.close();
                }
            }
        }
        int[] axes = {axis};
        return Scope.intermediates(() -> log
                ? g.sub(y.exp().mul(g.sum(axes, true)))
                : y.mul(g.sub(g.mul(y).sum(axes, true))));
    }

    private static Tensor contiguous(Tensor t) {
        try (var off = Autograd.noGrad()) {
            return t.contiguous();
        }
    }
}
