package dev.fathom.nn;

import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.Objects;

/**
 * A pre-LN transformer block (Xiong et al. 2020, as GPT-2): {@code x + drop(attn(ln1(x)))}, then
 * {@code x + drop(mlp(ln2(x)))} with {@code mlp = Linear(d, 4d) → GELU → Linear(4d, d)}. Inputs
 * are batch-first {@code [N, T, d]}; attention is causal or not, as constructed. Dropout {@code p}
 * applies to the attention weights and to both residual branches, in training only.
 *
 * <p>Children: {@code ln1}, {@code attn} ({@link MultiheadAttention}), {@code ln2}, {@code mlp}
 * ({@code 0} = fc, {@code 1} = GELU, {@code 2} = proj), {@code drop}.
 */
public final class TransformerBlock extends Module {
    private final int dModel;
    private final boolean causal;
    private final LayerNorm ln1;
    private final MultiheadAttention attn;
    private final LayerNorm ln2;
    private final Sequential mlp;
    private final Dropout drop;

    /** Causal, no dropout, exact GELU. */
    public TransformerBlock(int dModel, int numHeads) {
        this(dModel, numHeads, 0.0, false, true);
    }

    public TransformerBlock(int dModel, int numHeads, double dropout, boolean geluTanh, boolean causal) {
        this(dModel, numHeads, dropout, geluTanh, causal, Generator.global());
    }

    /** With weights and dropout masks from {@code generator}. */
    public TransformerBlock(int dModel, int numHeads, double dropout, boolean geluTanh, boolean causal, Generator generator) {
        Objects.requireNonNull(generator, "TransformerBlock: generator is null (use Generator.global())");
        if (dModel < 1 || numHeads < 1 || dModel % numHeads != 0) {
            throw new IllegalArgumentException("TransformerBlock: d_model must be a positive multiple of num_heads, got d_model = " + dModel
                    + ", num_heads = " + numHeads);
        }
        Checks.range("TransformerBlock", "dropout", dropout, 0, 1);
        this.dModel = dModel;
        this.causal = causal;
        this.ln1 = child("ln1", new LayerNorm(dModel));
        this.attn = child("attn", new MultiheadAttention(dModel, numHeads, true, dropout, true, generator));
        this.ln2 = child("ln2", new LayerNorm(dModel));
        this.mlp = child("mlp", new Sequential(new Linear(dModel, 4 * dModel, true, generator), new GELU(geluTanh),
                new Linear(4 * dModel, dModel, true, generator)));
        this.drop = child("drop", new Dropout(dropout, generator));
    }

    /** The block on {@code x} {@code [N, T, d]}. */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, null, null);
    }

    /**
     * With a key padding mask (BOOL {@code [N, T]}, true = padding; or null) and a {@link KvCache}
     * (or null); with a cache, x holds the new positions and attention is causal over the cache.
     */
    public Tensor forward(Tensor x, Tensor keyPaddingMask, KvCache cache) {
        Checks.floating("TransformerBlock", "input", x);
        if (x.dim() != 3 || x.size(2) != dModel) {
            throw new IllegalArgumentException("TransformerBlock: input must be [N, T, d_model] with d_model = " + dModel + ", got "
                    + dev.fathom.tensor.Shape.format(x.shape()));
        }
        return Scope.intermediates(() -> {
            Tensor h = ln1.forward(x);
            Tensor a = attn.forward(h, h, h, keyPaddingMask, null, causal || cache != null, cache);
            Tensor y = x.add(drop.forward(a));
            return y.add(drop.forward(mlp.forward(ln2.forward(y))));
        });
    }

    public MultiheadAttention attn() {
        return attn;
    }

    public boolean causal() {
        return causal;
    }

    @Override
    public String toString() {
        return super.toString().replaceFirst("^TransformerBlock\\(", "TransformerBlock(d_model=" + dModel + ", causal=" + causal + ",");
    }
}
