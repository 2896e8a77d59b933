package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
import dev.fathom.spi.AttentionGeometry;
import dev.fathom.spi.Kernels;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import dev.fathom.tensor.internal.KernelOps;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scaled dot-product attention without a mask or dropout through the backend's fused kernels
 * ({@link Kernels#attentionForward}, {@link Kernels#attentionBackward}); {@link Attention} validates
 * the arguments, holds the composite that defines attention, and uses it when a backend has no such
 * kernel (a null result here) or a mask or dropout is in effect.
 *
 * <p>The leading dims of q, k and v are broadcast (recorded {@code expand}, so their gradients sum
 * back; the kernels read a broadcast operand through its stride 0) and seen as
 * {@code [B, H, L, D]}: the last leading dim is the heads, the others the batch. The kernels read
 * and write rows through their strides, so the heads of a projection ({@code [N, L, H·D]} viewed as
 * {@code [N, H, L, D]}) are read where they lie, and the output and the gradients are laid out as
 * their operand is ({@link #emptyLike}): {@code o.transpose(1, 2).reshape(N, L, H·D)} and the
 * gradients flowing back into the projection are views, not copies. Only a row whose elements are
 * not adjacent is copied. The forward saves the output and
 * the per-row logsumexp; the node's backward hands them to the backward kernel when the pass builds
 * no graph. When it does ({@code createGraph}), the gradient is written with tensor ops, P
 * recomputed by the composite, so that it is recorded and differentiable again (FlashAttention-2's
 * formulas, Dao 2023): {@code dV = Pᵀ·dO}, {@code dP = dO·Vᵀ},
 * {@code dS = P∘(dP − rowsum(dP∘P))}, {@code dQ = scale·dS·K}, {@code dK = scale·dSᵀ·Q}.
 */
final class FusedAttention {
    private static final String OP = "scaled_dot_product_attention";

    private FusedAttention() {
    }

    /**
     * The fused result {@code [..., L, Ev]}, or null when the backend has no attention kernel (then
     * nothing is left allocated). Arguments are checked by the caller; runs inside its
     * {@code Scope.intermediates}, which adopts the operand copies.
     */
    static Tensor forward(Tensor q, Tensor k, Tensor v, boolean causal) {
        KernelOps.Hooks h = KernelOps.hooks();
        int[] lead = Shape.broadcast("scaledDotProductAttention", Shape.broadcast("scaledDotProductAttention", lead(q), lead(k)), lead(v));
        int l = q.size(-2), s = k.size(-2), e = q.size(-1), ev = v.size(-1);
        int heads = lead.length == 0 ? 1 : lead[lead.length - 1];
        long batch = Shape.numel(Arrays.copyOf(lead, Math.max(0, lead.length - 1)));
        if (batch * heads > Integer.MAX_VALUE) {
            return null;
        }
        AttentionGeometry g = new AttentionGeometry((int) batch, heads, l, s, e, ev, 1 / Math.sqrt(e), causal, q.dtype());
        List<Tensor> made = new ArrayList<>();
        Tensor qc = operand(q, lead, g, made), kc = operand(k, lead, g, made), vc = operand(v, lead, g, made);
        Tensor out = emptyLike(qc, g.outputShape());
        Tensor lse = h.empty(q.dtype(), q.device(), g.logsumexpShape());
        try {
            Backends.kernels(q.device()).attentionForward(g, h.strided(qc), h.strided(kc), h.strided(vc), h.strided(out), h.strided(lse));
        } catch (UnsupportedOperationException unsupported) {
            out.close();
            lse.close();
            for (Tensor t : made) {
                if (t != q && t != k && t != v) {
                    t.close();
                }
            }
            return null;
        }
        Tensor y = h.record(OP, out, new Tensor[] {qc, kc, vc}, new Tensor[] {qc, kc, vc, out, lse},
                gy -> backward(g, qc, kc, vc, out, lse, gy));
        int[] shape = Arrays.copyOf(lead, lead.length + 2);
        shape[lead.length] = l;
        shape[lead.length + 1] = ev;
        return Arrays.equals(shape, g.outputShape()) ? y : y.reshape(shape);
    }

    private static Tensor[] backward(AttentionGeometry g, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gy) {
        KernelOps.Hooks h = KernelOps.hooks();
        if (!Autograd.shouldRecord(q, k, v, gy)) {
            Tensor gyc = rowsAdjacent(gy) ? gy : KernelOperands.contiguous(gy);
            Tensor gq = emptyLike(q, q.shape());
            Tensor gk = emptyLike(k, k.shape());
            Tensor gv = emptyLike(v, v.shape());
            try {
                Backends.kernels(q.device()).attentionBackward(g, h.strided(q), h.strided(k), h.strided(v), h.strided(out), h.strided(gyc),
                        h.strided(lse), h.strided(gq), h.strided(gk), h.strided(gv));
                return new Tensor[] {gq, gk, gv};
            } catch (UnsupportedOperationException e) {
                gq.close();
                gk.close();
                gv.close();
            } finally {
                if (gyc != gy) {
                    gyc.close();
                }
            }
        }
        // One composite per gradient (each adopts its own intermediates); P is recomputed, as the kernel does.
        return new Tensor[] {
                h.intermediates(() -> scoreGrad(g, q, k, v, gy).matmul(k).mul(g.scale())),
                h.intermediates(() -> scoreGrad(g, q, k, v, gy).transpose(-2, -1).matmul(q).mul(g.scale())),
                h.intermediates(() -> Attention.probabilities(q, k, null, g.causal()).transpose(-2, -1).matmul(gy))};
    }

    /** {@code dS = P∘(dP − rowsum(dP∘P))} with {@code dP = dO·Vᵀ}, recorded. */
    private static Tensor scoreGrad(AttentionGeometry g, Tensor q, Tensor k, Tensor v, Tensor gy) {
        Tensor p = Attention.probabilities(q, k, null, g.causal());
        Tensor dp = gy.matmul(v.transpose(-2, -1));
        return p.mul(dp.sub(dp.mul(p).sum(new int[] {-1}, true)));
    }

    /**
     * {@code t}'s leading dims broadcast to {@code lead} and seen as {@code [B, H, L, D]}: views
     * (recorded), except a copy when the leading dims do not merge into one batch dim, or when a
     * row's elements are not adjacent.
     */
    private static Tensor operand(Tensor t, int[] lead, AttentionGeometry g, List<Tensor> made) {
        int[] full = Arrays.copyOf(lead, lead.length + 2);
        full[lead.length] = t.size(-2);
        full[lead.length + 1] = t.size(-1);
        Tensor x = Arrays.equals(t.shape(), full) ? t : t.expand(full);
        made.add(x);
        Tensor r = x.dim() == 4 ? x : x.reshape(g.batch(), g.heads(), t.size(-2), t.size(-1));
        made.add(r);
        if (rowsAdjacent(r)) {
            return r;
        }
        Tensor c = r.contiguous();
        made.add(c);
        return c;
    }

    /** Whether the kernels can read {@code t}'s rows in place: each row's elements adjacent. */
    private static boolean rowsAdjacent(Tensor t) {
        return t.size(-1) == 1 || t.strides()[t.dim() - 1] == 1;
    }

    /**
     * An uninitialized {@code [B, H, L, D]} tensor laid out as {@code like} is: {@code [B, L, H, D]}
     * in memory (a transposed view) when like's heads lie within its rows, as those of a projection
     * split into heads do, else contiguous. PyTorch's flash attention lays its output out the same
     * way, so that merging the heads back is a view.
     */
    private static Tensor emptyLike(Tensor like, int[] shape) {
        KernelOps.Hooks h = KernelOps.hooks();
        long[] st = like.strides();
        if (shape[1] > 1 && shape[2] > 1 && st[1] < st[2]) {
            Tensor raw = h.empty(like.dtype(), like.device(), new int[] {shape[0], shape[2], shape[1], shape[3]});
            Tensor view = raw.transpose(1, 2);
            raw.close();
            return view;
        }
        return h.empty(like.dtype(), like.device(), shape);
    }

    private static int[] lead(Tensor t) {
        return Arrays.copyOf(t.shape(), t.dim() - 2);
    }
}
