package dev.fathom.theory;

import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.fathom.theory.TheoryAssertions.assertMessage;
import static dev.fathom.theory.HessianSpectrumTest.quadratic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stochastic Lanczos quadrature ({@link HessianSpectrum#density}, {@link SpectralDensity}) on quadratic
 * losses ½θᵀAθ with a known A = Q·diag(λ)·Qᵀ (so H = A), checked against explicit matrix powers, the known
 * eigenpairs and the Jacobi solve of an assembled MLP Hessian.
 */
class SpectralDensityTest {
    private static final int N = 30;

    /** A generic spectrum in [-1, 3): distinct, indefinite, seeded. */
    private static double[] spectrum(long seed) {
        Random rng = new Random(seed);
        double[] lambda = new double[N];
        for (int i = 0; i < N; i++) {
            lambda[i] = -1 + 4 * rng.nextDouble();
        }
        return lambda;
    }

    /** vᵀA^p v / ‖v‖² for p = 0..maxPower, by repeated products with the explicit matrix. */
    private static double[] rayleighPowers(double[][] a, double[] v, int maxPower) {
        double vv = Lanczos.dot(v, v);
        double[] out = new double[maxPower + 1];
        double[] apv = v.clone();
        for (int p = 0; p <= maxPower; p++) {
            out[p] = Lanczos.dot(v, apv) / vv;
            apv = HessianFixtures.multiply(a, apv);
        }
        return out;
    }

    /** Σ_i τ_i² θ_i^p of one probe's rule, summed here (not through moment). */
    private static double quadrature(SpectralDensity rho, int probe, int p) {
        double[] nodes = rho.nodes()[probe];
        double[] weights = rho.weights()[probe];
        double s = 0;
        for (int i = 0; i < nodes.length; i++) {
            s += weights[i] * Math.pow(nodes[i], p);
        }
        return s;
    }

    private static double[] gaussianVector(long seed, int n) {
        return HessianFixtures.gaussian(new Random(seed), 1, n)[0];
    }

    @Test
    void gaussQuadratureIsExactForEveryPowerBelowTwiceTheSteps() {
        double[] lambda = spectrum(5);
        double[][] a = HessianFixtures.withSpectrum(HessianFixtures.randomOrthogonal(N, 31), lambda);
        int m = 5;
        double[] v = gaussianVector(6, N);
        double[] exact = rayleighPowers(a, v, 2 * m);
        try (Scope s = Scope.open()) {
            Tensor theta = Tensor.zeros(DType.F64, N).requiresGrad(true);
            SpectralDensity rho = HessianSpectrum.density(quadratic(a, theta), m, v);
            assertEquals(m, rho.nodes()[0].length, "m nodes");
            double worst = 0;
            for (int p = 0; p <= 2 * m - 1; p++) {
                double err = Math.abs(quadrature(rho, 0, p) - exact[p]) / Math.abs(exact[p]);
                worst = Math.max(worst, err);
                assertTrue(err <= 1e-10, "p = " + p + ": quadrature " + quadrature(rho, 0, p) + " vs vᵀA^p v/‖v‖² " + exact[p]);
            }
            // At p = 2m the rule is not exact: the Gauss error ∫ Π(λ − θ_i)² dμ_v (= (β₁⋯β_m)²) is positive.
            double gap = (exact[2 * m] - quadrature(rho, 0, 2 * m)) / exact[2 * m];
            assertTrue(gap > 1e-6, "p = 2m must not be exact: relative gap " + gap);
        }
    }

    @Test
    void withAsManyStepsAsParametersTheNodesAreTheEigenvaluesAndTheWeightsTheProjections() {
        double[] lambda = spectrum(7);
        double[][] q = HessianFixtures.randomOrthogonal(N, 37);
        double[][] a = HessianFixtures.withSpectrum(q, lambda);
        double[] v = gaussianVector(8, N);
        double vv = Lanczos.dot(v, v);
        Integer[] order = new Integer[N];
        for (int i = 0; i < N; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Double.compare(lambda[x], lambda[y]));
        double[] eigenvalues = new double[N];
        double[] projections = new double[N];
        for (int i = 0; i < N; i++) {
            int j = order[i];
            double c = 0;
            for (int r = 0; r < N; r++) {
                c += q[r][j] * v[r];   // q_jᵀv, q_j the j-th column of Q
            }
            eigenvalues[i] = lambda[j];
            projections[i] = c * c / vv;
        }
        try (Scope s = Scope.open()) {
            Tensor theta = Tensor.zeros(DType.F64, N).requiresGrad(true);
            SpectralDensity rho = HessianSpectrum.density(quadratic(a, theta), N, v);
            double nodeErr = HessianFixtures.maxAbsDiff(rho.nodes()[0], eigenvalues);
            double weightErr = HessianFixtures.maxAbsDiff(rho.weights()[0], projections);
            assertTrue(nodeErr <= 1e-9, "nodes " + Arrays.toString(rho.nodes()[0]) + " vs " + Arrays.toString(eigenvalues));
            assertTrue(weightErr <= 1e-10, "weights " + Arrays.toString(rho.weights()[0]) + " vs " + Arrays.toString(projections));
        }
    }

    @Test
    void momentsEstimateTheNormalizedTracesOfPowers() {
        double[] lambda = spectrum(9);
        double[][] a = HessianFixtures.withSpectrum(HessianFixtures.randomOrthogonal(N, 41), lambda);
        int m = 4;
        int probes = 300;
        try (Scope s = Scope.open()) {
            Tensor theta = Tensor.zeros(DType.F64, N).requiresGrad(true);
            SpectralDensity rho = HessianSpectrum.density(quadratic(a, theta), m, probes, new Generator(3));
            assertEquals(1.0, rho.moment(0), 0.0, "moment(0)");
            for (double[] w : rho.weights()) {
                assertEquals(1.0, Arrays.stream(w).sum(), 1e-14, "each probe's weights sum to 1");
            }
            // With m = 4 steps the quadrature is exact for p <= 7, so moment(p) is Hutchinson's estimator of
            // tr(A^p)/n with normalized Rademacher probes z/√n: per probe zᵀBz/n with B = A^p has variance
            // 2 Σ_{i≠j} B_ij² / n², so the mean of S probes has standard error sqrt(2 Σ_{i≠j} B_ij² / S) / n.
            double[][] power = identity(N);
            StringBuilder report = new StringBuilder();
            for (int p = 1; p <= 4; p++) {
                power = product(power, a);
                double offDiagonal = 0;
                for (int i = 0; i < N; i++) {
                    for (int j = 0; j < N; j++) {
                        offDiagonal += i == j ? 0 : power[i][j] * power[i][j];
                    }
                }
                double standardError = Math.sqrt(2 * offDiagonal / probes) / N;
                int pp = p;
                double expected = Arrays.stream(lambda).map(x -> Math.pow(x, pp)).sum() / N;
                double err = rho.moment(p) - expected;
                report.append(String.format(" p=%d: %.4f vs %.4f (%.2f SE)", p, rho.moment(p), expected, err / standardError));
                assertTrue(Math.abs(err) <= 4 * standardError,
                        "moment(" + p + ") = " + rho.moment(p) + " vs tr(A^p)/n = " + expected + ", standard error " + standardError);
            }
            // The same seed reproduces the estimate.
            assertEquals(rho, HessianSpectrum.density(quadratic(a, theta), m, probes, new Generator(3)));
        }
    }

    @Test
    void smoothedDensityIntegratesToOneWithMeanTheFirstMoment() {
        double[] lambda = spectrum(11);
        double[][] a = HessianFixtures.withSpectrum(HessianFixtures.randomOrthogonal(N, 43), lambda);
        try (Scope s = Scope.open()) {
            Tensor theta = Tensor.zeros(DType.F64, N).requiresGrad(true);
            SpectralDensity rho = HessianSpectrum.density(quadratic(a, theta), 10, 8, new Generator(4));
            double sigma = 0.05;
            double from = rho.lowest() - 8 * sigma;
            double to = rho.highest() + 8 * sigma;
            int points = (int) Math.ceil((to - from) / (sigma / 8)) + 1;
            double h = (to - from) / (points - 1);
            double[] grid = new double[points];
            for (int i = 0; i < points; i++) {
                grid[i] = from + i * h;
            }
            double[] density = rho.smoothed(grid, sigma);
            double mass = 0;
            double mean = 0;
            for (int i = 0; i < points; i++) {
                double trapezoid = (i == 0 || i == points - 1 ? 0.5 : 1) * h;
                assertTrue(density[i] >= 0, "a density is non-negative");
                mass += trapezoid * density[i];
                mean += trapezoid * grid[i] * density[i];
            }
            assertEquals(1, mass, 1e-3, "∫ρ");
            assertEquals(rho.moment(1), mean, 1e-9, "∫xρ");
        }
    }

    @Test
    void aProbeWhoseKrylovSpaceIsInvariantStopsWithAnExactRule() {
        // Three distinct eigenvalues: every Krylov space is invariant after 3 steps; no restart, 3 exact nodes.
        int n = 12;
        double[] lambda = new double[n];
        for (int i = 0; i < n; i++) {
            lambda[i] = i < 4 ? 5 : i < 8 ? -2 : 1;
        }
        double[][] a = HessianFixtures.withSpectrum(HessianFixtures.randomOrthogonal(n, 23), lambda);
        double[] v = gaussianVector(13, n);
        double[] exact = rayleighPowers(a, v, 12);
        try (Scope s = Scope.open()) {
            Tensor theta = Tensor.zeros(DType.F64, n).requiresGrad(true);
            HessianVectorProduct hvp = quadratic(a, theta);
            SpectralDensity one = HessianSpectrum.density(hvp, n, v);
            assertEquals(3, one.nodes()[0].length, "stops at the invariant space: " + Arrays.toString(one.nodes()[0]));
            assertTrue(HessianFixtures.maxAbsDiff(one.nodes()[0], new double[] {-2, 1, 5}) <= 1e-12, Arrays.toString(one.nodes()[0]));
            for (int p = 0; p <= 12; p++) {
                assertEquals(exact[p], quadrature(one, 0, p), 1e-10 * Math.pow(5, p), "p = " + p + " (beyond 2k - 1 = 5 too)");
            }
            SpectralDensity rho = HessianSpectrum.density(hvp, n, 5, new Generator(2));
            for (double[] nodes : rho.nodes()) {
                assertTrue(HessianFixtures.maxAbsDiff(nodes, new double[] {-2, 1, 5}) <= 1e-12, Arrays.toString(nodes));
            }
        }
    }

    @Test
    void tridiagonalQuadratureKeepsTheEigenvaluesAndGivesTheFirstRowOfTPowers() {
        double worst = 0;
        for (double[][] de : HessianFixtures.tridiagonalCases()) {
            double[] d = de[0], e = de[1];
            int n = d.length;
            double[][] t = HessianFixtures.tridiagonal(d, e);
            Lanczos.Quadrature rule = Lanczos.tridiagonalQuadrature(d, e);
            assertTrue(Arrays.equals(Lanczos.tridiagonalEigenvalues(d, e), rule.nodes()), "bit-identical eigenvalues, n = " + n);
            // (T^p)₀₀ = Σ_i τ_i² θ_i^p exactly (T = Z diag(θ) Zᵀ), for every p.
            double[] e0 = new double[n];
            e0[0] = 1;
            double[] tp = e0.clone();
            double scale = Math.max(1, HessianFixtures.maxAbs(rule.nodes()));
            for (int p = 0; p <= 8; p++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += rule.weights()[i] * Math.pow(rule.nodes()[i], p);
                }
                worst = Math.max(worst, Math.abs(sum - tp[0]) / Math.pow(scale, p));
                tp = HessianFixtures.multiply(t, tp);
            }
        }
        assertTrue(worst <= 1e-13, "max |Σ τ²θ^p − (T^p)₀₀| / max|θ|^p = " + worst);
    }

    @Test
    void theNodesOfATanhMlpSpanItsHessianSpectrum() {
        try (Scope s = Scope.open(); Module model = HessianFixtures.tanhMlp(3, 4, 2, 21)) {
            HessianVectorProduct hvp = HessianFixtures.mseHvp(model, new Random(4), 8, 3, 2);
            int n = (int) hvp.dimension();
            double[][] hessian = HessianFixtures.assembledHessian(hvp);
            double[] reference = HessianFixtures.jacobiEigenvalues(hessian);
            double scale = HessianFixtures.maxAbs(reference);
            SpectralDensity rho = HessianSpectrum.density(hvp, n, 3, new Generator(5));
            double worst = 0;
            for (double[] nodes : rho.nodes()) {
                worst = Math.max(worst, Math.abs(nodes[0] - reference[0]) / scale);
                worst = Math.max(worst, Math.abs(nodes[nodes.length - 1] - reference[n - 1]) / scale);
                for (double node : nodes) {
                    assertTrue(node >= reference[0] - 1e-9 * scale && node <= reference[n - 1] + 1e-9 * scale,
                            "Ritz values lie inside [λmin, λmax]: " + node);
                }
            }
            assertTrue(worst <= 1e-9, "extremes " + rho.lowest() + ", " + rho.highest() + " vs " + reference[0] + ", " + reference[n - 1]);
            assertEquals(reference[0], rho.lowest(), 1e-9 * scale);
            assertEquals(reference[n - 1], rho.highest(), 1e-9 * scale);
        }
    }

    @Test
    void badInputIsRejectedWithTheValues() {
        try (Scope s = Scope.open()) {
            Tensor theta = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
            HessianVectorProduct hvp = HessianVectorProduct.ofTensors(() -> theta.pow(4).sum(), List.of(theta));
            assertMessage(NullPointerException.class, () -> HessianSpectrum.density(null, 3, 1, new Generator(0)),
                    "HessianSpectrum.density: the Hessian-vector product is null");
            assertMessage(NullPointerException.class, () -> HessianSpectrum.density(hvp, 3, 1, null),
                    "HessianSpectrum.density: the generator is null; pass new Generator(seed)");
            assertMessage(IllegalArgumentException.class, () -> HessianSpectrum.density(hvp, 0, 1, new Generator(0)),
                    "HessianSpectrum.density: iterations must be >= 1, got 0");
            assertMessage(IllegalArgumentException.class, () -> HessianSpectrum.density(hvp, 3, -2, new Generator(0)),
                    "HessianSpectrum.density: probes must be >= 1, got -2");
            SpectralDensity rho = HessianSpectrum.density(hvp, 100, 2, new Generator(0));
            // More iterations than parameters are capped: the exact spectrum 12·θ_i² = {12, 48, 108}.
            for (double[] nodes : rho.nodes()) {
                assertTrue(HessianFixtures.maxAbsDiff(nodes, new double[] {12, 48, 108}) <= 1e-12, Arrays.toString(nodes));
            }
            double[] grid = {0, 50, 100};
            assertMessage(IllegalArgumentException.class, () -> rho.smoothed(grid, 0),
                    "SpectralDensity.smoothed: sigma must be positive and finite, got 0.0");
            assertMessage(IllegalArgumentException.class, () -> rho.smoothed(grid, -1),
                    "SpectralDensity.smoothed: sigma must be positive and finite, got -1.0");
            assertMessage(IllegalArgumentException.class, () -> rho.smoothed(grid, Double.NaN),
                    "SpectralDensity.smoothed: sigma must be positive and finite, got NaN");
            assertMessage(IllegalArgumentException.class, () -> rho.smoothed(grid, Double.POSITIVE_INFINITY),
                    "SpectralDensity.smoothed: sigma must be positive and finite, got Infinity");
            assertMessage(IllegalArgumentException.class, () -> rho.smoothed(new double[0], 1),
                    "SpectralDensity.smoothed: the grid is empty");
            assertMessage(NullPointerException.class, () -> rho.smoothed(null, 1), "SpectralDensity.smoothed: the grid is null");
            assertMessage(IllegalArgumentException.class, () -> rho.smoothed(new double[] {0, Double.NaN}, 1),
                    "SpectralDensity.smoothed: grid[1] is NaN; pass finite points");
            assertMessage(IllegalArgumentException.class, () -> rho.moment(-1), "SpectralDensity.moment: p must be >= 0, got -1");
            assertMessage(IllegalArgumentException.class, () -> new SpectralDensity(new double[][] {{1, 2}}, new double[][] {{1}}),
                    "SpectralDensity: probe 0 has 2 nodes and 1 weights");
            assertMessage(IllegalArgumentException.class, () -> new SpectralDensity(new double[][] {{1, 2}}, new double[][] {{1.5, -0.5}}),
                    "SpectralDensity: weights[0][1] is -0.5");
        }
    }

    private static double[][] identity(int n) {
        double[][] out = new double[n][n];
        for (int i = 0; i < n; i++) {
            out[i][i] = 1;
        }
        return out;
    }

    private static double[][] product(double[][] x, double[][] y) {
        int n = x.length;
        double[][] out = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += x[i][k] * y[k][j];
                }
                out[i][j] = s;
            }
        }
        return out;
    }
}
