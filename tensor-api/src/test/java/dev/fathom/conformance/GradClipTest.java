package dev.fathom.conformance;

import dev.fathom.nn.Parameter;
import dev.fathom.optim.GradClip;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static dev.fathom.conformance.Check.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clipping by total norm (2, 1 and infinity norms, as {@code torch.nn.utils.clip_grad_norm_}:
 * scale {@code maxNorm / (total + 1e-6)} when below 1), by value, non-finite norms, parameters
 * without gradients, and bad input.
 */
class GradClipTest extends ConformanceTest {

    private static Parameter withGrad(DType dtype, double... grad) {
        Parameter p = new Parameter(Tensor.zeros(dtype, grad.length), true);
        p.data().setGrad(Tensor.of(grad.clone(), grad.length).to(dtype));
        return p;
    }

    private static double[] grad(Parameter p) {
        return p.grad().toDoubleArray();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void clipByTheTotalTwoNormAcrossParameters(TestBackends.Case backend) {
        use(backend);
        // [3, 4] and [12]: total 2-norm sqrt(9 + 16 + 144) = 13.
        try (Parameter a = withGrad(DType.F64, 3, 4); Parameter b = withGrad(DType.F64, 12); Parameter none = withGrad(DType.F64, 1)) {
            none.zeroGrad();
            double total = GradClip.clipGradNorm(List.of(a, none, b), 6.5);
            assertEquals(13, total, 1e-12);
            double scale = 6.5 / (13 + 1e-6);
            assertArrayEquals(new double[] {3 * scale, 4 * scale}, grad(a), 1e-12);
            assertArrayEquals(new double[] {12 * scale}, grad(b), 1e-12);
            assertNull(none.grad(), "a parameter without a gradient is skipped");
            assertEquals(6.5, GradClip.clipGradNorm(List.of(a, b), 100), 1e-6, "the clipped norm is maxNorm (up to the 1e-6)");
            assertArrayEquals(new double[] {12 * scale}, grad(b), 1e-12, "a norm below maxNorm leaves the gradients as they are");
        }
        try (Parameter f = withGrad(DType.F32, 3, 4)) {
            assertEquals(5, GradClip.clipGradNorm(List.of(f), 1), 1e-6);
            assertArrayEquals(new float[] {0.6f, 0.8f}, f.grad().toFloatArray(), 1e-6f);
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void infinityAndOneNorms(TestBackends.Case backend) {
        use(backend);
        try (Parameter a = withGrad(DType.F64, 3, -4); Parameter b = withGrad(DType.F64, -12, 1)) {
            double total = GradClip.clipGradNorm(List.of(a, b), 2, Double.POSITIVE_INFINITY, true);
            assertEquals(12, total, 0, "the largest magnitude");
            double scale = 2 / (12 + 1e-6);
            assertArrayEquals(new double[] {3 * scale, -4 * scale}, grad(a), 1e-12);
            assertArrayEquals(new double[] {-12 * scale, scale}, grad(b), 1e-12);
        }
        try (Parameter a = withGrad(DType.F64, 3, -4); Parameter b = withGrad(DType.F64, -12, 1)) {
            assertEquals(20, GradClip.clipGradNorm(List.of(a, b), 10, 1, false), 1e-12, "|3| + |-4| + |-12| + |1|");
            assertArrayEquals(new double[] {3 * 10 / (20 + 1e-6), -4 * 10 / (20 + 1e-6)}, grad(a), 1e-12);
        }
        try (Parameter a = withGrad(DType.F64, 1, 2, 2)) {
            assertEquals(Math.cbrt(17), GradClip.clipGradNorm(List.of(a), 100, 3, false), 1e-12, "the 3-norm (1 + 8 + 8)^(1/3)");
        }
        try (Parameter a = withGrad(DType.F64, 3, -4); Parameter empty = withGrad(DType.F64)) {
            assertEquals(4, GradClip.clipGradNorm(List.of(a, empty), 100, Double.POSITIVE_INFINITY, true), 0,
                    "an empty gradient adds nothing to the largest magnitude");
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void aNonFiniteNormIsReportedAndNothingIsScaled(TestBackends.Case backend) {
        use(backend);
        try (Parameter a = withGrad(DType.F32, 3, 4); Parameter b = withGrad(DType.F32, Double.NaN, 1)) {
            assertTrue(Double.isNaN(GradClip.clipGradNorm(List.of(a, b), 1)), "NaN is returned");
            assertArrayEquals(new float[] {3, 4}, a.grad().toFloatArray(), "and the finite gradients are left unscaled");
            fails(ArithmeticException.class, () -> GradClip.clipGradNorm(List.of(a, b), 1, 2, true), "clipGradNorm", "NaN", "2 parameters");
            assertTrue(Double.isNaN(GradClip.clipGradNorm(List.of(a, b), 1, Double.POSITIVE_INFINITY, false)), "the infinity norm sees the NaN too");
        }
        try (Parameter a = withGrad(DType.F32, 3, 4); Parameter b = withGrad(DType.F32, Double.POSITIVE_INFINITY)) {
            assertEquals(Double.POSITIVE_INFINITY, GradClip.clipGradNorm(List.of(a, b), 1));
            assertArrayEquals(new float[] {3, 4}, a.grad().toFloatArray());
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void clipByValue(TestBackends.Case backend) {
        use(backend);
        try (Parameter a = withGrad(DType.F32, -3, 0.25, 0.5, 7); Parameter b = withGrad(DType.F64, -0.1, Double.NaN)) {
            GradClip.clipGradValue(List.of(a, b), 0.5);
            assertArrayEquals(new float[] {-0.5f, 0.25f, 0.5f, 0.5f}, a.grad().toFloatArray());
            double[] gb = grad(b);
            assertEquals(-0.1, gb[0], 0);
            assertTrue(Double.isNaN(gb[1]), "NaN stays NaN");
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void badInputAndNoGradients(TestBackends.Case backend) {
        use(backend);
        try (Parameter a = withGrad(DType.F32, 1)) {
            List<Parameter> ps = List.of(a);
            fails(IllegalArgumentException.class, () -> GradClip.clipGradNorm(ps, -1), "clipGradNorm", "maxNorm", "-1");
            fails(IllegalArgumentException.class, () -> GradClip.clipGradNorm(ps, 1, 0.5, false), "clipGradNorm", "normType", "0.5");
            fails(IllegalArgumentException.class, () -> GradClip.clipGradNorm(ps, 1, Double.NaN, false), "normType", "NaN");
            fails(IllegalArgumentException.class, () -> GradClip.clipGradValue(ps, 0), "clipGradValue", "clipValue", "> 0");
            fails(IllegalArgumentException.class, () -> GradClip.clipGradValue(null, 1), "clipGradValue", "null");
            a.zeroGrad();
            assertEquals(0, GradClip.clipGradNorm(ps, 1), "no gradients: the norm is 0");
        }
    }
}
