package dev.fathom.theory;

import dev.fathom.theory.Criticality.Activation;
import org.junit.jupiter.api.Test;

import static dev.fathom.theory.TheoryAssertions.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The infinite-width recursions against closed forms (Gaussian moments, ReLU's K/2 and arc-cosine kernel, tanh's series). */
class CriticalityTest {

    @Test
    void quadratureReproducesGaussianMoments() {
        for (double k : new double[] {0.01, 1, 7.5}) {
            assertEquals(k, Criticality.gaussianExpectation(z -> z * z, k), 1e-13 * k);
            assertEquals(3 * k * k, Criticality.gaussianExpectation(z -> z * z * z * z, k), 1e-13 * k * k);
            assertEquals(15 * k * k * k, Criticality.gaussianExpectation(z -> Math.pow(z, 6), k), 1e-12 * k * k * k);
            assertEquals(Math.exp(-k / 2), Criticality.gaussianExpectation(Math::cos, k), 1e-13);      // characteristic function
        }
        assertEquals(Math.cos(0), Criticality.gaussianExpectation(Math::cos, 0), 0);
    }

    /** {@code E_{t ~ N(0,1)}[g(t)]} by Simpson's rule on 400,000 intervals over [−12, 12]: dense enough for tanh(√K·t) at K = 1000. */
    private static double simpson(java.util.function.DoubleUnaryOperator g) {
        int n = 400_000;
        double a = -12, h = 24.0 / n, s = 0;
        for (int i = 0; i <= n; i++) {
            double t = a + i * h;
            double v = g.applyAsDouble(t) * Math.exp(-0.5 * t * t);
            s += (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2) * v;
        }
        return s * h / 3 / Math.sqrt(2 * Math.PI);
    }

    @Test
    void steepActivationsAtLargeVariancesMatchADenseRule() {
        // tanh(z) and σ(z) turn over a width 1/√K of the standard normal t: a 150-point Gauss–Hermite rule gave
        // tanh's χ_∥ = −0.034 at K = 30 (it is +0.0023). A dense Simpson rule is the reference.
        for (Activation phi : new Activation[] {Activation.TANH, Activation.SIGMOID}) {
            for (double k : new double[] {3, 30, 100, 1000}) {
                double r = Math.sqrt(k);
                double meanSquare = simpson(t -> Math.pow(phi.apply(r * t), 2));
                assertEquals(meanSquare, Criticality.kernelMap(phi, 1, 0, k), 1e-10 * meanSquare, phi + " K " + k);
                double perp = simpson(t -> Math.pow(phi.derivative(r * t), 2));
                assertEquals(perp, Criticality.chiPerp(phi, 1, k), 1e-9 * perp, phi + " K " + k);
                // χ_∥ is d⟨φ²⟩/dK: the Simpson rule's central difference.
                double h = 1e-3 * k, up = Math.sqrt(k + h), down = Math.sqrt(k - h);
                double slope = (simpson(t -> Math.pow(phi.apply(up * t), 2)) - simpson(t -> Math.pow(phi.apply(down * t), 2))) / (2 * h);
                double parallel = Criticality.chiParallel(phi, 1, k);
                assertTrue(parallel > 0, phi + " K " + k + ": " + parallel);
                assertEquals(slope, parallel, 1e-4 * slope, phi + " K " + k);
            }
        }
    }

    @Test
    void aKernelThatGrowsWithoutBoundHasNoFiniteFixedPoint() {
        // K' = K + 0.1 (ReLU at σ_w² = 2, linear at σ_w² = 1): the map never stops; bisection on rounding found 6e13.
        assertEquals(Double.POSITIVE_INFINITY, Criticality.fixedPoint(Activation.RELU, 2, 0.1, 1));
        assertEquals(Double.POSITIVE_INFINITY, Criticality.fixedPoint(Activation.RELU, 2, 1e-3, 1));
        assertEquals(Double.POSITIVE_INFINITY, Criticality.fixedPoint(Activation.RELU, 2, 0.1, 1e6));
        assertEquals(Double.POSITIVE_INFINITY, Criticality.fixedPoint(Activation.LINEAR, 1, 0.1, 1));
    }

