package dev.fathom.conformance;

import dev.fathom.nn.Functional;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static dev.fathom.conformance.NnSupport.close;
import static dev.fathom.conformance.NnSupport.f32;
import static dev.fathom.conformance.NnSupport.f64;
import static dev.fathom.conformance.NnSupport.gradcheck;
import static dev.fathom.conformance.NnSupport.leaf;
import static dev.fathom.conformance.NnSupport.rejects;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The activation functions of {@link Functional}: values against scalar formulas in F64 and F32, and gradchecks. */
class NnActivationsTest extends ConformanceTest {
    private final NnSupport s = new NnSupport(31);

    /** An activation: its Fathom form and its scalar definition. */
    enum Activation {
        RELU(Functional::relu, x -> Math.max(0, x)),
        LEAKY_RELU(x -> Functional.leakyRelu(x, 0.1), x -> x > 0 ? x : 0.1 * x),
        ELU(x -> Functional.elu(x, 1.3), x -> x > 0 ? x : 1.3 * (Math.exp(x) - 1)),
        GELU(Functional::gelu, x -> 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2)))),
        GELU_TANH(x -> Functional.gelu(x, true), x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))),
        SILU(Functional::silu, x -> x / (1 + Math.exp(-x))),
        TANH(Functional::tanh, Math::tanh),
        SIGMOID(Functional::sigmoid, x -> 1 / (1 + Math.exp(-x))),
        SOFTPLUS(Functional::softplus, x -> x > 20 ? x : Math.log1p(Math.exp(x))),
        SOFTPLUS_BETA(x -> Functional.softplus(x, 2, 5), x -> 2 * x > 5 ? x : Math.log1p(Math.exp(2 * x)) / 2);

        final UnaryOperator<Tensor> fn;
        final DoubleUnaryOperator ref;

        Activation(UnaryOperator<Tensor> fn, DoubleUnaryOperator ref) {
            this.fn = fn;
            this.ref = ref;
        }
    }

    static Stream<Arguments> activations() {
        return TestBackends.times((Object[]) Activation.values());
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("activations")
    void matchesDefinitionAndGradchecks(TestBackends.Case backend, Activation a) {
        use(backend);
        int[] shape = {3, 5};
        double[] x = s.awayFromZero(15, 3);
        double[] expected = NnSupport.map(x, a.ref);
        close(a.name(), a.fn.apply(f64(x, shape)), expected, shape, DType.F64, 1e-12);
        close(a.name(), a.fn.apply(f32(x, shape)), expected, shape, DType.F32, 1e-5);
        gradcheck(t -> a.fn.apply(t[0]), leaf(x, shape));
        // A non-contiguous view goes through the same path.
        gradcheck(t -> a.fn.apply(t[0].t()), leaf(x, shape));
    }

    /**
     * The one-pass gradients of ReLU and GELU (Kernels.activationBackward, where a backend has it)
     * against the F64 derivatives, in F32 across GELU's polynomial range and beyond, with the
     * incoming gradient contiguous and transposed; ReLU turns an infinite gradient where x ≤ 0 into 0.
     */
    @BackendTest
    void reluAndGeluGradientsMatchTheF64Derivatives(TestBackends.Case backend) {
        use(backend);
        int rows = 41, cols = 25;
        double[] x = new double[rows * cols], g = new double[rows * cols];
        java.util.SplittableRandom r = new java.util.SplittableRandom(8);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (-7 + 14.0 * i / (x.length - 1));
            g[i] = (float) (r.nextDouble() * 4 - 2);
        }
        for (Activation a : new Activation[] {Activation.RELU, Activation.GELU}) {
            checkGradient(a, x, g, rows, cols, false);
            checkGradient(a, x, g, rows, cols, true);
        }
        Tensor xr = f32(new double[] {-1, 0, 2}, 3).requiresGrad(true);
        Functional.relu(xr).backward(f32(new double[] {Double.POSITIVE_INFINITY, Double.NaN, 3}, 3));
        assertArrayEquals(new double[] {0, 0, 3}, xr.grad().toDoubleArray(), 0, "relu's gradient where x <= 0 is 0, whatever g is");
    }

    /** a's gradient for x [rows, cols] and g, contiguous or transposed (strides (1, rows)), against F64. */
    private static void checkGradient(Activation a, double[] x, double[] g, int rows, int cols, boolean transposed) {
        Tensor xs = f32(x, rows, cols).requiresGrad(true);
        a.fn.apply(xs).backward(transposed ? f32(g, cols, rows).t() : f32(g, rows, cols));
        double[] got = xs.grad().toDoubleArray();
        for (int i = 0; i < x.length; i++) {
            double v = x[i], gi = transposed ? g[i % cols * rows + i / cols] : g[i];
            double pdf = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
            double expected = gi * (a == Activation.RELU ? (v > 0 ? 1 : 0) : 0.5 * (1 + Erf.erf(v / Math.sqrt(2))) + v * pdf);
            assertTrue(Math.abs(got[i] - expected) <= 1e-5 * (1 + Math.abs(expected)),
                    a + " gradient at x = " + v + (transposed ? ", g transposed" : "") + ": " + got[i] + " vs " + expected);
        }
    }

    /**
     * Softplus where {@code log(1 + eˣ)} would round: the tail {@code eˣ} far below 0 (Kahan's log1p
     * keeps it to the last bits), x itself above the threshold, both F64 and F32, NaN through, and
     * the gradient σ(βx) (1 above the threshold) against F64.
     */
    @BackendTest
    void softplusKeepsItsTailAndSwitchesToLinearAboveTheThreshold(TestBackends.Case backend) {
        use(backend);
        double[] x = {-40, -20, -1e-3, 0, 1e-9, 3, 19.9, 20.1, 100, Double.NaN};
        double[] expected = NnSupport.map(x, v -> v > 20 ? v : Math.log1p(Math.exp(v)));
        close("softplus F64", Functional.softplus(f64(x, x.length)), expected, new int[] {x.length}, DType.F64, 1e-15);
        close("softplus F32", Functional.softplus(f32(x, x.length)), expected, new int[] {x.length}, DType.F32, 1e-6);
        Tensor t = f64(x, x.length).requiresGrad(true);
        Functional.softplus(t, 0.5, 4).sum().backward();
        close("d softplus(beta 0.5, threshold 4)/dx", t.grad(), NnSupport.map(x, v -> 0.5 * v > 4 ? 1 : 1 / (1 + Math.exp(-0.5 * v))),
                new int[] {x.length}, DType.F64, 1e-15);
        rejects(() -> Functional.softplus(f64(x, x.length), 0, 20), "softplus", "beta must be positive", "got beta 0.0");
    }

    /**
     * LeakyReLU's one node (a slope in (0, 1]) and its composite (any other slope) against the
     * definition {@code x > 0 ? x : slope·x} at ±0, ±∞ and NaN; its gradient {@code g} above 0 and
     * {@code slope·g} from 0 down, as PyTorch's; and a graph-building backward that differentiates
     * it again (with respect to g: the same mask).
     */
    @BackendTest
    void leakyReluMatchesItsDefinitionAtTheEdges(TestBackends.Case backend) {
        use(backend);
        double[] x = {Double.NEGATIVE_INFINITY, -2, -0.0, 0.0, 3, Double.POSITIVE_INFINITY, Double.NaN};
        for (double slope : new double[] {0.2, 1, 1.5, -0.5}) {
            double[] expected = NnSupport.map(x, v -> v > 0 ? v : slope * v);
            double[] got = Functional.leakyRelu(f64(x, x.length), slope).toDoubleArray();
            for (int i = 0; i < x.length; i++) {
                assertTrue(Double.compare(expected[i], got[i]) == 0, "leakyRelu(" + x[i] + ", " + slope + ") = " + got[i] + ", want " + expected[i]);
            }
        }
        Tensor t = leaf(new double[] {-1, 0, 2}, 3);
        Tensor[] first = dev.fathom.autograd.Autograd.grad(new Tensor[] {Functional.leakyRelu(t, 0.2).mul(t).sum()}, new Tensor[] {t}, true);
        // d/dx (leakyRelu(x)·x) = leakyRelu'(x)·x + leakyRelu(x): -0.4, 0, 4; again: 2·leakyRelu'(x) = 0.4, 0.4, 2.
        assertArrayEquals(new double[] {-0.4, 0, 4}, first[0].toDoubleArray(), 1e-15);
        Tensor[] second = dev.fathom.autograd.Autograd.grad(new Tensor[] {first[0].sum()}, new Tensor[] {t}, false);
        assertArrayEquals(new double[] {0.4, 0.4, 2}, second[0].toDoubleArray(), 1e-15);
    }

    /** A graph-building backward differentiates the composite: GELU'' = φ(x)·(2 − x²). */
    @BackendTest
    void geluGradientIsDifferentiableAgain(TestBackends.Case backend) {
        use(backend);
        double[] x = {-3.5, -1.2, 0.3, 2.0, 4.1};
        Tensor t = leaf(x, 5);
        Tensor[] first = dev.fathom.autograd.Autograd.grad(new Tensor[] {Functional.gelu(t).sum()}, new Tensor[] {t}, true);
        Tensor[] second = dev.fathom.autograd.Autograd.grad(new Tensor[] {first[0].sum()}, new Tensor[] {t}, false);
        double[] expected = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            expected[i] = Math.exp(-0.5 * x[i] * x[i]) / Math.sqrt(2 * Math.PI) * (2 - x[i] * x[i]);
        }
        assertArrayEquals(expected, second[0].toDoubleArray(), 1e-10);
    }

    @BackendTest
    void eluGradientStaysFiniteForLargeInputs(TestBackends.Case backend) {
        use(backend);
        Tensor x = leaf(new double[] {-1, 1000, -1000}, 3);
        Functional.elu(x, 2).sum().backward();
        assertArrayEquals(new double[] {2 * Math.exp(-1), 1, 0}, x.grad().toDoubleArray(), 1e-12,
                "the exp of the branch not taken must not turn a zero gradient into NaN");
    }

    @BackendTest
    void softmaxAlongEachDim(TestBackends.Case backend) {
        use(backend);
        int[] shape = {3, 5};
        double[] x = s.values(15, -4, 4);
        for (int dim : new int[] {0, 1, -1}) {
            int d = dim < 0 ? dim + 2 : dim;
            double[] expected = new double[15];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 5; j++) {
                    double sum = 0;
                    for (int k = 0; k < shape[d]; k++) {
                        sum += Math.exp(d == 0 ? x[k * 5 + j] : x[i * 5 + k]);
                    }
                    expected[i * 5 + j] = Math.exp(x[i * 5 + j]) / sum;
                }
            }
            close("softmax dim " + dim, Functional.softmax(f64(x, shape), dim), expected, shape, DType.F64, 1e-12);
            gradcheck(t -> Functional.softmax(t[0], dim), leaf(x, shape));
        }
    }

    @BackendTest
    void flattenKeepsValues(TestBackends.Case backend) {
        use(backend);
        double[] x = s.values(2 * 3 * 4 * 5, -1, 1);
        Tensor t = f64(x, 2, 3, 4, 5);
        assertArrayEquals(new int[] {2, 60}, Functional.flatten(t, 1, -1).shape());
        assertArrayEquals(new int[] {2, 12, 5}, Functional.flatten(t, 1, 2).shape());
        assertArrayEquals(x, Functional.flatten(t, 0, -1).toDoubleArray());
        gradcheck(a -> Functional.flatten(a[0], 0, 1).tanh(), leaf(s.values(12, -1, 1), 2, 3, 2));
    }

    @BackendTest
    void rejectsNonFloatingInput(TestBackends.Case backend) {
        use(backend);
        Tensor ids = Tensor.of(new long[] {1, 2});
        rejects(() -> Functional.relu(ids), "relu", "I64", "to(DType.F32)");
        rejects(() -> Functional.gelu(ids), "gelu", "I64");
        rejects(() -> Functional.leakyRelu(Tensor.zeros(2), Double.NaN), "leakyRelu", "NaN");
        assertTrue(Functional.sigmoid(Tensor.zeros(DType.F64, 2)).dtype() == DType.F64);
    }
}
