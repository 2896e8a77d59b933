package dev.fathom.conformance;

import dev.fathom.Fathom;
import dev.fathom.autograd.Gradcheck;
import dev.fathom.nn.Functional;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

import static dev.fathom.conformance.NnSupport.close;
import static dev.fathom.conformance.NnSupport.f32;
import static dev.fathom.conformance.NnSupport.f64;
import static dev.fathom.conformance.NnSupport.gradcheck;
import static dev.fathom.conformance.NnSupport.i64;
import static dev.fathom.conformance.NnSupport.leaf;
import static dev.fathom.conformance.NnSupport.rejects;
import static dev.fathom.conformance.NnSupport.rejectsData;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Linear, dropout, embedding and layer norm of {@link Functional} against naive F64 loops, with gradchecks. */
class NnLayersTest extends ConformanceTest {
    private final NnSupport s = new NnSupport(17);

    /** y[r][o] = Σ_k x[r][k]·w[o][k] + b[o], rows r over all leading dims. */
    private static double[] linearRef(double[] x, double[] w, double[] b, int in, int out) {
        int rows = x.length / in;
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double acc = b == null ? 0 : b[o];
                for (int k = 0; k < in; k++) {
                    acc += x[r * in + k] * w[o * in + k];
                }
                y[r * out + o] = acc;
            }
        }
        return y;
    }

    @BackendTest
    void linear(TestBackends.Case backend) {
        use(backend);
        int in = 3, out = 5;
        double[] x = s.values(2 * 3 * in, -2, 2);
        double[] w = s.values(out * in, -1, 1);
        double[] b = s.values(out, -1, 1);
        close("linear 2-D", Functional.linear(f64(x, 6, in), f64(w, out, in), f64(b, out)), linearRef(x, w, b, in, out),
                new int[] {6, out}, DType.F64, 1e-12);
        close("linear 3-D", Functional.linear(f64(x, 2, 3, in), f64(w, out, in), f64(b, out)), linearRef(x, w, b, in, out),
                new int[] {2, 3, out}, DType.F64, 1e-12);
        close("linear no bias F32", Functional.linear(f32(x, 6, in), f32(w, out, in), null), linearRef(x, w, null, in, out),
                new int[] {6, out}, DType.F32, 1e-5);
        gradcheck(t -> Functional.linear(t[0], t[1], t[2]), leaf(x, 2, 3, in), leaf(w, out, in), leaf(b, out));
        gradcheck(t -> Functional.linear(t[0], t[1], null), leaf(x, 6, in), leaf(w, out, in));
    }

    @BackendTest
    void linearRejectsBadShapes(TestBackends.Case backend) {
        use(backend);
        rejects(() -> Functional.linear(Tensor.zeros(2, 4), Tensor.zeros(5, 3), null), "linear", "[2, 4]", "[5, 3]", "in_features = 3");
        rejects(() -> Functional.linear(Tensor.zeros(2, 3), Tensor.zeros(5, 3), Tensor.zeros(4)), "linear", "bias", "[5]", "[4]");
        rejects(() -> Functional.linear(Tensor.zeros(2, 3), Tensor.zeros(DType.F64, 5, 3), null), "linear", "F64", "F32");
        rejects(() -> Functional.linear(Tensor.zeros(2, 3), Tensor.zeros(15), null), "linear", "2-D");
    }

    // ---- dropout ------------------------------------------------------------------------------

    @BackendTest
    void dropoutIsIdentityInEvalAndForZeroP(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.rand(4, 5);
        assertSame(x, Functional.dropout(x, 0.5, false));
        assertSame(x, Functional.dropout(x, 0, true));
        double[] zeros = Functional.dropout(x, 1, true).toDoubleArray();
        assertArrayEquals(new double[20], zeros, "p = 1 drops everything");
    }

    @BackendTest
    void dropoutScalesKeptValuesAndKeepsTheExpectedFraction(TestBackends.Case backend) {
        use(backend);
        int n = 100_000;
        double p = 0.3;
        Tensor x = Tensor.ones(DType.F64, n);
        double[] y = Functional.dropout(x, p, true, new Generator(11)).toDoubleArray();
        long kept = 0;
        for (double v : y) {
            assertTrue(v == 0 || v == 1 / (1 - p), () -> "dropout output must be 0 or 1/(1-p), got " + v);
            kept += v != 0 ? 1 : 0;
        }
        double fraction = (double) kept / n;
        double sigma = Math.sqrt(p * (1 - p) / n);
        assertEquals(1 - p, fraction, 5 * sigma, "fraction kept (5 standard deviations)");
    }

    @BackendTest
    void dropoutIsReproducibleWithASeed(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.rand(6, 7);
        double[] a = Functional.dropout(x, 0.5, true, new Generator(3)).toDoubleArray();
        double[] b = Functional.dropout(x, 0.5, true, new Generator(3)).toDoubleArray();
        double[] c = Functional.dropout(x, 0.5, true, new Generator(4)).toDoubleArray();
        assertArrayEquals(a, b, "same seed, same mask");
        assertFalse(java.util.Arrays.equals(a, c), "another seed, another mask");
        Fathom.seed(99);
        double[] g1 = Functional.dropout(x, 0.5, true).toDoubleArray();
        Fathom.seed(99);
        double[] g2 = Functional.dropout(x, 0.5, true).toDoubleArray();
        assertArrayEquals(g1, g2, "Fathom.seed fixes the global generator's masks");
    }

    @BackendTest
    void dropoutGradientIsTheScaledMask(TestBackends.Case backend) {
        use(backend);
        double[] xv = s.awayFromZero(35, 2);
        Tensor x = leaf(xv, 5, 7);
        Tensor y = Functional.dropout(x, 0.4, true, new Generator(8));
        y.sum().backward();
        double[] yv = y.toDoubleArray();
        double[] g = x.grad().toDoubleArray();
        for (int i = 0; i < xv.length; i++) {
            assertEquals(yv[i] == 0 ? 0 : 1 / 0.6, g[i], 1e-12);
        }
        // The same generator state on every evaluation, so the function is deterministic.
        gradcheck(t -> Functional.dropout(t[0], 0.4, true, new Generator(8)), leaf(xv, 5, 7));
        rejects(() -> Functional.dropout(x, 1.5, true), "dropout", "1.5");
    }

    // ---- embedding ----------------------------------------------------------------------------

    @BackendTest
    void embedding(TestBackends.Case backend) {
        use(backend);
        int num = 7, dim = 3;
        double[] w = s.values(num * dim, -1, 1);
        long[] ids = {6, 0, 3, 3, 1, 6};
        double[] expected = new double[ids.length * dim];
        for (int i = 0; i < ids.length; i++) {
            for (int d = 0; d < dim; d++) {
                expected[i * dim + d] = w[(int) ids[i] * dim + d];
            }
        }
        close("embedding", Functional.embedding(i64(ids, 2, 3), f64(w, num, dim)), expected, new int[] {2, 3, dim}, DType.F64, 0);
        // Repeated ids accumulate their gradients.
        gradcheck(t -> Functional.embedding(i64(ids, 2, 3), t[0]), leaf(w, num, dim));
        rejectsData(() -> Functional.embedding(i64(new long[] {0, 7}, 2), f64(w, num, dim)), "embedding", "[0, 7)", "got 7");
        rejects(() -> Functional.embedding(f64(new double[] {0, 1}, 2), f64(w, num, dim)), "embedding", "ids", "I64");
    }

    @BackendTest
    void embeddingWithAPaddingIndexLeavesThatRowUntrained(TestBackends.Case backend) {
        use(backend);
        int num = 5, dim = 2;
        double[] w = s.values(num * dim, -1, 1);
        long[] ids = {1, 2, 1, 4};
        for (int pad : new int[] {1, -4}) {   // -4 is row 1 too, counted from the end as PyTorch's padding_idx
            Tensor weight = f64(w, num, dim).requiresGrad(true);
            Tensor out = Functional.embedding(i64(ids, 4), weight, pad);
            close("padded lookup", out, new double[] {w[2], w[3], w[4], w[5], w[2], w[3], w[8], w[9]}, new int[] {4, dim}, DType.F64, 0);
            out.mul(f64(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, dim)).sum().backward();
            close("gradient: none for row 1, ids 2 and 4 get theirs", weight.grad(), new double[] {0, 0, 0, 0, 3, 4, 0, 0, 7, 8},
                    new int[] {num, dim}, DType.F64, 0);
        }
        rejects(() -> Functional.embedding(i64(ids, 4), f64(w, num, dim), 5), "embedding", "padding index 5", "[-5, 5)");
        Fathom.seed(3);
        try (dev.fathom.nn.Embedding e = new dev.fathom.nn.Embedding(num, dim, -1, Generator.global())) {
            assertArrayEquals(new double[] {0, 0}, e.weight().data().select(0, 4).toDoubleArray(), "the padding row starts at zeros");
            assertEquals("Embedding(5, 2, padding_idx=4)", e.toString());
            e.forward(i64(new long[] {4, 0}, 2)).sum().backward();
            assertArrayEquals(new double[] {0, 0}, e.weight().data().grad().select(0, 4).toDoubleArray(), "and gets no gradient");
        }
    }

    // ---- layer norm ---------------------------------------------------------------------------

    /** Normalizes each run of {@code k} trailing values with the biased variance, then scales and shifts. */
    private static double[] layerNormRef(double[] x, int k, double[] w, double[] b, double eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / k; r++) {
            double mean = 0, var = 0;
            for (int j = 0; j < k; j++) {
                mean += x[r * k + j];
            }
            mean /= k;
            for (int j = 0; j < k; j++) {
                var += (x[r * k + j] - mean) * (x[r * k + j] - mean);
            }
            var /= k;
            for (int j = 0; j < k; j++) {
                double v = (x[r * k + j] - mean) / Math.sqrt(var + eps);
                y[r * k + j] = v * (w == null ? 1 : w[j]) + (b == null ? 0 : b[j]);
            }
        }
        return y;
    }

    @BackendTest
    void layerNorm(TestBackends.Case backend) {
        use(backend);
        int[] shape = {2, 3, 5};
        double[] x = s.values(30, -3, 3);
        double[] w5 = s.values(5, 0.5, 1.5), b5 = s.values(5, -1, 1);
        double[] w15 = s.values(15, 0.5, 1.5), b15 = s.values(15, -1, 1);
        close("layerNorm [5]", Functional.layerNorm(f64(x, shape), new int[] {5}, f64(w5, 5), f64(b5, 5), 1e-5),
                layerNormRef(x, 5, w5, b5, 1e-5), shape, DType.F64, 1e-12);
        close("layerNorm [3, 5]", Functional.layerNorm(f64(x, shape), new int[] {3, 5}, f64(w15, 3, 5), f64(b15, 3, 5), 1e-3),
                layerNormRef(x, 15, w15, b15, 1e-3), shape, DType.F64, 1e-12);
        close("layerNorm F32 no affine", Functional.layerNorm(f32(x, shape), new int[] {5}, null, null, 1e-5),
                layerNormRef(x, 5, null, null, 1e-5), shape, DType.F32, 1e-5);
        gradcheck(t -> Functional.layerNorm(t[0], new int[] {5}, t[1], t[2], 1e-5), leaf(x, shape), leaf(w5, 5), leaf(b5, 5));
        gradcheck(t -> Functional.layerNorm(t[0], new int[] {3, 5}, null, null, 1e-5), leaf(x, shape));
        rejects(() -> Functional.layerNorm(f64(x, shape), new int[] {3}, null, null, 1e-5), "layerNorm", "[2, 3, 5]", "[3]");
        rejects(() -> Functional.layerNorm(f64(x, shape), new int[] {5}, f64(w5, 5), f64(b15, 15), 1e-5), "layerNorm", "bias", "[15]");
    }

    @BackendTest
    void groupNorm(TestBackends.Case backend) {
        use(backend);
        int n = 2, c = 6, h = 2, w = 3, groups = 3;
        int[] shape = {n, c, h, w};
        double[] x = s.values(n * c * h * w, -3, 3);
        double[] weight = s.values(c, 0.5, 1.5), bias = s.values(c, -1, 1);
        // Each (example, group) is a contiguous run of (c / groups)·h·w values: layer norm over it, then the channel's affine.
        int run = c / groups * h * w;
        double[] normalized = layerNormRef(x, run, null, null, 1e-5);
        double[] expected = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int channel = i / (h * w) % c;
            expected[i] = normalized[i] * weight[channel] + bias[channel];
        }
        close("groupNorm", Functional.groupNorm(f64(x, shape), groups, f64(weight, c), f64(bias, c), 1e-5), expected, shape, DType.F64, 1e-12);
        close("groupNorm F32 no affine", Functional.groupNorm(f32(x, shape), groups, null, null, 1e-5), normalized, shape, DType.F32, 1e-5);
        close("groupNorm of [N, C]", Functional.groupNorm(f64(x, 12, 6), 2, null, null, 1e-5), layerNormRef(x, 3, null, null, 1e-5),
                new int[] {12, 6}, DType.F64, 1e-12);
        gradcheck(t -> Functional.groupNorm(t[0], groups, t[1], t[2], 1e-5), leaf(x, shape), leaf(weight, c), leaf(bias, c));
        gradcheck(t -> Functional.groupNorm(t[0].transpose(2, 3), 2, null, null, 1e-5), leaf(x, shape));
        rejects(() -> Functional.groupNorm(f64(x, shape), 4, null, null, 1e-5), "groupNorm", "6 channels", "4 groups", "[2, 6, 2, 3]");
        rejects(() -> Functional.groupNorm(f64(x, shape), 3, f64(weight, c), f64(new double[] {1, 2, 3}, 3), 1e-5), "groupNorm", "bias", "[3]");
        try (dev.fathom.nn.GroupNorm m = new dev.fathom.nn.GroupNorm(3, 6)) {
            assertEquals("GroupNorm(3, 6, eps=1.0E-5, affine=true)", m.toString());
            assertEquals(java.util.List.of("weight", "bias"), java.util.List.copyOf(m.namedParameters().keySet()));
        }
    }

    /** Gradients of gradients (Hessian-vector products, gradient penalties) through the layer functions. */
    @BackendTest
    void secondOrder(TestBackends.Case backend) {
        use(backend);
        double[] x = s.values(12, -2, 2);
        double[] w = s.values(6, -1, 1);
        double[] b = s.values(2, -1, 1);
        assertTrue(Gradcheck.checkSecondOrder(t -> Functional.linear(t[0], t[1], t[2]).tanh(), leaf(x, 4, 3), leaf(w, 2, 3),
                leaf(b, 2)).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> Functional.layerNorm(t[0], new int[] {3}, null, null, 1e-5), leaf(x, 4, 3)).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> Functional.elu(t[0], 1.2), leaf(s.awayFromZero(12, 2), 4, 3)).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> Functional.crossEntropy(t[0], i64(new long[] {2, 0, 1, 2}, 4), null, -100, 0.1,
                dev.fathom.nn.Reduction.MEAN), leaf(x, 4, 3)).passed());
        double[] targets = s.values(12, 0, 1);
        assertTrue(Gradcheck.checkSecondOrder(t -> Functional.bceWithLogits(t[0], f64(targets, 4, 3), null, null,
                dev.fathom.nn.Reduction.SUM), leaf(x, 4, 3)).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> Functional.batchNorm(t[0], null, null, null, null, true, 0.1, 1e-5),
                leaf(x, 4, 3)).passed());
    }
}
