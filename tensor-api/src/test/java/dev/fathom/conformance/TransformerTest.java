package dev.fathom.conformance;

import dev.fathom.autograd.Autograd;
import dev.fathom.nn.Embedding;
import dev.fathom.nn.Functional;
import dev.fathom.nn.KvCache;
import dev.fathom.nn.LayerNorm;
import dev.fathom.nn.Linear;
import dev.fathom.nn.MultiheadAttention;
import dev.fathom.nn.Parameter;
import dev.fathom.nn.PositionalEmbedding;
import dev.fathom.nn.TransformerBlock;
import dev.fathom.optim.AdamW;
import dev.fathom.spi.Kernels;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.fathom.conformance.NnSupport.close;
import static dev.fathom.conformance.NnSupport.f64;
import static dev.fathom.conformance.NnSupport.leaf;
import static dev.fathom.conformance.NnSupport.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TransformerBlock} against the pre-LN formula written with loops over {@link AttentionRef},
 * {@link PositionalEmbedding}, caching through a block, gradcheck, memory, and a tiny model that
 * overfits a fixed sequence.
 */
class TransformerTest extends ConformanceTest {
    private final NnSupport s = new NnSupport(71);

    private static double[] layerNorm(double[] x, int rows, int d, double[] w, double[] b) {
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double mean = 0, var = 0;
            for (int c = 0; c < d; c++) {
                mean += x[r * d + c] / d;
            }
            for (int c = 0; c < d; c++) {
                var += (x[r * d + c] - mean) * (x[r * d + c] - mean) / d;
            }
            for (int c = 0; c < d; c++) {
                y[r * d + c] = (x[r * d + c] - mean) / Math.sqrt(var + 1e-5) * w[c] + b[c];
            }
        }
        return y;
    }

    private static double gelu(double v, boolean tanh) {
        return tanh ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))
                : 0.5 * v * (1 + erf(v / Math.sqrt(2)));
    }

    /** erf by its Taylor series (|x| small here), to 1e-15. */
    private static double erf(double x) {
        double sum = 0, term = x;
        for (int n = 0; n < 60; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    private static double[] add(double[] a, double[] b) {
        double[] y = a.clone();
        for (int i = 0; i < y.length; i++) {
            y[i] += b[i];
        }
        return y;
    }

    /** The pre-LN block on batch-first x [n, t, d], from the module's state dict. */
    private static double[] blockRef(TransformerBlock m, double[] x, int n, int t, int d, boolean tanh) {
        Map<String, Tensor> st = m.stateDict();
        java.util.function.Function<String, double[]> p = name -> st.get(name).toDoubleArray();
        MultiheadAttention a = m.attn();
        double[] h = layerNorm(x, n * t, d, p.apply("ln1.weight"), p.apply("ln1.bias"));
        double[] att = AttentionRef.mha(h, h, h, n, t, t, d, a.numHeads(), p.apply("attn.in_proj_weight"), p.apply("attn.in_proj_bias"),
                p.apply("attn.out_proj.weight"), p.apply("attn.out_proj.bias"), null, null, m.causal());
        double[] y = add(x, att);
        double[] h2 = layerNorm(y, n * t, d, p.apply("ln2.weight"), p.apply("ln2.bias"));
        double[] fc = AttentionRef.project(h2, n * t, d, p.apply("mlp.0.weight"), p.apply("mlp.0.bias"), 0, 4 * d);
        for (int i = 0; i < fc.length; i++) {
            fc[i] = gelu(fc[i], tanh);
        }
        return add(y, AttentionRef.project(fc, n * t, 4 * d, p.apply("mlp.2.weight"), p.apply("mlp.2.bias"), 0, d));
    }

    /** An F64 block with every parameter random (LayerNorm's ones and zeros would hide a swapped weight and bias). */
    private static TransformerBlock block(int d, int heads, boolean tanh, int seed) {
        TransformerBlock m = new TransformerBlock(d, heads, 0.0, tanh, true, new Generator(seed));
        m.to(DType.F64);
        try (var g = Autograd.noGrad()) {
            for (Parameter p : m.parameters()) {
                p.data().copyFrom(Tensor.rand(Generator.global(), DType.F64, p.shape()).sub(0.5).mul(1.5));
            }
        }
        return m;
    }

    @BackendTest
    void blockMatchesThePreLnFormula(TestBackends.Case backend) {
        use(backend);
        int n = 2, t = 3, d = 4;
        double[] x = s.values(n * t * d, -1, 1);
        for (boolean tanh : new boolean[] {false, true}) {
            try (TransformerBlock m = block(d, 2, tanh, 3)) {
                close("block, tanh GELU = " + tanh, m.forward(f64(x, n, t, d)), blockRef(m, x, n, t, d, tanh), new int[] {n, t, d}, DType.F64, 1e-12);
            }
        }
    }

    @BackendTest
    void blockGradcheck(TestBackends.Case backend) {
        use(backend);
        try (TransformerBlock m = block(4, 2, false, 5)) {
            ModuleGradcheck.check(m, m::forward, leaf(s.values(3 * 4, -1, 1), 1, 3, 4));
        }
    }

    /** Offset 1 into a table of 5: rows 1..3 get the gradient summed over the batch, rows 0 and 4 exactly zero. */
    @BackendTest
    void positionalEmbeddingGradcheck(TestBackends.Case backend) {
        use(backend);
        try (PositionalEmbedding pos = new PositionalEmbedding(5, 3, new Generator(4))) {
            pos.to(DType.F64);
            ModuleGradcheck.check(pos, x -> pos.forward(x, 1), leaf(s.values(2 * 3 * 3, -1, 1), 2, 3, 3));
            pos.zeroGrad();
            pos.forward(leaf(s.values(2 * 3 * 3, -1, 1), 2, 3, 3), 1).sum().backward();
            double[] want = new double[5 * 3];
            java.util.Arrays.fill(want, 3, 4 * 3, 2.0);  // d(sum)/d(row) = batch size, for rows 1..3
            close("d sum / d weight", pos.weight().grad(), want, new int[] {5, 3}, DType.F64, 0);
        }
    }

    @BackendTest
    void cachedGenerationThroughBlocksEqualsTheFullRun(TestBackends.Case backend) {
        use(backend);
        int n = 1, t = 4, d = 4;
        double[] x = s.values(n * t * d, -1, 1);
        try (TransformerBlock m = block(d, 2, true, 7); PositionalEmbedding pos = new PositionalEmbedding(8, d, new Generator(2));
             KvCache cache = new KvCache()) {
            pos.to(DType.F64);
            Tensor xs = f64(x, n, t, d);
            double[] full = m.forward(pos.forward(xs)).toDoubleArray();
            Tensor[] steps = new Tensor[t];
            for (int i = 0; i < t; i++) {
                steps[i] = m.forward(pos.forward(xs.narrow(1, i, 1), i), null, cache);
            }
            close("block token by token", Tensor.cat(1, steps), full, new int[] {n, t, d}, DType.F64, 1e-12);
        }
    }

    @BackendTest
    void positionalEmbeddingAddsRowsFromTheOffsetAndStopsAtMaxLength(TestBackends.Case backend) {
        use(backend);
        try (PositionalEmbedding pos = new PositionalEmbedding(5, 3, new Generator(1))) {
            double[] table = pos.weight().data().toDoubleArray();
            double[] x = s.values(2 * 2 * 3, -1, 1);
            double[] ref = x.clone();
            for (int b = 0; b < 2; b++) {
                for (int i = 0; i < 2 * 3; i++) {
                    ref[b * 6 + i] += table[3 * 3 + i]; // offset 3: rows 3 and 4
                }
            }
            close("positions 3..4", pos.forward(NnSupport.f32(x, 2, 2, 3), 3), ref, new int[] {2, 2, 3}, DType.F32, 1e-6);
            rejects(() -> pos.forward(Tensor.zeros(1, 6, 3)), "PositionalEmbedding", "0..5", "max_length = 5");
            rejects(() -> pos.forward(Tensor.zeros(1, 2, 3), 4), "PositionalEmbedding", "4..5", "max_length = 5");
            rejects(() -> pos.forward(Tensor.zeros(1, 2, 4)), "PositionalEmbedding", "dim = 3", "[1, 2, 4]");
        }
        rejects(() -> new TransformerBlock(6, 4), "TransformerBlock", "d_model = 6", "num_heads = 4");
        try (TransformerBlock m = new TransformerBlock(4, 2)) {
            rejects(() -> m.forward(Tensor.zeros(3, 4)), "TransformerBlock", "[N, T, d_model]", "[3, 4]");
        }
    }

    @BackendTest
    void trainingStepsAndCachedGenerationLeakNothing(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        try (TransformerBlock m = new TransformerBlock(4, 2, 0.1, false, true, new Generator(3));
             AdamW opt = new AdamW(m.parameters(), AdamW.Config.defaults())) {
            Tensor x = Tensor.rand(2, 3, 4);
            Tensor pad = Tensor.zeros(2, 3).gt(Tensor.of(new float[] {0, 0, -1, 0, 0, 0}, 2, 3));
            long start = settledLiveBuffers(device);
            for (int step = 0; step < 5; step++) {
                try (Scope sc = Scope.open()) {
                    m.zeroGrad();
                    m.forward(x, pad, null).pow(2).mean().backward();
                    opt.step();
                }
            }
            long afterTraining = k.memoryStats().liveBuffers();
            try (var g = Autograd.noGrad(); KvCache cache = new KvCache()) {
                m.eval();
                for (int i = 0; i < 3; i++) {
                    try (Scope sc = Scope.open()) {
                        m.forward(x.narrow(1, i, 1), null, cache);
                    }
                }
                assertEquals(3, cache.length(), "the cache outlives each step's scope");
            }
            assertEquals(afterTraining, k.memoryStats().liveBuffers(), "a closed cache and per-token scopes leave nothing");
            assertTrue(afterTraining >= start, "optimizer state is allocated on the first step");
            try (Scope sc = Scope.open()) {
                m.forward(x, pad, null).sum().backward();
                opt.step();
            }
            assertEquals(afterTraining, k.memoryStats().liveBuffers(), "a further training step in a scope leaks nothing");
        }
    }

    @BackendTest
    void moduleToF64ConvertsFloatingStateAndKeepsValues(TestBackends.Case backend) {
        use(backend);
        try (TransformerBlock m = new TransformerBlock(4, 2); dev.fathom.nn.BatchNorm1d bn = new dev.fathom.nn.BatchNorm1d(3)) {
            double[] before = m.attn().inProjWeight().data().toDoubleArray();
            m.to(DType.F64);
            assertEquals(DType.F64, m.attn().inProjWeight().data().dtype());
            assertTrue(m.attn().inProjWeight().data().requiresGrad(), "still a trainable leaf");
            close("values survive the conversion", m.attn().inProjWeight().data(), before, new int[] {12, 4}, DType.F64, 0);
            bn.to(DType.F64);
            assertEquals(DType.F64, bn.stateDict().get("running_var").dtype(), "a floating buffer converts");
            assertEquals(DType.I64, bn.stateDict().get("num_batches_tracked").dtype(), "an integer buffer stays");
            rejects(() -> m.to(DType.I64), "TransformerBlock.to", "floating", "I64");
            assertTrue(m.toString().startsWith("TransformerBlock(d_model=4, causal=true,\n  (ln1): LayerNorm("), m::toString);
        }
    }

    /** Embedding + positions + one block + LayerNorm + head memorizes a fixed sequence with AdamW. */
    @BackendTest
    void aTinyTransformerOverfitsAFixedSequence(TestBackends.Case backend) {
        use(backend);
        int vocab = 7, d = 16, t = 12, steps = 60;
        long[] seq = {0, 3, 1, 4, 1, 5, 2, 6, 5, 3, 5, 0, 2};
        Generator g = new Generator(11);
        try (Embedding emb = new Embedding(vocab, d, g); PositionalEmbedding pos = new PositionalEmbedding(t, d, g);
             TransformerBlock block = new TransformerBlock(d, 2, 0.0, true, true, g); LayerNorm ln = new LayerNorm(d);
             Linear head = new Linear(d, vocab, true, g)) {
            List<Parameter> params = new ArrayList<>();
            for (var m : List.of(emb, pos, block, ln, head)) {
                params.addAll(m.parameters());
            }
            try (AdamW opt = new AdamW(params, AdamW.Config.defaults().withLr(1e-2).withWeightDecay(0.01))) {
                Tensor in = Tensor.of(java.util.Arrays.copyOfRange(seq, 0, t), 1, t);
                Tensor target = Tensor.of(java.util.Arrays.copyOfRange(seq, 1, t + 1), t);
                double first = Double.NaN, last = Double.NaN;
                for (int step = 0; step < steps; step++) {
                    try (Scope sc = Scope.open()) {
                        opt.zeroGrad();
                        Tensor logits = head.forward(ln.forward(block.forward(pos.forward(emb.forward(in))))).reshape(t, vocab);
                        Tensor loss = Functional.crossEntropy(logits, target);
                        loss.backward();
                        opt.step();
                        last = loss.itemDouble();
                        if (step == 0) {
                            first = last;
                        }
                    }
                }
                double f = first, l = last;
                assertTrue(first > 1.0, () -> "the untrained loss is near log 7 ≈ 1.95, got " + f);
                assertTrue(last < 0.05, () -> "next-token loss after " + steps + " AdamW steps: " + l + " (first " + f + ")");
            }
        }
    }
}
