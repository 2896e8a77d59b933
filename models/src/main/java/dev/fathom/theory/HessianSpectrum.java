package dev.fathom.theory;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.Objects;

/**
 * Extreme eigenvalues, the trace and the spectral density of a loss Hessian H, from
 * Hessian-vector products alone (as PyTorch's hessian-eigenthings and PyHessian): H is never formed.
 *
 * <p><b>Eigenvalues</b> come from {@code m} steps of the Lanczos iteration with full
 * reorthogonalization: m products {@code H·q_j} build an orthonormal basis Q of the Krylov space
 * span{q₁, H q₁, …, H^{m−1} q₁} and the tridiagonal {@code T = Qᵀ H Q}; T's eigenvalues (Ritz values,
 * found by implicit QL in F64 on the host) approximate H's extreme ones first. With m equal to
 * {@link HessianVectorProduct#dimension()} they are H's eigenvalues up to rounding; with fewer
 * steps the largest and smallest converge fastest, the faster the better separated they are, so
 * take m a few times k and check that the values no longer move as m grows. The iteration keeps m
 * Lanczos vectors on the host (m·n doubles for n parameters) and costs m Hessian-vector products
 * (each about two backward passes) plus O(m²·n) flops of reorthogonalization; a basis of more
 * than 2²⁸ doubles (2 GiB) is refused.
 *
 * <p><b>The trace</b> is Hutchinson's estimator {@code tr H ≈ (1/S) Σ_s z_sᵀ H z_s} with Rademacher
 * z_s (entries ±1 with probability ½): unbiased, exact for a diagonal H, with variance
 * {@code 2 Σ_{i≠j} H_ij²} per sample.
 *
 * <p><b>The spectral density</b> {@code φ(λ) = (1/n) Σ_j δ(λ − λ_j)} comes from stochastic Lanczos
 * quadrature (Ubaru, Chen &amp; Saad 2017; Ghorbani, Krishnan &amp; Xiao 2019; PyHessian's
 * {@code density}): for each of S Rademacher probes v (normalized), m Lanczos steps from v give T,
 * whose eigenvalues θ_i (nodes) and squared first eigenvector components τ_i² (weights, summing
 * to 1) form the m-point Gauss quadrature rule of the measure {@code Σ_j (q_jᵀv)² δ(λ − λ_j)}:
 * {@code Σ_i τ_i² θ_i^p = vᵀH^p v} for {@code p ≤ 2m−1}. The average over probes of
 * {@code Σ_i τ_i² δ(λ − θ_i)} is the estimate, a {@link SpectralDensity}; its moments estimate
 * {@code tr(H^p)/n} as Hutchinson's estimator does. No restarts here: when a probe's Krylov space
 * becomes invariant (β ≈ 0, e.g. H has few distinct eigenvalues) its iteration stops with fewer,
 * exact nodes. Cost: S·m Hessian-vector products and m·n host doubles per probe (one probe at a time).
 *
 * <p>Conventions: eigenvalues are algebraic (a negative curvature counts as small, not large) and
 * of the Hessian of the loss as {@link HessianVectorProduct} defines it (no averaging added). The
 * random vectors come from the caller's {@link Generator} (its stream advances), so
 * {@code new Generator(seed)} reproduces a result; the global generator is not touched.
 *
 * <pre>{@code
 * var hvp = HessianVectorProduct.of(() -> Functional.crossEntropy(model.forward(x), y), model.parameters());
 * double[] top = HessianSpectrum.largest(hvp, 5, 40, new Generator(0));     // λ₁ ≥ … ≥ λ₅
 * double[] bottom = HessianSpectrum.smallest(hvp, 1, 40, new Generator(0)); // the most negative curvature
 * double trace = HessianSpectrum.trace(hvp, 100, new Generator(0));
 * SpectralDensity rho = HessianSpectrum.density(hvp, 80, 10, new Generator(0));
 * double[] curve = rho.smoothed(grid, 0.01);                                 // φ smoothed on a grid
 * }</pre>
 */
public final class HessianSpectrum {
    /** The most doubles the Lanczos basis may hold on the host (2 GiB). */
    static final long MAX_BASIS = 1L << 28;

    private HessianSpectrum() {
    }

    /**
     * The {@code k} largest (algebraic) eigenvalues of H, in descending order, from
     * {@code min(iterations, dimension)} Lanczos steps started from a random vector drawn from
     * {@code generator}.
     *
     * @param k          1 ≤ k ≤ the number of parameters
     * @param iterations Lanczos steps, at least k; more than the dimension is capped to it
     */
    public static double[] largest(HessianVectorProduct hvp, int k, int iterations, Generator generator) {
        double[] ritz = ritz("HessianSpectrum.largest", hvp, k, iterations, generator);
        double[] out = new double[k];
        for (int i = 0; i < k; i++) {
            out[i] = ritz[ritz.length - 1 - i];
        }
        return out;
    }

    /**
     * The {@code k} smallest (algebraic: most negative first) eigenvalues of H, in ascending
     * order; arguments as {@link #largest}.
     */
    public static double[] smallest(HessianVectorProduct hvp, int k, int iterations, Generator generator) {
        double[] ritz = ritz("HessianSpectrum.smallest", hvp, k, iterations, generator);
        return java.util.Arrays.copyOf(ritz, k);
    }