    @Test
    void reluKernelMapIsHalfTheVarianceTimesSigmaW2PlusSigmaB2() {
        // E[relu(z)²] = K/2, so K' = σ_b² + σ_w²·K/2.
        for (double sw : new double[] {0.5, 1, 2, 3}) {
            for (double sb : new double[] {0, 0.1, 1}) {
                for (double k : new double[] {1e-4, 0.3, 2, 50}) {
                    double expected = sb + sw * k / 2;
                    assertEquals(expected, Criticality.kernelMap(Activation.RELU, sw, sb, k), 1e-13 * expected, sw + " " + sb + " " + k);
                }
            }
        }
        double[] k = Criticality.kernels(Activation.RELU, 1, 0, 1, 20);
        for (int l = 1; l <= 20; l++) {
            assertEquals(Math.pow(2, -(l - 1)), k[l - 1], 1e-13 * Math.pow(2, -(l - 1)), "σ_w² = 1 halves K per layer, layer " + l);
        }
        for (double v : Criticality.kernels(Activation.RELU, 2, 0, 1, 20)) {
            assertEquals(2, v, 1e-13, "σ_w² = 2 keeps K = σ_w²·q₀");
        }
    }

    /**
     * The correlation map against an independent integration: E[φ(u₁)φ(u₂)] by composite Simpson. For
     * ReLU in one dimension, with the inner expectation in closed form (for X ~ N(m, s²),
     * E[relu X] = m·Φ(m/s) + s·φ(m/s)); for tanh on a 2-D grid over [−10, 10]².
     */
    @Test
    void correlationMapMatchesDirectIntegration() {
        double k = 1.3;
        for (double c : new double[] {-0.9, -0.3, 0, 0.4, 0.8, 0.99}) {
            double s = Math.sqrt(1 - c * c);
            double cross = simpson(z -> z <= 0 ? 0 : Math.sqrt(k) * z * Math.sqrt(k) * (c * z * normalCdf(c * z / s) + s * normalPdf(c * z / s))
                    * normalPdf(z), -12, 12, 24_000);
            double expected = (0 + 2 * cross) / Criticality.kernelMap(Activation.RELU, 2, 0, k);
            assertEquals(expected, Criticality.correlationMap(Activation.RELU, 2, 0, k, c), 1e-11, "ReLU, c = " + c);
        }
        assertEquals(1, Criticality.correlationMap(Activation.RELU, 2, 0, 1.3, 1), 1e-12, "c = 1 is a fixed point");
        assertEquals(0.5 * 0.7 + 0.1, Criticality.correlationMap(Activation.LINEAR, 1, 0.1, 0.7, 0.5) * (0.7 + 0.1), 1e-14, "linear: c·K + σ_b²");
        double kt = 0.8;
        for (double c : new double[] {-0.6, 0.2, 0.9}) {
            double s = Math.sqrt(1 - c * c);
            double cross = simpson(z1 -> normalPdf(z1) * simpson(z2 -> normalPdf(z2) * Math.tanh(Math.sqrt(kt) * z1)
                    * Math.tanh(Math.sqrt(kt) * (c * z1 + s * z2)), -10, 10, 800), -10, 10, 800);
            double expected = (0.05 + 1.5 * cross) / Criticality.kernelMap(Activation.TANH, 1.5, 0.05, kt);
            assertEquals(expected, Criticality.correlationMap(Activation.TANH, 1.5, 0.05, kt, c), 1e-9, "tanh, c = " + c);
        }
    }

