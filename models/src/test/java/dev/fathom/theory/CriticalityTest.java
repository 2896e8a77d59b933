package dev.fathom.theory;

import dev.fathom.theory.Criticality.Activation;
import org.junit.jupiter.api.Test;

import static dev.fathom.theory.LevenbergMarquardtTest.assertMessage;
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

    @Test
    void reluCorrelationMapIsTheArcCosineKernel() {
        // Cho & Saul 2009: E[relu(u₁)relu(u₂)] = K/(2π)·(√(1−c²) + (π − arccos c)·c) for unit-correlation-c inputs of variance K.
        double worst = 0;
        for (double c : new double[] {-0.9, -0.3, 0, 0.4, 0.8, 0.99}) {
            double k = 1.3;
            double expected = (k / (2 * Math.PI) * (Math.sqrt(1 - c * c) + (Math.PI - Math.acos(c)) * c)) * 2 / (2 * k / 2);
            double got = Criticality.correlationMap(Activation.RELU, 2, 0, k, c);
            worst = Math.max(worst, Math.abs(got - expected));
        }
        // The product rule does not see ReLU's kink along u₂ = 0, so it converges slowly there (measured 1.8e-3 with 150 points);
        // the bound is that measurement with headroom, far below the O(0.1) a wrong formula gives.
        System.out.printf("ReLU correlation map vs arc-cosine: max |error| = %.3g (product Gauss–Hermite across the kink)%n", worst);
        assertTrue(worst <= 2.5e-3, "max error " + worst);
        assertEquals(1, Criticality.correlationMap(Activation.RELU, 2, 0, 1.3, 1), 1e-12, "c = 1 is a fixed point");
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
        assertMessage(() -> Criticality.kernelMap(Activation.RELU, -1, 0, 1), "Criticality.kernelMap", "σ_w² -1.0", ">= 0");
        assertMessage(() -> Criticality.kernels(Activation.TANH, 1, -0.1, 1, 3), "Criticality.kernels", "σ_b² -0.1");
        assertMessage(() -> Criticality.kernelMap(Activation.RELU, Double.NaN, 0, 1), "σ_w² NaN");
        assertMessage(() -> Criticality.kernels(Activation.RELU, 2, 0, 1, 0), "depth must be >= 1", "got 0");
        assertMessage(() -> Criticality.fourthCumulant(Activation.RELU, 2, 0, 1, 3, 0), "width must be >= 1", "got 0");
        assertMessage(() -> Criticality.kernelMap(Activation.RELU, 2, 0, -2), "K must be a finite variance >= 0, got -2.0");
        assertMessage(() -> Criticality.correlationMap(Activation.RELU, 2, 0, 1, 1.5), "correlation must be in [-1, 1], got 1.5");
        assertMessage(() -> Criticality.Activation.parse("swish"), "unknown activation \"swish\"", "relu, tanh, sigmoid, linear");
        assertEquals(Activation.TANH, Criticality.Activation.parse(" Tanh "));
        NullPointerException npe = assertThrows(NullPointerException.class, () -> Criticality.chiPerp(null, 2, 1));
        assertTrue(npe.getMessage().contains("Criticality.chiPerp: activation is null"), npe.getMessage());
    }
}
