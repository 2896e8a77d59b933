package dev.fathom.conformance;

import dev.fathom.Fathom;
import dev.fathom.spi.Philox;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random fills: reproducible from a seed, statistically sound on 10^5 samples, and equal
 * element by element to the SPI's definition ({@link dev.fathom.spi.RandomOp}), recomputed here
 * from {@link Philox#block} alone: element i takes words {@code 2·(i mod 2)} and
 * {@code 2·(i mod 2) + 1} of {@code philox(counter + ⌊i/2⌋, seed)}.
 */
class RandomTest extends ConformanceTest {
    private static final int N = 100_000;

    /** Words w0, w1 of element i of a fill at (seed, counter). */
    private static long[] words(long seed, long counter, int i) {
        int[] out = new int[4];
        Philox.block(counter + i / 2, seed, out);
        int j = 2 * (i % 2);
        return new long[] {out[j] & 0xFFFFFFFFL, out[j + 1] & 0xFFFFFFFFL};
    }

    private static double uniformF32(long w0) {
        return (w0 >>> 8) / (double) (1 << 24);
    }

    private static double uniformF64(long w0, long w1) {
        return ((w0 << 32 | w1) >>> 11) / 0x1.0p53;
    }

    private static double normal(long w0, long w1) {
        double u1 = (w0 + 1) / 0x1.0p32;
        double u2 = w1 / 0x1.0p32;
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    @BackendTest
    void seedMakesStreamsReproducible(TestBackends.Case backend) {
        use(backend);
        Fathom.seed(7);
        float[] a = Tensor.rand(33).toFloatArray();
        float[] b = Tensor.randn(4, 5).toFloatArray();
        Fathom.seed(7);
        assertArrayEquals(a, Tensor.rand(33).toFloatArray(), "same seed, same rand");
        assertArrayEquals(b, Tensor.randn(4, 5).toFloatArray(), "same seed and call order, same randn");
        Fathom.seed(8);
        assertFalse(java.util.Arrays.equals(a, Tensor.rand(33).toFloatArray()), "another seed, another stream");
        Generator g = new Generator(99);
        double[] c = Tensor.rand(g, DType.F64, 10).toDoubleArray();
        assertEquals(5, g.counter(), "a fill of 10 elements takes 5 counters");
        g.setState(99, 0);
        assertArrayEquals(c, Tensor.rand(g, DType.F64, 10).toDoubleArray(), "setState replays the stream");
        Tensor.rand(g, DType.F32, 7);
        assertEquals(5 + 4, g.counter(), "a fill of 7 elements takes ⌈7/2⌉ = 4 counters");
    }

    @BackendTest
    void fillsMatchTheSpiDefinition(TestBackends.Case backend) {
        use(backend);
        long seed = 0x1234_5678_9ABCL;
        Generator g = new Generator(seed);
        g.setState(seed, (1L << 32) - 3); // the counter's low word wraps inside the fill
        int n = 37;
        long counter = g.counter();
        float[] u32 = Tensor.rand(g, DType.F32, n).toFloatArray();
        for (int i = 0; i < n; i++) {
            assertEquals(uniformF32(words(seed, counter, i)[0]), u32[i], 0, "rand F32 element " + i);
        }
        counter = g.counter();
        double[] u64 = Tensor.rand(g, DType.F64, n).toDoubleArray();
        for (int i = 0; i < n; i++) {
            long[] w = words(seed, counter, i);
            assertEquals(uniformF64(w[0], w[1]), u64[i], 0, "rand F64 element " + i);
        }
        counter = g.counter();
        double[] z64 = Tensor.randn(g, DType.F64, n).toDoubleArray();
        for (int i = 0; i < n; i++) {
            long[] w = words(seed, counter, i);
            assertEquals(normal(w[0], w[1]), z64[i], 1e-14 * Math.max(1, Math.abs(z64[i])), "randn F64 element " + i);
        }
        counter = g.counter();
        float[] z32 = Tensor.randn(g, DType.F32, n).toFloatArray();
        for (int i = 0; i < n; i++) {
            long[] w = words(seed, counter, i);
            assertEquals((float) normal(w[0], w[1]), z32[i], 1e-6f, "randn F32 element " + i + " (computed in F64, then rounded)");
        }
        counter = g.counter();
        double[] shifted = Tensor.normal(3, 0.5, DType.F64, g, n).toDoubleArray();
        for (int i = 0; i < n; i++) {
            long[] w = words(seed, counter, i);
            assertEquals(3 + 0.5 * normal(w[0], w[1]), shifted[i], 1e-14, "normal(3, 0.5) element " + i);
        }
        counter = g.counter();
        double[] ranged = Tensor.uniform(-2, 6, DType.F64, g, n).toDoubleArray();
        for (int i = 0; i < n; i++) {
            long[] w = words(seed, counter, i);
            assertEquals(-2 + 8 * uniformF64(w[0], w[1]), ranged[i], 1e-14, "uniform(-2, 6) element " + i);
        }
        for (DType dt : new DType[] {DType.F32, DType.I64, DType.BOOL}) {
            counter = g.counter();
            double[] bits = Tensor.bernoulli(0.3, dt, g, n).toDoubleArray();
            for (int i = 0; i < n; i++) {
                assertEquals(uniformF32(words(seed, counter, i)[0]) < 0.3 ? 1 : 0, bits[i], 0, "bernoulli(0.3) " + dt + " element " + i);
            }
        }
    }

    @BackendTest
    void defaultGeneratorFollowsTheSameRule(TestBackends.Case backend) {
        use(backend);
        Fathom.seed(2024);
        long counter = Generator.global().counter();
        float[] u = Tensor.rand(3, 3).toFloatArray();
        for (int i = 0; i < u.length; i++) {
            assertEquals(uniformF32(words(2024, counter, i)[0]), u[i], 0, "rand element " + i + " after Fathom.seed(2024)");
        }
    }

    @BackendTest
    void statisticsOfTenToTheFiveSamples(TestBackends.Case backend) {
        use(backend);
        Fathom.seed(11);
        // Bounds are 6 standard errors: a correct generator fails about once in 10^8 runs.
        double[] u = Tensor.rand(N).toDoubleArray();
        assertMoments("rand", u, 0.5, 1.0 / 12, 6 * Math.sqrt(1.0 / 12 / N), 6 * Math.sqrt(1.0 / 180 / N));
        for (double x : u) {
            assertTrue(x >= 0 && x < 1, "rand in [0, 1), got " + x);
        }
        double[] z = Tensor.randn(N).toDoubleArray();
        assertMoments("randn", z, 0, 1, 6 / Math.sqrt(N), 6 * Math.sqrt(2.0 / N));
        double[] z64 = Tensor.normal(-1, 2, DType.F64, Generator.global(), N).toDoubleArray();
        assertMoments("normal(-1, 2) F64", z64, -1, 4, 6 * 2 / Math.sqrt(N), 6 * 4 * Math.sqrt(2.0 / N));
        double[] b = Tensor.bernoulli(0.3, DType.F32, Generator.global(), N).toDoubleArray();
        assertMoments("bernoulli(0.3)", b, 0.3, 0.21, 6 * Math.sqrt(0.21 / N), 0.01);
        double[] e = Tensor.bernoulli(0, DType.F32, Generator.global(), 1000).toDoubleArray();
        double[] one = Tensor.bernoulli(1, DType.F32, Generator.global(), 1000).toDoubleArray();
        for (int i = 0; i < 1000; i++) {
            assertEquals(0, e[i], "bernoulli(0) is never 1");
            assertEquals(1, one[i], "bernoulli(1) is always 1");
        }
    }

    private static void assertMoments(String what, double[] x, double mean, double var, double meanTol, double varTol) {
        double m = 0;
        for (double v : x) {
            m += v;
        }
        m /= x.length;
        double s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        s /= x.length - 1;
        assertEquals(mean, m, meanTol, what + ": sample mean of " + x.length);
        assertEquals(var, s, varTol, what + ": sample variance of " + x.length);
    }
}