    private static double simpson(java.util.function.DoubleUnaryOperator f, double a, double b, int intervals) {
        double h = (b - a) / intervals, sum = f.applyAsDouble(a) + f.applyAsDouble(b);
        for (int i = 1; i < intervals; i++) {
            sum += (i % 2 == 1 ? 4 : 2) * f.applyAsDouble(a + i * h);
        }
        return sum * h / 3;
    }

    private static double normalPdf(double x) {
        return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    }

    private static double normalCdf(double x) {
        return 0.5 * org.apache.commons.math3.special.Erf.erfc(-x / Math.sqrt(2));
    }

    @Test
    void tanhKernelMapAtSmallKFollowsItsSeries() {
        // tanh²z = z² − (2/3)z⁴ + (17/45)z⁶ − …, so E[tanh²z] = K − 2K² + (17/3)K³ + O(K⁴) (next term ≈ −20.7K⁴).
        for (double k : new double[] {1e-3, 3e-3, 1e-2}) {
            double series = k - 2 * k * k + 17.0 / 3 * k * k * k;
            double got = Criticality.kernelMap(Activation.TANH, 1, 0, k);
            assertEquals(series, got, 25 * k * k * k * k, "K = " + k);
            assertTrue(Math.abs(got - (k - 2 * k * k)) > 5 * k * k * k, "the K³ term is resolved at K = " + k);
        }
    }

    @Test
    void susceptibilitiesAreOneOnThePublishedCriticalLinesOnly() {
        // ReLU: χ_⊥ = σ_w²/2 for every K > 0, so χ = 1 exactly at σ_w² = 2 (σ_b² = 0).
        for (double k : new double[] {0.1, 1, 10}) {
            assertEquals(1, Criticality.chiPerp(Activation.RELU, 2, k), 1e-14);
            assertEquals(1, Criticality.chiParallel(Activation.RELU, 2, k), 1e-14);
            assertEquals(0.75, Criticality.chiPerp(Activation.RELU, 1.5, k), 1e-14);
        }
        assertEquals(1.0, Criticality.fixedPoint(Activation.RELU, 2, 0, 1.0), 0, "every K is fixed on ReLU's critical point");
        assertEquals(1.0, Criticality.fixedPoint(Activation.RELU, 1, 0.5, 3.0), 1e-12, "K* = σ_b²/(1 − σ_w²/2)");
        assertEquals(Double.POSITIVE_INFINITY, Criticality.fixedPoint(Activation.RELU, 2.5, 0, 1.0));

        // tanh: K* = 0 for σ_w² <= 1 (σ_b² = 0), where χ_⊥ = σ_w²·tanh'(0)² = σ_w²: 1 at σ_w² = 1.
        double kStar = Criticality.fixedPoint(Activation.TANH, 1, 0, 1.0);
        assertEquals(0, kStar, 1e-12);
        assertEquals(1, Criticality.chiPerp(Activation.TANH, 1, kStar), 1e-12);
        assertEquals(1, Criticality.chiParallel(Activation.TANH, 1, kStar), 1e-12);
        assertEquals(0.5, Criticality.chiPerp(Activation.TANH, 0.5, Criticality.fixedPoint(Activation.TANH, 0.5, 0, 1.0)), 1e-12);
        // off the line, σ_w² = 1.5, σ_b² = 0: a nonzero fixed point in the chaotic phase (χ_⊥ > 1).
        double k15 = Criticality.fixedPoint(Activation.TANH, 1.5, 0, 1.0);
        assertEquals(k15, Criticality.kernelMap(Activation.TANH, 1.5, 0, k15), 1e-13);
        assertTrue(k15 > 0.1);
        double chi15 = Criticality.chiPerp(Activation.TANH, 1.5, k15);
        assertTrue(chi15 > 1.01, "χ_⊥ = " + chi15);
        assertNotEquals(1, Criticality.chiPerp(Activation.TANH, 1, 0.5), 1e-3, "on σ_w² = 1 but away from K* = 0");
    }

