package dev.fathom.conformance;

import dev.fathom.Fathom;
import dev.fathom.nn.Init;
import dev.fathom.nn.Init.FanMode;
import dev.fathom.nn.Init.Nonlinearity;
import dev.fathom.nn.Linear;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

import static dev.fathom.conformance.NnSupport.rejects;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Initializers: fans and gains as torch.nn.init computes them; the sample mean, standard deviation
 * and range of large initialized tensors against the distribution each promises (bounds of several
 * standard errors); orthogonality; reproducibility from a seed.
 */
class InitTest extends ConformanceTest {

    /** Checks sample mean and std of t against a distribution with the given mean and std, and the range. */
    private static void assertDistribution(String what, Tensor t, double mean, double std, double lo, double hi) {
        double[] v = t.toDoubleArray();
        int n = v.length;
        double m = 0;
        for (double x : v) {
            m += x;
            assertTrue(x >= lo && x <= hi, () -> what + ": value " + x + " outside [" + lo + ", " + hi + "]");
        }
        m /= n;
        double var = 0;
        for (double x : v) {
            var += (x - m) * (x - m);
        }
        double sd = Math.sqrt(var / (n - 1));
        assertEquals(mean, m, 5 * std / Math.sqrt(n) + 1e-12, what + ": mean");
        // The sample std of n draws has a relative standard error of about 1/√(2n) (normal); 2% covers uniform too.
        assertEquals(std, sd, 0.02 * std, what + ": std");
    }

    @BackendTest
    void fansAndGains(TestBackends.Case backend) {
        use(backend);
        assertArrayEquals(new long[] {3, 5}, Init.fans(new int[] {5, 3}));
        assertArrayEquals(new long[] {4 * 9, 8 * 9}, Init.fans(new int[] {8, 4, 3, 3}), "conv weight [out, in/groups, kh, kw]");
        assertEquals(1, Init.gain(Nonlinearity.LINEAR, 0));
        assertEquals(5.0 / 3, Init.gain(Nonlinearity.TANH, 0));
        assertEquals(Math.sqrt(2), Init.gain(Nonlinearity.RELU, 0));
        assertEquals(Math.sqrt(2 / (1 + 0.2 * 0.2)), Init.gain(Nonlinearity.LEAKY_RELU, 0.2), 1e-15);
        rejects(() -> Init.fans(new int[] {5}), "fan", "[5]");
    }

    @BackendTest
    void kaimingAndXavier(TestBackends.Case backend) {
        use(backend);
        Generator g = new Generator(5);
        int out = 300, in = 400;
        double b = Math.sqrt(3) * Math.sqrt(2) / Math.sqrt(in);
        assertDistribution("kaimingUniform relu fan_in", Init.kaimingUniform(Tensor.zeros(out, in), 0, FanMode.FAN_IN, Nonlinearity.RELU, g),
                0, b / Math.sqrt(3), -b, b);
        double sd = Math.sqrt(2) / Math.sqrt(out * 9);
        assertDistribution("kaimingNormal relu fan_out (conv)",
                Init.kaimingNormal(Tensor.zeros(out, 40, 3, 3), 0, FanMode.FAN_OUT,
                        Nonlinearity.RELU, g), 0, sd, -10 * sd, 10 * sd);
        double xb = Math.sqrt(6.0 / (in + out));
        assertDistribution("xavierUniform", Init.xavierUniform(Tensor.zeros(DType.F64, out, in), 1, g), 0, xb / Math.sqrt(3), -xb, xb);
        double xs = 2 * Math.sqrt(2.0 / (in + out));
        assertDistribution("xavierNormal gain 2", Init.xavierNormal(Tensor.zeros(out, in), 2, g), 0, xs, -10 * xs, 10 * xs);
        assertDistribution("normal", Init.normal(Tensor.zeros(out, in), 3, 0.5, g), 3, 0.5, -2, 8);
        assertDistribution("uniform", Init.uniform(Tensor.zeros(out, in), -1, 3, g), 1, 4 / Math.sqrt(12), -1, 3);
    }

