package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * Scaled dot-product attention (Vaswani et al. 2017), {@code softmax(q·kᵀ/√d + mask)·v}, written
 * with tensor ops: this composite is the definition of attention in Fathom and the fallback for a
 * fused kernel (a backend's fused forward/backward must match it within the documented tolerance).
 *
 * <p>Shapes: q {@code [..., L, E]}, k {@code [..., S, E]}, v {@code [..., S, Ev]}, the leading dims
 * broadcast; the result is {@code [..., L, Ev]}. The mask broadcasts to {@code [..., L, S]}: BOOL
 * with {@code true} = this key is ignored (as {@code nn.MultiheadAttention}'s masks; note that
 * {@code F.scaled_dot_product_attention} reads BOOL the other way round), or floating and added to
 * the scores. {@code causal} aligns the query rows with the <em>last</em> L keys (query i sees keys
 * {@code j ≤ i + S − L}), which is what key/value caching needs and equals PyTorch's
 * {@code is_causal} when L = S.
 *
 * <p>Note [fully masked rows]: a query row whose keys are all masked (BOOL) gets all-zero weights and
 * a zero output, and zero gradients. PyTorch's unfused path returns NaN there instead; zeros keep a
 * padded batch trainable (a NaN in one row poisons every gradient), as FlashAttention does. Masked
 * keys get exactly zero weight. Floating (additive) masks are taken as given: −∞ on a whole row
 * gives NaN, as in PyTorch.
 *
 * <p>Which path runs: without a mask and without dropout in effect (p = 0, or not training),
 * {@link #sdpa} takes the backend's fused kernel ({@link FusedAttention}, one
 * {@code scaled_dot_product_attention} node in the graph), the causal flag included. Any mask (BOOL
 * padding or additive) and attention dropout in training fall back to this composite (its matmul,
 * softmax, where and dropout nodes), as does a backend without the kernel.
 */
final class Attention {
    private Attention() {
    }

    /** The attention probabilities {@code [..., L, S]} (no dropout). */
    static Tensor weights(Tensor q, Tensor k, Tensor mask, boolean causal) {
        check(q, k, null, mask);
        return Scope.intermediates(() -> probabilities(q, k, mask, causal));
    }

    /** {@code dropout(weights)·v}. */
    static Tensor sdpa(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double dropoutP, boolean training, Generator generator) {
        check(q, k, v, mask);
        Checks.range("scaledDotProductAttention", "dropout probability", dropoutP, 0, 1);
        Objects.requireNonNull(generator, "scaledDotProductAttention: generator is null (use Generator.global())");
        return Scope.intermediates(() -> {
            // Without a mask or dropout, the backend's fused kernel (FusedAttention) if it has one.
            if (mask == null && (dropoutP == 0 || !training)) {
                Tensor fused = FusedAttention.forward(q, k, v, causal);
                if (fused != null) {
                    return fused;
                }
            }
            return Functional.dropout(probabilities(q, k, mask, causal), dropoutP, training, generator).matmul(v);
        });
    }

    static Tensor probabilities(Tensor q, Tensor k, Tensor mask, boolean causal) {
        int l = q.size(-2);
        int s = k.size(-2);
        Tensor scores = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(q.size(-1)));
        Tensor ignored = null;
        if (mask != null && mask.dtype() == DType.BOOL) {
            ignored = mask;
        } else if (mask != null) {
            scores = scores.add(mask);
        }
        if (causal) {
            Tensor rows = Tensor.arange(s - l, s, 1, DType.I64).to(q.device()).reshape(l, 1);
            Tensor future = Tensor.arange(s).to(q.device()).reshape(1, s).gt(rows);
            ignored = ignored == null ? future : ignored.logicalOr(future);
        }
        if (ignored == null) {
            return scores.softmax(-1);
        }
        // The most negative finite value rather than −∞: a fully masked row then stays finite (uniform)
        // before the final where zeroes it, so neither its output nor its gradient becomes NaN; in a row
        // with a visible key, exp(lowest − max) underflows to exactly 0.
        double lowest = q.dtype() == DType.F64 ? -Double.MAX_VALUE : -Float.MAX_VALUE;
        Tensor fill = Tensor.full(lowest, q.dtype(), q.device());
        Tensor zero = Tensor.zeros(q.dtype(), q.device());
        Tensor p = Tensor.where(ignored, fill, scores).softmax(-1);
        return Tensor.where(ignored, zero, p);
    }

    private static void check(Tensor q, Tensor k, Tensor v, Tensor mask) {
        String op = "scaledDotProductAttention";
        Checks.floating(op, "query", q);
        Checks.floating(op, "key", k);
        Checks.like(op, "query", q, "key", k);
        if (q.dim() < 2 || k.dim() < 2) {
            throw new IllegalArgumentException(op + ": query and key must be at least 2-D [..., L, E] and [..., S, E], got "
                    + Shape.format(q.shape()) + " and " + Shape.format(k.shape()));
        }
        if (q.size(-1) == 0 || (v != null && v.dim() >= 1 && v.size(-1) == 0)) {
            throw new IllegalArgumentException(op + ": the feature dims E of query " + Shape.format(q.shape()) + " and Ev of value "
                    + (v == null ? "-" : Shape.format(v.shape())) + " must be at least 1");
        }
        if (q.size(-1) != k.size(-1)) {
            throw new IllegalArgumentException(op + ": query " + Shape.format(q.shape()) + " and key " + Shape.format(k.shape())
                    + " must have the same last dim E");
        }
        if (v != null) {
            Checks.floating(op, "value", v);
            Checks.like(op, "query", q, "value", v);
            if (v.dim() < 2 || v.size(-2) != k.size(-2)) {
                throw new IllegalArgumentException(op + ": value " + Shape.format(v.shape()) + " must be [..., S, Ev] with S = "
                        + k.size(-2) + " as key " + Shape.format(k.shape()));
            }
        }
        if (mask != null) {
            mask.checkOpen(op);
            Checks.sameDevice(op, "query", q, "mask", mask);
            if (mask.dtype() != DType.BOOL && mask.dtype() != q.dtype()) {
                throw new IllegalArgumentException(op + ": mask " + mask.describe() + " must be BOOL (true = ignore) or additive with the dtype of query "
                        + q.describe());
            }
            // The scores are [batch..., L, S], batch the broadcast of query's and key's leading dims. The
            // mask must broadcast to them without growing them (more dims, or a size where they have 1,
            // would broadcast the output up to the mask).
            int[] qs = q.shape(), ks = k.shape(), ms = mask.shape();
            int[] lead;
            try {
                lead = Shape.broadcast(op, Arrays.copyOf(qs, qs.length - 2), Arrays.copyOf(ks, ks.length - 2));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(op + ": the leading dims of query " + Shape.format(qs) + " and key " + Shape.format(ks)
                        + " do not broadcast", e);
            }
            int[] scores = Arrays.copyOf(lead, lead.length + 2);
            scores[lead.length] = q.size(-2);
            scores[lead.length + 1] = k.size(-2);
            boolean ok = ms.length <= scores.length;
            for (int i = 1; i <= ms.length && ok; i++) {
                int m = ms[ms.length - i];
                ok = m == 1 || m == scores[scores.length - i];
            }
            if (!ok) {
                throw new IllegalArgumentException(op + ": mask " + Shape.format(ms) + " must broadcast to the scores [batch..., L, S] = "
                        + Shape.format(scores) + " (query " + Shape.format(qs) + ", key " + Shape.format(ks) + ")");
            }
        }
    }
}