    @Test
    void chiParallelIsTheDerivativeOfTheKernelMap() {
        // Stein's form σ_w²⟨φ'² + φφ''⟩ against a central difference of the map itself.
        for (Activation a : new Activation[] {Activation.TANH, Activation.SIGMOID, Activation.RELU}) {
            for (double k : new double[] {0.2, 1, 3}) {
                double h = 1e-5 * k;
                double fd = (Criticality.kernelMap(a, 1.7, 0.1, k + h) - Criticality.kernelMap(a, 1.7, 0.1, k - h)) / (2 * h);
                assertEquals(fd, Criticality.chiParallel(a, 1.7, k), 1e-4 * Math.abs(fd), a + " at K = " + k);  // both sides carry tanh quadrature error (2e-5 at K = 3)
            }
        }
    }

    @Test
    void reluVertexGrowsLinearlyWithDepthAtCriticality() {
        // Roberts, Yaida & Hanin §5.4: V⁽ˡ⁾ = 5(l−1)K² for ReLU at σ_w² = 2, so the 4th cumulant is 15(l−1)/n and
        // Var[‖z‖²/n]/K² = (5(l−1) + 2)/n: both ∝ the aspect ratio l/n.
        int depth = 12;
        int width = 100;
        double[] v = Criticality.vertices(Activation.RELU, 2, 0, 1.5, depth);
        double[] kappa = Criticality.fourthCumulant(Activation.RELU, 2, 0, 1.5, depth, width);
        double[] var = Criticality.squaredNormVariance(Activation.RELU, 2, 0, 1.5, depth, width);
        double k = 3;                                             // K = σ_w²·q₀
        for (int l = 1; l <= depth; l++) {
            assertEquals(5 * (l - 1) * k * k, v[l - 1], 1e-12 * (1 + l * k * k));
            assertEquals(15.0 * (l - 1) / width, kappa[l - 1], 1e-13);
            assertEquals((5.0 * (l - 1) + 2) / width, var[l - 1], 1e-13);
        }
        assertEquals(0.12, Criticality.aspectRatio(12, 100), 0);
    }

    @Test
    void badInputIsRejectedWithTheOpTheValuesAndAFix() {
        assertMessage(IllegalArgumentException.class, () -> Criticality.kernelMap(Activation.RELU, -1, 0, 1),
                "Criticality.kernelMap", "σ_w² -1.0", ">= 0");
        assertMessage(IllegalArgumentException.class, () -> Criticality.kernels(Activation.TANH, 1, -0.1, 1, 3),
                "Criticality.kernels", "σ_b² -0.1");
        assertMessage(IllegalArgumentException.class, () -> Criticality.kernelMap(Activation.RELU, Double.NaN, 0, 1), "σ_w² NaN");
        assertMessage(IllegalArgumentException.class, () -> Criticality.kernels(Activation.RELU, 2, 0, 1, 0),
                "depth must be >= 1", "got 0");
        assertMessage(IllegalArgumentException.class, () -> Criticality.fourthCumulant(Activation.RELU, 2, 0, 1, 3, 0),
                "width must be >= 1", "got 0");
        assertMessage(IllegalArgumentException.class, () -> Criticality.kernelMap(Activation.RELU, 2, 0, -2),
                "K must be a finite variance >= 0, got -2.0");
        assertMessage(IllegalArgumentException.class, () -> Criticality.correlationMap(Activation.RELU, 2, 0, 1, 1.5),
                "correlation must be in [-1, 1], got 1.5");
        assertMessage(IllegalArgumentException.class, () -> Criticality.Activation.parse("swish"),
                "unknown activation \"swish\"", "relu, tanh, sigmoid, linear");
        assertEquals(Activation.TANH, Criticality.Activation.parse(" Tanh "));
        NullPointerException npe = assertThrows(NullPointerException.class, () -> Criticality.chiPerp(null, 2, 1));
        assertTrue(npe.getMessage().contains("Criticality.chiPerp: activation is null"), npe.getMessage());
    }
}