    @BackendTest
    void pytorchDefaultForLinear(TestBackends.Case backend) {
        use(backend);
        try (Linear lin = new Linear(300, 400)) {
            double bound = 1 / Math.sqrt(300);
            assertDistribution("Linear weight", lin.weight().data(), 0, bound / Math.sqrt(3), -bound, bound);
            double[] bias = lin.bias().data().toDoubleArray();
            for (double v : bias) {
                assertTrue(Math.abs(v) <= bound, "bias within 1/sqrt(fan_in)");
            }
            assertTrue(lin.weight().data().requiresGrad(), "initialization keeps the parameter a leaf that requires grad");
            assertTrue(lin.weight().data().isLeaf());
        }
    }

    @BackendTest
    void orthogonal(TestBackends.Case backend) {
        use(backend);
        Generator g = new Generator(9);
        int[][] shapes = {{30, 50}, {50, 30}, {6, 2, 3, 3}, {7, 7}};
        for (int[] shape : shapes) {
            Tensor t = Init.orthogonal(Tensor.zeros(DType.F64, shape), 2, g);
            int rows = shape[0];
            int cols = (int) (t.numel() / rows);
            double[] q = t.toDoubleArray();
            boolean wide = rows < cols;
            int k = Math.min(rows, cols);
            // Rows are orthogonal when wide (Q Qᵀ = gain² I), columns otherwise (Qᵀ Q = gain² I).
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) {
                    double dot = 0;
                    for (int i = 0; i < (wide ? cols : rows); i++) {
                        dot += wide ? q[a * cols + i] * q[b * cols + i] : q[i * cols + a] * q[i * cols + b];
                    }
                    assertEquals(a == b ? 4 : 0, dot, 1e-10, "orthogonal " + java.util.Arrays.toString(shape) + " at (" + a + ", " + b + ")");
                }
            }
        }
        Tensor f32 = Init.orthogonal(Tensor.zeros(4, 4), 1, g);
        assertEquals(DType.F32, f32.dtype());
        rejects(() -> Init.orthogonal(Tensor.zeros(4), 1, g), "orthogonal", "2 dims");
    }

    @BackendTest
    void seedsMakeInitializationReproducible(TestBackends.Case backend) {
        use(backend);
        Fathom.seed(7);
        double[] a;
        try (Linear l = new Linear(5, 3)) {
            a = l.weight().data().toDoubleArray();
        }
        Fathom.seed(7);
        double[] b;
        try (Linear l = new Linear(5, 3)) {
            b = l.weight().data().toDoubleArray();
        }
        Fathom.seed(8);
        double[] c;
        try (Linear l = new Linear(5, 3)) {
            c = l.weight().data().toDoubleArray();
        }
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
    }

    @BackendTest
    void constantsAndBadInput(TestBackends.Case backend) {
        use(backend);
        Tensor t = Tensor.ones(2, 3);
        assertSame(t, Init.zeros(t));
        assertArrayEquals(new double[6], t.toDoubleArray());
        Init.constant(t, 2.5);
        assertArrayEquals(new double[] {2.5, 2.5, 2.5, 2.5, 2.5, 2.5}, t.toDoubleArray());
        assertArrayEquals(new double[] {1, 1, 1, 1, 1, 1}, Init.ones(t).toDoubleArray());
        rejects(() -> Init.normal(Tensor.of(new long[] {1, 2}), 0, 1, null), "normal", "floating", "I64");
        rejects(() -> Init.uniform(t, 2, 1, null), "uniform", "lo <= hi");
        rejects(() -> Init.kaimingUniform(Tensor.zeros(0, 3), 0, FanMode.FAN_OUT, Nonlinearity.RELU, null), "kaimingUniform", "0");
    }
}
