package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.Objects;

/**
 * Multi-head attention (Vaswani et al. 2017) as PyTorch's {@code nn.MultiheadAttention}: the
 * packed input projection {@code in_proj_weight [3E, E]} (rows: query, key, value) and
 * {@code in_proj_bias [3E]}, {@code num_heads} heads of {@code E / num_heads}, attention through
 * {@link Functional#scaledDotProductAttention} (dropout on the weights in training), and
 * {@code out_proj} a {@link Linear}. Init as PyTorch: Xavier-uniform in-projection, zero biases.
 *
 * <p>Shapes: {@code [N, L, E]} with {@code batchFirst}, else {@code [L, N, E]}; unbatched
 * {@code [L, E]} is accepted. Masks, as PyTorch: {@code keyPaddingMask} BOOL {@code [N, S]},
 * {@code true} = that key is padding; {@code attnMask} BOOL ({@code true} = not allowed) or additive,
 * {@code [L, S]} or {@code [N·heads, L, S]}. With a {@link KvCache}, the keys and values of this
 * call are appended to the cache and the queries attend over all of it (self-attention, one sequence
 * continued token by token).
 *
 * <p>Performance: without masks the heads go through the backend's fused attention kernel (forward
 * and backward, no {@code [L, S]} weights kept), causal included, and so with a {@link KvCache}.
 * A {@code keyPaddingMask}, an {@code attnMask} and attention dropout in training fall back to
 * the unfused composite ({@code softmax(q·kᵀ/√d + mask)·v}, the weights materialized): express a
 * causal mask with {@code causal = true} rather than as an {@code attnMask} to keep the fused path.
 */
public final class MultiheadAttention extends Module {
    private final int embedDim;
    private final int numHeads;
    private final double dropout;
    private final boolean batchFirst;
    private final Generator generator;
    private final Parameter inProjWeight;
    private final Parameter inProjBias;
    private final Linear outProj;

    /** PyTorch's defaults: bias, no dropout, sequence-first. */
    public MultiheadAttention(int embedDim, int numHeads) {
        this(embedDim, numHeads, true, 0.0, false);
    }

    public MultiheadAttention(int embedDim, int numHeads, boolean bias, double dropout, boolean batchFirst) {
        this(embedDim, numHeads, bias, dropout, batchFirst, Generator.global());
    }

    /** With weights and dropout masks drawn from {@code generator}. */
    public MultiheadAttention(int embedDim, int numHeads, boolean bias, double dropout, boolean batchFirst, Generator generator) {
        if (embedDim < 1 || numHeads < 1 || embedDim % numHeads != 0) {
            throw new IllegalArgumentException("MultiheadAttention: embed_dim must be a positive multiple of num_heads, got embed_dim = "
                    + embedDim + ", num_heads = " + numHeads + "; choose num_heads dividing embed_dim");
        }
        Checks.range("MultiheadAttention", "dropout", dropout, 0, 1);
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.dropout = dropout;
        this.batchFirst = batchFirst;
        this.generator = Objects.requireNonNull(generator, "MultiheadAttention: generator is null (use Generator.global())");
        this.inProjWeight = parameter("in_proj_weight", Tensor.zeros(DType.F32, 3 * embedDim, embedDim));
        this.inProjBias = bias ? parameter("in_proj_bias", Tensor.zeros(DType.F32, 3 * embedDim)) : null;
        this.outProj = child("out_proj", new Linear(embedDim, embedDim, bias, generator));
        Init.xavierUniform(inProjWeight.data(), 1.0, generator);
        if (bias) {
            Init.zeros(outProj.bias().data());
        }
    }

