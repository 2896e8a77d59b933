package dev.fathom.theory;

import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.fathom.theory.TheoryAssertions.assertMessage;
import static dev.fathom.theory.HessianFixtures.maxAbs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HessianSpectrumTest {

    /** ½θᵀAθ as a loss of one leaf θ [n]: H = A. */
    static HessianVectorProduct quadratic(double[][] a, Tensor theta) {
        int n = a.length;
        Tensor at = Tensor.of(HessianFixtures.flatten(a), n, n);
        return HessianVectorProduct.ofTensors(() -> theta.mul(at.matmul(theta.unsqueeze(1)).squeeze(1)).sum().mul(0.5), List.of(theta));
    }

    private static double maxRelativeError(double[] got, double[] expected, double scale) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - expected[i]) / scale);
        }
        return worst;
    }

    @Test
    void lanczosFindsTheKnownExtremesOfARotatedDiagonal() {
        int n = 60;
        double[] lambda = new double[n];
        Random rng = new Random(3);
        for (int i = 0; i < n; i++) {
            lambda[i] = -1 + 3 * rng.nextDouble();   // bulk in [-1, 2)
        }
        lambda[0] = 10;
        lambda[1] = 7;
        lambda[2] = 5;
        lambda[3] = -4;
        lambda[4] = -3;
        double[][] a = HessianFixtures.withSpectrum(HessianFixtures.randomOrthogonal(n, 17), lambda);
        // The test's own reference agrees with the spectrum it was built from.
        double[] sorted = lambda.clone();
        Arrays.sort(sorted);
        assertTrue(HessianFixtures.maxAbsDiff(HessianFixtures.jacobiEigenvalues(a), sorted) <= 1e-12, "Jacobi reference");
        try (Scope s = Scope.open()) {
            Tensor theta = Tensor.of(HessianFixtures.gaussian(rng, 1, n)[0], n).requiresGrad(true);
            HessianVectorProduct hvp = quadratic(a, theta);
            double[] top = HessianSpectrum.largest(hvp, 3, 40, new Generator(1));
            double[] bottom = HessianSpectrum.smallest(hvp, 2, 40, new Generator(1));
            double errTop = maxRelativeError(top, new double[] {10, 7, 5}, 10);
            double errBottom = maxRelativeError(bottom, new double[] {-4, -3}, 10);
            assertTrue(errTop <= 1e-9, "top-3 " + Arrays.toString(top));
            assertTrue(errBottom <= 1e-9, "bottom-2 " + Arrays.toString(bottom));
            // Same seed, same numbers; another seed converges to the same values.
            assertArrayEquals(top, HessianSpectrum.largest(hvp, 3, 40, new Generator(1)));
            assertTrue(maxRelativeError(HessianSpectrum.largest(hvp, 3, 40, new Generator(99)), top, 10) <= 1e-9);
        }
    }

    @Test
    void lanczosOnATanhMlpMatchesJacobiOnTheAssembledHessian() {
        try (Scope s = Scope.open(); Module model = HessianFixtures.tanhMlp(3, 4, 2, 21)) {
            HessianVectorProduct hvp = HessianFixtures.mseHvp(model, new Random(4), 8, 3, 2);
            int n = (int) hvp.dimension();
            double[][] hessian = HessianFixtures.assembledHessian(hvp);
            double asym = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    asym = Math.max(asym, Math.abs(hessian[i][j] - hessian[j][i]));
                }
            }
            double[] reference = HessianFixtures.jacobiEigenvalues(hessian);
            double scale = maxAbs(reference);
            assertTrue(reference[0] < 0 && reference[n - 1] > 0, "an indefinite Hessian: " + Arrays.toString(reference));
            double[] top = HessianSpectrum.largest(hvp, 3, n, new Generator(5));
            double[] bottom = HessianSpectrum.smallest(hvp, 3, n, new Generator(5));
            double errTop = maxRelativeError(top, new double[] {reference[n - 1], reference[n - 2], reference[n - 3]}, scale);
            double errBottom = maxRelativeError(bottom, Arrays.copyOf(reference, 3), scale);
            assertTrue(asym <= 1e-12 * scale, "H symmetric: " + asym);
            assertTrue(errTop <= 1e-9, "top-3 " + Arrays.toString(top) + " vs " + Arrays.toString(reference));
            assertTrue(errBottom <= 1e-9, "bottom-3 " + Arrays.toString(bottom) + " vs " + Arrays.toString(reference));
        }
    }

    @Test
    void lanczosRestartsWhenTheKrylovSpaceIsInvariant() {
        // Only three distinct eigenvalues: any start vector spans an invariant space of dimension 3,
        // so steps 4.. restart from fresh vectors; the multiplicities must come out right.
        int n = 12;
        double[] lambda = new double[n];
        for (int i = 0; i < n; i++) {
            lambda[i] = i < 4 ? 5 : i < 8 ? -2 : 1;
        }
        double[][] a = HessianFixtures.withSpectrum(HessianFixtures.randomOrthogonal(n, 23), lambda);
        try (Scope s = Scope.open()) {
            Tensor theta = Tensor.zeros(dev.fathom.tensor.DType.F64, n).requiresGrad(true);
            HessianVectorProduct hvp = quadratic(a, theta);
            double[] top = HessianSpectrum.largest(hvp, 5, n, new Generator(3));
            double[] bottom = HessianSpectrum.smallest(hvp, 5, n, new Generator(3));
            assertArrayEquals(new double[] {5, 5, 5, 5, 1}, top, 1e-10);
            assertArrayEquals(new double[] {-2, -2, -2, -2, 1}, bottom, 1e-10);
        }
    }

    @Test
    void hutchinsonIsExactForADiagonalHessianAndCloseForADenseOne() {
        int n = 30;
        double[] lambda = new double[n];
        for (int i = 0; i < n; i++) {
            lambda[i] = i - 10.5;
        }
        double trace = Arrays.stream(lambda).sum();
        double[][] diagonal = new double[n][n];
        for (int i = 0; i < n; i++) {
            diagonal[i][i] = lambda[i];
        }
        double[][] dense = HessianFixtures.withSpectrum(HessianFixtures.randomOrthogonal(n, 8), lambda);
        try (Scope s = Scope.open()) {
            Tensor theta = Tensor.zeros(dev.fathom.tensor.DType.F64, n).requiresGrad(true);
            double exact = HessianSpectrum.trace(quadratic(diagonal, theta), 3, new Generator(0));
            assertEquals(trace, exact, 1e-12, "zᵀDz = tr D for every ±1 vector z");
            double estimate = HessianSpectrum.trace(quadratic(dense, theta), 400, new Generator(0));
            // Standard error sqrt(2 Σ_{i≠j} A_ij² / 400) ≈ 3.8 for this A; allow four of them.
            assertEquals(trace, estimate, 15, "Hutchinson with 400 probes");
        }
    }

    @Test
    void tridiagonalSolverMatchesJacobi() {
        double worst = 0;
        for (double[][] de : HessianFixtures.tridiagonalCases()) {
            double[] d = de[0], e = de[1];
            int n = d.length;
            double[][] t = HessianFixtures.tridiagonal(d, e);
            worst = Math.max(worst, HessianFixtures.maxAbsDiff(Lanczos.tridiagonalEigenvalues(d, e), HessianFixtures.jacobiEigenvalues(t)));
        }
        assertTrue(worst <= 1e-13, "max eigenvalue difference " + worst);
    }

    @Test
    void badInputIsRejectedWithTheValues() {
        try (Scope s = Scope.open()) {
            Tensor theta = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
            HessianVectorProduct hvp = HessianVectorProduct.ofTensors(() -> theta.pow(4).sum(), List.of(theta));
            assertMessage(NullPointerException.class, () -> HessianSpectrum.largest(null, 1, 3, new Generator(0)),
                    "HessianSpectrum.largest: the Hessian-vector product is null");
            assertMessage(IllegalArgumentException.class, () -> HessianSpectrum.largest(hvp, 0, 3, new Generator(0)),
                    "HessianSpectrum.largest: k must be between 1 and the number of parameters 3, got k = 0");
            assertMessage(IllegalArgumentException.class, () -> HessianSpectrum.smallest(hvp, 4, 10, new Generator(0)), "got k = 4");
            assertMessage(IllegalArgumentException.class, () -> HessianSpectrum.largest(hvp, 2, 1, new Generator(0)),
                    "iterations must be >= k = 2");
            assertMessage(IllegalArgumentException.class, () -> HessianSpectrum.trace(hvp, 0, new Generator(0)),
                    "samples must be >= 1, got 0");
            assertMessage(NullPointerException.class, () -> HessianSpectrum.smallest(hvp, 1, 3, null),
                    "HessianSpectrum.smallest: the generator is null; pass new Generator(seed)");
            // More iterations than parameters are capped: the exact spectrum 12·θ_i² = {12, 48, 108}.
            assertArrayEquals(new double[] {108, 48, 12}, HessianSpectrum.largest(hvp, 3, 100, new Generator(0)), 1e-12);
        }
    }
}
