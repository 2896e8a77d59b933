package dev.fathom.conformance;

import dev.fathom.autograd.GraphOps;
import dev.fathom.nn.Functional;
import dev.fathom.nn.KvCache;
import dev.fathom.nn.MultiheadAttention;
import dev.fathom.nn.TransformerBlock;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

import java.util.List;
import java.util.Map;

import static dev.fathom.conformance.NnSupport.close;
import static dev.fathom.conformance.NnSupport.f32;
import static dev.fathom.conformance.NnSupport.f64;
import static dev.fathom.conformance.NnSupport.gradcheck;
import static dev.fathom.conformance.NnSupport.leaf;
import static dev.fathom.conformance.NnSupport.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Functional#scaledDotProductAttention} and {@link MultiheadAttention} against the unfused
 * formula of {@link AttentionRef} in F64: masks (BOOL padding, causal, additive), several heads,
 * both batch layouts, key/value caching, gradchecks and bad input.
 */
class AttentionTest extends ConformanceTest {
    private final NnSupport s = new NnSupport(61);

    private static Tensor bools(boolean[] data, int... shape) {
        return Tensor.of(new double[data.length], shape).eq(Tensor.of(map(data), shape));
    }

    /** 0 for true, 1 for false: eq against zeros gives the BOOL tensor back. */
    private static double[] map(boolean[] b) {
        double[] out = new double[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] ? 0 : 1;
        }
        return out;
    }

    @BackendTest
    void sdpaMatchesTheUnfusedFormula(TestBackends.Case backend) {
        use(backend);
        int b = 2, h = 3, l = 4, sl = 5, e = 3, ev = 2, rows = b * h;
        double[] q = s.values(rows * l * e, -2, 2);
        double[] k = s.values(rows * sl * e, -2, 2);
        double[] v = s.values(rows * sl * ev, -2, 2);
        boolean[] pad = new boolean[b * sl];
        pad[3] = pad[4] = pad[5 + 0] = true; // batch 0 ignores keys 3, 4; batch 1 ignores key 0
        double[] additive = s.values(l * sl, -1, 1);
        Tensor padMask = bools(pad, b, 1, 1, sl);
        record Case(String name, Tensor mask, boolean causal, AttentionRef.Ignored ignored, double[] additive) {
        }
        Case[] cases = {
                new Case("no mask", null, false, null, null),
                new Case("padding", padMask, false, (r, i, j) -> pad[(r / h) * sl + j], null),
                new Case("causal, L < S (the last L keys)", null, true, (r, i, j) -> j > i + sl - l, null),
                new Case("padding and causal", padMask, true, (r, i, j) -> pad[(r / h) * sl + j] || j > i + sl - l, null),
                new Case("additive", f64(additive, l, sl), false, null, additive),
        };
        for (Case c : cases) {
            double[] weights = new double[rows * l * sl];
            double[] ref = AttentionRef.sdpa(q, k, v, c.ignored, c.additive, rows, l, sl, e, ev, weights);
            Tensor out = Functional.scaledDotProductAttention(f64(q, b, h, l, e), f64(k, b, h, sl, e), f64(v, b, h, sl, ev), c.mask, c.causal, 0,
                    true);
            close("sdpa F64, " + c.name, out, ref, new int[] {b, h, l, ev}, DType.F64, 1e-12);
            Tensor w = Functional.attentionWeights(f64(q, b, h, l, e), f64(k, b, h, sl, e), c.mask, c.causal);
            close("weights F64, " + c.name, w, weights, new int[] {b, h, l, sl}, DType.F64, 1e-12);
            double[] wv = w.toDoubleArray();
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < l; i++) {
                    for (int j = 0; j < sl; j++) {
                        if (c.ignored != null && c.ignored.at(r, i, j)) {
                            assertEquals(0.0, wv[(r * l + i) * sl + j], c.name + ": a masked key gets exactly zero weight");
                        }
                    }
                }
            }
            Tensor mask32 = c.mask == null || c.mask.dtype() == DType.BOOL ? c.mask : f32(additive, l, sl);
            close("sdpa F32, " + c.name, Functional.scaledDotProductAttention(f32(q, b, h, l, e), f32(k, b, h, sl, e), f32(v, b, h, sl, ev),
                    mask32, c.causal, 0, false), ref, new int[] {b, h, l, ev}, DType.F32, 1e-5);
        }
    }

    @BackendTest
    void causalWithEqualLengthsIsTheLowerTriangle(TestBackends.Case backend) {
        use(backend);
        int l = 4, e = 2;
        double[] q = s.values(l * e, -1, 1);
        double[] k = s.values(l * e, -1, 1);
        double[] ref = new double[l * l];
        AttentionRef.sdpa(q, k, k, (r, i, j) -> j > i, null, 1, l, l, e, e, ref);
        close("causal weights", Functional.attentionWeights(f64(q, l, e), f64(k, l, e), null, true), ref, new int[] {l, l}, DType.F64, 1e-12);
        assertEquals(1.0, ref[0], 1e-15, "the first query sees only the first key");
    }

    /** Note [fully masked rows]: zeros, not NaN, in the output and in every gradient. */
    @BackendTest
    void aFullyMaskedRowGivesZeroWeightsOutputAndGradient(TestBackends.Case backend) {
        use(backend);
        int l = 2, sl = 3, e = 2;
        Tensor q = leaf(s.values(l * e, -1, 1), l, e);
        Tensor k = leaf(s.values(sl * e, -1, 1), sl, e);
        Tensor v = leaf(s.values(sl * e, -1, 1), sl, e);
        boolean[] m = {true, true, true, false, true, false}; // row 0 sees nothing, row 1 sees keys 0 and 2
        Tensor mask = bools(m, l, sl);
        Tensor out = Functional.scaledDotProductAttention(q, k, v, mask, false, 0, true);
        double[] ov = out.toDoubleArray();
        assertEquals(0.0, ov[0], "fully masked row: zero output");
        assertEquals(0.0, ov[1], "fully masked row: zero output");
        double[] w = Functional.attentionWeights(q, k, mask, false).toDoubleArray();
        assertEquals(0.0, w[0] + w[1] + w[2], "fully masked row: zero weights");
        assertEquals(1.0, w[3] + w[5], 1e-12, "the other row still sums to one");
        out.sum().backward();
        for (Tensor t : new Tensor[] {q, k, v}) {
            for (double g : t.grad().toDoubleArray()) {
                assertFalse(Double.isNaN(g), "no NaN gradient from a fully masked row");
            }
        }
        assertEquals(0.0, q.grad().toDoubleArray()[0], "the fully masked query gets no gradient");
    }

    @BackendTest
    void sdpaGradcheck(TestBackends.Case backend) {
        use(backend);
        int h = 2, l = 3, sl = 3, e = 2;
        boolean[] pad = {false, false, true};
        gradcheck(t -> Functional.scaledDotProductAttention(t[0], t[1], t[2], null, false, 0, true), leaf(s.values(h * l * e, -1, 1), h, l, e),
                leaf(s.values(h * sl * e, -1, 1), h, sl, e), leaf(s.values(h * sl * e, -1, 1), h, sl, e));
        Tensor mask = bools(pad, 1, 1, sl);
        gradcheck(t -> Functional.scaledDotProductAttention(t[0], t[1], t[2], mask, true, 0, true), leaf(s.values(h * l * e, -1, 1), h, l, e),
                leaf(s.values(h * sl * e, -1, 1), h, sl, e), leaf(s.values(h * sl * e, -1, 1), h, sl, e));
    }

    // ---- MultiheadAttention ------------------------------------------------------------------

    private static MultiheadAttention mha(int e, int heads, boolean batchFirst, int seed) {
        MultiheadAttention m = new MultiheadAttention(e, heads, true, 0.0, batchFirst, new Generator(seed));
        m.to(DType.F64);
        // PyTorch zeroes the biases at init; random ones make the reference check them too.
        try (var g = dev.fathom.autograd.Autograd.noGrad()) {
            m.inProjBias().data().copyFrom(Tensor.rand(Generator.global(), DType.F64, 3 * e).sub(0.5));
            m.outProj().bias().data().copyFrom(Tensor.rand(Generator.global(), DType.F64, e).sub(0.5));
        }
        return m;
    }

    private static double[] reference(MultiheadAttention m, double[] x, int n, int t, boolean[][] pad, boolean[][] attn, boolean causal) {
        Map<String, Tensor> st = m.stateDict();
        return AttentionRef.mha(x, x, x, n, t, t, m.embedDim(), m.numHeads(), st.get("in_proj_weight").toDoubleArray(),
                st.get("in_proj_bias").toDoubleArray(), st.get("out_proj.weight").toDoubleArray(), st.get("out_proj.bias").toDoubleArray(), pad,
                attn, causal);
    }

    @BackendTest
    void multiheadAttentionMatchesTheReferenceInBothLayouts(TestBackends.Case backend) {
        use(backend);
        int n = 2, t = 4, e = 6, heads = 3;
        double[] x = s.values(n * t * e, -1, 1);
        boolean[][] pad = {{false, false, false, true}, {false, true, false, false}};
        boolean[][] attn = {{false, true, false, false}, {false, false, true, false}, {false, false, false, false}, {true, false, false, false}};
        Tensor padMask = bools(new boolean[] {false, false, false, true, false, true, false, false}, n, t);
        boolean[] attnFlat = new boolean[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) {
                attnFlat[i * t + j] = attn[i][j];
            }
        }
        Tensor attnMask = bools(attnFlat, t, t);
        for (boolean batchFirst : new boolean[] {true, false}) {
            try (MultiheadAttention m = mha(e, heads, batchFirst, 5)) {
                Tensor in = batchFirst ? f64(x, n, t, e) : f64(AttentionRef.swap01(x, n, t, e), t, n, e);
                int[] shape = batchFirst ? new int[] {n, t, e} : new int[] {t, n, e};
                String layout = batchFirst ? "batch_first" : "sequence-first";
                double[][] refs = {reference(m, x, n, t, null, null, false), reference(m, x, n, t, pad, null, true),
                        reference(m, x, n, t, pad, attn, false)};
                Tensor[] outs = {m.forward(in), m.forward(in, in, in, padMask, null, true, null), m.forward(in, in, in, padMask, attnMask, false, null)};
                String[] names = {"plain", "padding + causal", "padding + attn_mask"};
                for (int c = 0; c < refs.length; c++) {
                    double[] ref = batchFirst ? refs[c] : AttentionRef.swap01(refs[c], n, t, e);
                    close("MHA " + layout + ", " + names[c], outs[c], ref, shape, DType.F64, 1e-12);
                }
            }
        }
    }

    @BackendTest
    void unbatchedInputIsOneSequence(TestBackends.Case backend) {
        use(backend);
        int t = 3, e = 4;
        double[] x = s.values(t * e, -1, 1);
        try (MultiheadAttention m = mha(e, 2, false, 9)) {
            close("unbatched MHA", m.forward(f64(x, t, e), true), reference(m, x, 1, t, null, null, true), new int[] {t, e}, DType.F64, 1e-12);
        }
    }

    @BackendTest
    void kvCacheStepByStepEqualsTheFullCausalRun(TestBackends.Case backend) {
        use(backend);
        int n = 2, t = 5, e = 4;
        double[] x = s.values(n * t * e, -1, 1);
        try (MultiheadAttention m = mha(e, 2, true, 3); KvCache cache = new KvCache()) {
            m.eval();
            double[] full = m.forward(f64(x, n, t, e), true).toDoubleArray();
            Tensor xs = f64(x, n, t, e);
            // One token at a time, then a chunk of two after a reset.
            Tensor[] steps = new Tensor[t];
            for (int i = 0; i < t; i++) {
                steps[i] = m.forward(xs.narrow(1, i, 1), cache);
                assertEquals(i + 1, cache.length(), "cache length after step " + i);
            }
            close("token by token", Tensor.cat(1, steps), full, new int[] {n, t, e}, DType.F64, 1e-12);
            cache.reset();
            assertEquals(0, cache.length());
            Tensor a = m.forward(xs.narrow(1, 0, 2), cache);
            Tensor b = m.forward(xs.narrow(1, 2, 3), cache);
            close("chunks of 2 and 3", Tensor.cat(1, a, b), full, new int[] {n, t, e}, DType.F64, 1e-12);
            rejects(() -> m.forward(f64(s.values(3 * e, -1, 1), 3, 1, e), cache), "KvCache", "[3, 2, 1, 2]", "[2, 2, 5, 2]", "reset()");
        }
    }

    @BackendTest
    void multiheadAttentionGradcheck(TestBackends.Case backend) {
        use(backend);
        int n = 1, t = 3, e = 4;
        try (MultiheadAttention m = mha(e, 2, true, 4)) {
            Tensor pad = bools(new boolean[] {false, true, false}, n, t);
            ModuleGradcheck.check(m, x -> m.forward(x, x, x, pad, null, true, null), leaf(s.values(n * t * e, -1, 1), n, t, e));
        }
    }

    @BackendTest
    void rejectsBadInput(TestBackends.Case backend) {
        use(backend);
        rejects(() -> new MultiheadAttention(6, 4), "MultiheadAttention", "embed_dim = 6", "num_heads = 4");
        try (MultiheadAttention m = new MultiheadAttention(4, 2, true, 0, true)) {
            Tensor x = Tensor.zeros(2, 3, 4);
            rejects(() -> m.forward(Tensor.zeros(2, 3, 5)), "MultiheadAttention", "embed_dim = 4", "[2, 3, 5]");
            rejects(() -> m.forward(x, x, x, Tensor.zeros(2, 3).gt(0).reshape(3, 2), null, false, null), "key_padding_mask", "[2, 3]", "[3, 2]");
            rejects(() -> m.forward(x, x, x, Tensor.zeros(2, 3), null, false, null), "key_padding_mask", "BOOL", "F32");
            rejects(() -> m.forward(x, x, x, null, Tensor.zeros(3, 2).gt(0), false, null), "attn_mask", "[3, 3]", "[4, 3, 3]", "[3, 2]");
            rejects(() -> m.forward(Tensor.zeros(DType.F64, 2, 3, 4)), "MultiheadAttention", "F64", "F32");
            rejects(() -> m.forward(x, Tensor.zeros(2, 3, 4), x, null, null, true, new KvCache()), "KvCache", "self-attention");
        }
        Tensor q = Tensor.zeros(2, 3, 4);
        rejects(() -> Functional.scaledDotProductAttention(q, Tensor.zeros(2, 5, 3), Tensor.zeros(2, 5, 3), null, false, 0, false),
                "scaledDotProductAttention", "[2, 3, 4]", "[2, 5, 3]", "last dim");
        rejects(() -> Functional.scaledDotProductAttention(q, Tensor.zeros(2, 5, 4), Tensor.zeros(2, 4, 4), null, false, 0, false),
                "scaledDotProductAttention", "value", "[2, 4, 4]", "S = 5");
        rejects(() -> Functional.scaledDotProductAttention(q, Tensor.zeros(2, 5, 4), Tensor.zeros(2, 5, 4), Tensor.zeros(3, 4).gt(0), false, 0,
                false), "scaledDotProductAttention", "mask [3, 4]", "scores [batch..., L, S] = [2, 3, 5]");
        Tensor q4 = Tensor.zeros(2, 3, 4, 5), k4 = Tensor.zeros(2, 3, 6, 5);
        rejects(() -> Functional.scaledDotProductAttention(q4, k4, k4, Tensor.zeros(5, 3, 4, 6).gt(0), false, 0, false),
                "scaledDotProductAttention", "mask [5, 3, 4, 6]", "[2, 3, 4, 6]");
        rejects(() -> Functional.scaledDotProductAttention(Tensor.zeros(2, 3, 0), Tensor.zeros(2, 5, 0), Tensor.zeros(2, 5, 4), null, false, 0,
                false), "scaledDotProductAttention", "at least 1");
        rejects(() -> Functional.scaledDotProductAttention(q, q, q, Tensor.zeros(1, 2, 3, 3).gt(0), false, 0, false), "scaledDotProductAttention",
                "mask [1, 2, 3, 3]", "[2, 3, 4]");
        rejects(() -> Functional.scaledDotProductAttention(q, q, q, null, false, 1.5, true), "scaledDotProductAttention", "dropout", "1.5");
        rejects(() -> Functional.scaledDotProductAttention(q, q, q, Tensor.zeros(DType.F64, 3, 3), false, 0, true), "mask", "BOOL", "F64");
    }


    /**
     * The module, not only the functional, takes the fused kernel: the autograd graph of a forward
     * holds the fused op's node (its name in FusedAttention) and no softmax without a mask or with
     * the causal flag; a padding mask, an additive attention mask or attention dropout in training
     * run the composite instead (a softmax node, no fused node). Every test backend has the kernel.
     */
    @BackendTest
    void multiheadAttentionRunsTheFusedKernelUnlessAMaskOrDropoutNeedsTheComposite(TestBackends.Case backend) {
        use(backend);
        int n = 2, t = 3, e = 4;
        String fused = "scaled_dot_product_attention";
        try (MultiheadAttention m = mha(e, 2, true, 8);
             MultiheadAttention dropping = new MultiheadAttention(e, 2, true, 0.5, true, new Generator(9))) {
            dropping.to(DType.F64);
            Tensor x = leaf(s.values(n * t * e, -1, 1), n, t, e);
            Tensor pad = bools(new boolean[] {false, false, true, false, true, false}, n, t);
            Map<String, Integer> plain = GraphOps.counts(m.forward(x));
            Map<String, Integer> causal = GraphOps.counts(m.forward(x, true));
            Map<String, Integer> padded = GraphOps.counts(m.forward(x, x, x, pad, null, true, null));
            Map<String, Integer> additive = GraphOps.counts(m.forward(x, x, x, null, f64(s.values(t * t, -1, 1), t, t), false, null));
            Map<String, Integer> dropout = GraphOps.counts(dropping.forward(x, true));
            dropping.eval();
            Map<String, Integer> evalDropout = GraphOps.counts(dropping.forward(x, true));
            for (Map<String, Integer> g : List.of(plain, causal, evalDropout)) {
                assertEquals(1, g.getOrDefault(fused, 0), g.toString());
                assertFalse(g.containsKey("softmax"), g.toString());
            }
            for (Map<String, Integer> g : List.of(padded, additive, dropout)) {
                assertFalse(g.containsKey(fused), g.toString());
                assertEquals(1, g.getOrDefault("softmax", 0), g.toString());
            }
            assertTrue(plain.containsKey("matmul") || plain.containsKey("linear"), "the walk reaches the projections: " + plain);
        }
        try (TransformerBlock block = new TransformerBlock(e, 2, 0.0, false, true, new Generator(3))) {
            block.to(DType.F64);
            Map<String, Integer> g = GraphOps.counts(block.forward(leaf(s.values(n * t * e, -1, 1), n, t, e)));
            assertEquals(1, g.getOrDefault(fused, 0), "a causal TransformerBlock: " + g);
        }
    }
    @BackendTest
    void attentionDropoutIsReproducibleAndOffInEval(TestBackends.Case backend) {
        use(backend);
        Tensor q = Tensor.rand(2, 4, 3), k = Tensor.rand(2, 4, 3), v = Tensor.rand(2, 4, 3);
        double[] a = Functional.scaledDotProductAttention(q, k, v, null, true, 0.5, true, new Generator(5)).toDoubleArray();
        double[] b = Functional.scaledDotProductAttention(q, k, v, null, true, 0.5, true, new Generator(5)).toDoubleArray();
        double[] plain = Functional.scaledDotProductAttention(q, k, v, null, true, 0, true).toDoubleArray();
        double[] eval = Functional.scaledDotProductAttention(q, k, v, null, true, 0.5, false, new Generator(5)).toDoubleArray();
        assertTrue(java.util.Arrays.equals(a, b), "same generator seed, same dropout");
        assertFalse(java.util.Arrays.equals(a, plain), "dropout changes the output in training");
        assertTrue(java.util.Arrays.equals(eval, plain), "no dropout in evaluation");
    }
}