    /** Self-attention of {@code x}, no masks. */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, x, x, null, null, false, null);
    }

    /** Self-attention of {@code x}, causal or not. */
    public Tensor forward(Tensor x, boolean causal) {
        return forward(x, x, x, null, null, causal, null);
    }

    /**
     * Causal self-attention continuing {@code cache}: x holds the new positions ({@code [N, T, E]} or
     * {@code [T, N, E]}); they attend to everything cached and to each other causally.
     */
    public Tensor forward(Tensor x, KvCache cache) {
        Objects.requireNonNull(cache, "MultiheadAttention: cache is null (use forward(x, true) without one)");
        return forward(x, x, x, null, null, true, cache);
    }

    /**
     * The general form.
     *
     * @param keyPaddingMask BOOL {@code [N, S]} ({@code [S]} unbatched), true = padding; or null
     * @param attnMask       BOOL (true = not allowed) or additive, {@code [L, S]} or {@code [N·heads, L, S]}; or null
     * @param cache          keys and values of earlier calls (self-attention only), or null
     */
    public Tensor forward(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, Tensor attnMask, boolean causal, KvCache cache) {
        String op = "MultiheadAttention";
        Checks.floating(op, "query", query);
        Checks.floating(op, "key", key);
        Checks.floating(op, "value", value);
        Checks.like(op, "query", query, "in_proj_weight", inProjWeight.data());
        boolean unbatched = query.dim() == 2;
        int expected = unbatched ? 2 : 3;
        for (Tensor t : new Tensor[] {query, key, value}) {
            if (t.dim() != expected || t.size(-1) != embedDim) {
                throw new IllegalArgumentException(op + ": query, key and value must be " + (batchFirst ? "[N, L, E]" : "[L, N, E]")
                        + " (or unbatched [L, E]) with E = embed_dim = " + embedDim + ", got query " + Shape.format(query.shape()) + ", key "
                        + Shape.format(key.shape()) + ", value " + Shape.format(value.shape()));
            }
        }
        if (cache != null && (key != query || value != query)) {
            throw new IllegalArgumentException(op + ": a KvCache continues self-attention only: pass the same tensor as query, key and value");
        }
        int batchDim = batchFirst ? 0 : 1;
        return Scope.intermediates(() -> {
            Tensor q = unbatched ? query.unsqueeze(batchDim) : query;
            Tensor k = unbatched ? key.unsqueeze(batchDim) : key;
            Tensor v = unbatched ? value.unsqueeze(batchDim) : value;
            if (!batchFirst) {
                q = q.transpose(0, 1);
                k = k.transpose(0, 1);
                v = v.transpose(0, 1);
            }
            int n = q.size(0);
            if (k.size(0) != n || v.size(0) != n || k.size(1) != v.size(1)) {
                throw new IllegalArgumentException(op + ": key " + Shape.format(key.shape()) + " and value " + Shape.format(value.shape())
                        + " must match each other in length and query " + Shape.format(query.shape()) + " in batch");
            }
            Tensor w = inProjWeight.data();
            Tensor b = inProjBias == null ? null : inProjBias.data();
            Tensor qh = heads(Functional.linear(q, w.narrow(0, 0, embedDim), b == null ? null : b.narrow(0, 0, embedDim)));
            Tensor kh = heads(Functional.linear(k, w.narrow(0, embedDim, embedDim), b == null ? null : b.narrow(0, embedDim, embedDim)));
            Tensor vh = heads(Functional.linear(v, w.narrow(0, 2 * embedDim, embedDim), b == null ? null : b.narrow(0, 2 * embedDim, embedDim)));
            if (cache != null) {
                Tensor[] kv = cache.append(kh, vh);
                kh = kv[0];
                vh = kv[1];
            }
            Tensor mask = mask(n, qh.size(2), kh.size(2), unbatched, keyPaddingMask, attnMask, query);
            Tensor o = Functional.scaledDotProductAttention(qh, kh, vh, mask, causal, dropout, isTraining(), generator);
            // [N, H, L, Dh] -> [N, L, E]
            Tensor merged = o.transpose(1, 2).reshape(n, qh.size(2), embedDim);
            Tensor out = outProj.forward(merged);
            if (!batchFirst) {
                out = out.transpose(0, 1);
            }
            return unbatched ? out.squeeze(batchDim) : out;
        });
    }

    /** [N, T, E] -> [N, H, T, Dh]. */
    private Tensor heads(Tensor x) {
        return x.reshape(x.size(0), x.size(1), numHeads, embedDim / numHeads).transpose(1, 2);
    }

    /** Both masks as one, broadcastable to the scores [N, H, L, S]; null when there is none. */
    private Tensor mask(int n, int l, int s, boolean unbatched, Tensor keyPaddingMask, Tensor attnMask, Tensor query) {
        String op = "MultiheadAttention";
        Tensor combined = null;
        if (keyPaddingMask != null) {
            keyPaddingMask.checkOpen(op);
            int[] want = unbatched ? new int[] {s} : new int[] {n, s};
            if (keyPaddingMask.dtype() != DType.BOOL || !java.util.Arrays.equals(keyPaddingMask.shape(), want)) {
                throw new IllegalArgumentException(op + ": key_padding_mask must be BOOL " + Shape.format(want)
                        + " ([N, S], true = padding), got " + keyPaddingMask.describe());
            }
            Checks.sameDevice(op, "query", query, "key_padding_mask", keyPaddingMask);
            combined = keyPaddingMask.reshape(n, 1, 1, s);
        }
        if (attnMask != null) {
            attnMask.checkOpen(op);
            Checks.sameDevice(op, "query", query, "attn_mask", attnMask);
            Tensor m;
            if (attnMask.dim() == 2 && attnMask.size(0) == l && attnMask.size(1) == s) {
                m = attnMask;
            } else if (attnMask.dim() == 3 && attnMask.size(0) == n * numHeads && attnMask.size(1) == l && attnMask.size(2) == s) {
                m = attnMask.reshape(n, numHeads, l, s);
            } else {
                throw new IllegalArgumentException(op + ": attn_mask must be [L, S] = " + Shape.format(new int[] {l, s})
                        + " or [N*num_heads, L, S] = " + Shape.format(new int[] {n * numHeads, l, s}) + ", got " + Shape.format(attnMask.shape()));
            }
            if (combined == null) {
                combined = m;
            } else if (m.dtype() == DType.BOOL) {
                combined = combined.logicalOr(m);
            } else {
                // An additive mask with a padding mask: padding becomes the most negative additive term.
                Tensor lowest = Tensor.full(m.dtype() == DType.F64 ? -Double.MAX_VALUE : -Float.MAX_VALUE, m.dtype(), m.device());
                combined = Tensor.where(combined, lowest, m);
            }
        }
        return combined;
    }

    /** The packed input projection {@code [3E, E]}. */
    public Parameter inProjWeight() {
        return inProjWeight;
    }

    /** The packed input bias {@code [3E]}, or null. */
    public Parameter inProjBias() {
        return inProjBias;
    }

    public Linear outProj() {
        return outProj;
    }

    public int embedDim() {
        return embedDim;
    }

    public int numHeads() {
        return numHeads;
    }

    public boolean batchFirst() {
        return batchFirst;
    }

    @Override
    public String toString() {
        return "MultiheadAttention(embed_dim=" + embedDim + ", num_heads=" + numHeads + ", dropout=" + dropout + ", bias=" + (inProjBias != null)
                + ", batch_first=" + batchFirst + ")";
    }
}