    /** Hutchinson's estimate of tr H from {@code samples} ≥ 1 Rademacher probes. */
    public static double trace(HessianVectorProduct hvp, int samples, Generator generator) {
        String op = "HessianSpectrum.trace";
        Objects.requireNonNull(hvp, op + ": the Hessian-vector product is null");
        if (samples < 1) {
            throw new IllegalArgumentException(op + ": samples must be >= 1, got " + samples);
        }
        Objects.requireNonNull(generator, op + ": the generator is null; pass new Generator(seed)");
        int n = dimension(op, hvp);
        double sum = 0;
        for (int s = 0; s < samples; s++) {
            double[] z = rademacher(n, generator);
            sum += Lanczos.dot(z, hvp.apply(z));
        }
        return sum / samples;
    }

    /**
     * The spectral density of H by stochastic Lanczos quadrature: {@code probes} Rademacher
     * vectors drawn from {@code generator}, each followed by {@code min(iterations, dimension)}
     * Lanczos steps without restarts (fewer when its Krylov space becomes invariant).
     *
     * @param iterations Lanczos steps per probe, at least 1 (exact moments up to {@code 2·iterations − 1});
     *                   more than the dimension is capped to it
     * @param probes     random vectors S, at least 1 (the statistical error of the moments falls as 1/√S)
     */
    public static SpectralDensity density(HessianVectorProduct hvp, int iterations, int probes, Generator generator) {
        String op = "HessianSpectrum.density";
        Objects.requireNonNull(hvp, op + ": the Hessian-vector product is null");
        Objects.requireNonNull(generator, op + ": the generator is null; pass new Generator(seed)");
        if (iterations < 1) {
            throw new IllegalArgumentException(op + ": iterations must be >= 1, got " + iterations);
        }
        if (probes < 1) {
            throw new IllegalArgumentException(op + ": probes must be >= 1, got " + probes);
        }
        int n = dimension(op, hvp);
        requireBasis(op, Math.min(iterations, n), n);
        double[][] nodes = new double[probes][];
        double[][] weights = new double[probes][];
        for (int s = 0; s < probes; s++) {
            Lanczos.Quadrature rule = quadrature(op, hvp, iterations, rademacher(n, generator));
            nodes[s] = rule.nodes();
            weights[s] = rule.weights();
        }
        return new SpectralDensity(nodes, weights);
    }

    /** The same from the caller's probes (each nonzero, of {@code dimension()} entries): one quadrature rule per probe. */
    static SpectralDensity density(HessianVectorProduct hvp, int iterations, double[]... probes) {
        double[][] nodes = new double[probes.length][];
        double[][] weights = new double[probes.length][];
        for (int s = 0; s < probes.length; s++) {
            Lanczos.Quadrature rule = quadrature("HessianSpectrum.density", hvp, iterations, probes[s]);
            nodes[s] = rule.nodes();
            weights[s] = rule.weights();
        }
        return new SpectralDensity(nodes, weights);
    }

    private static Lanczos.Quadrature quadrature(String op, HessianVectorProduct hvp, int iterations, double[] probe) {
        Lanczos.Quadrature rule = Lanczos.quadrature(hvp::apply, probe, iterations);
        HessianVectorProduct.requireFinite(op, rule.nodes(), "a quadrature node");
        return rule;
    }

    /** n entries ±1, each with probability ½. */
    private static double[] rademacher(int n, Generator generator) {
        try (Scope scope = Scope.open()) {
            return Tensor.bernoulli(0.5, DType.F64, generator, n).mul(2).sub(1).toDoubleArray();
        }
    }

    private static double[] ritz(String op, HessianVectorProduct hvp, int k, int iterations, Generator generator) {
        Objects.requireNonNull(hvp, op + ": the Hessian-vector product is null");
        Objects.requireNonNull(generator, op + ": the generator is null; pass new Generator(seed)");
        int n = dimension(op, hvp);
        if (k < 1 || k > n) {
            throw new IllegalArgumentException(op + ": k must be between 1 and the number of parameters " + n + ", got k = " + k);
        }
        if (iterations < k) {
            throw new IllegalArgumentException(op + ": iterations must be >= k = " + k + " (a few times k converges), got " + iterations);
        }
        requireBasis(op, Math.min(iterations, n), n);
        Lanczos.Starts starts = () -> {
            try (Scope scope = Scope.open()) {
                return Tensor.randn(generator, DType.F64, n).toDoubleArray();
            }
        };
        double[] ritz = Lanczos.ritzValues(hvp::apply, n, iterations, starts);
        if (ritz.length < k) {
            throw new IllegalStateException(op + ": Lanczos found only " + ritz.length + " Ritz values for k = " + k + " (n = " + n + ")");
        }
        HessianVectorProduct.requireFinite(op, ritz, "a Ritz value");
        return ritz;
    }

    private static void requireBasis(String op, int steps, int n) {
        if ((long) steps * n > MAX_BASIS) {
            throw new IllegalArgumentException(op + ": " + steps + " Lanczos vectors of " + n + " parameters need " + (long) steps * n
                    + " host doubles, more than " + MAX_BASIS + "; take fewer iterations or the Hessian of a subset of the parameters");
        }
    }

    private static int dimension(String op, HessianVectorProduct hvp) {
        long n = hvp.dimension();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(op + ": " + n + " parameters do not fit one host double[]; take the Hessian of a subset");
        }
        return (int) n;
    }
}
