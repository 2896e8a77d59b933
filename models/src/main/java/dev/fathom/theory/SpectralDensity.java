package dev.fathom.theory;

import java.util.Objects;

/**
 * The spectral density of a symmetric matrix H (n × n, eigenvalues λ_j) estimated by stochastic
 * Lanczos quadrature, as {@link HessianSpectrum#density} returns it: for each probe s, a Gauss
 * quadrature rule with nodes θ_{s,i} and weights τ_{s,i}² (summing to 1), and the estimate
 *
 * <pre>
 *   φ(λ) = (1/n) Σ_j δ(λ − λ_j)  ≈  (1/S) Σ_s Σ_i τ_{s,i}² δ(λ − θ_{s,i})
 * </pre>
 *
 * (Ubaru, Chen &amp; Saad 2017; Ghorbani, Krishnan &amp; Xiao 2019). For any f,
 * {@code ∫ f dφ = tr f(H)/n} is estimated by {@code (1/S) Σ_s Σ_i τ_{s,i}² f(θ_{s,i})}, which is
 * Hutchinson's estimator of {@code tr f(H)/n} with the quadrature in place of {@code v_sᵀ f(H) v_s};
 * for a polynomial f of degree at most {@code 2k−1} (k nodes) the quadrature is exact.
 *
 * <p>Probes may have different numbers of nodes (a probe whose Krylov space became invariant
 * stops early, with an exact rule). The arrays are copied in and out.
 *
 * <pre>{@code
 * SpectralDensity rho = HessianSpectrum.density(hvp, 80, 10, new Generator(0));
 * double sigma = 0.01 * (rho.highest() - rho.lowest());
 * double[] grid = new double[1000];
 * for (int i = 0; i < grid.length; i++) {
 *     grid[i] = rho.lowest() - 5 * sigma + i * (rho.highest() - rho.lowest() + 10 * sigma) / (grid.length - 1);
 * }
 * double[] density = rho.smoothed(grid, sigma);   // integrates to about 1 over the grid
 * double meanSquare = rho.moment(2);              // ≈ tr(H²)/n
 * }</pre>
 *
 * @param nodes   {@code [probes][k_s]}: each probe's quadrature nodes (Ritz values), ascending
 * @param weights {@code [probes][k_s]}: each probe's weights τ², non-negative, summing to 1 up to rounding
 */
public record SpectralDensity(double[][] nodes, double[][] weights) {
    public SpectralDensity {
        String op = "SpectralDensity";
        Objects.requireNonNull(nodes, op + ": nodes is null");
        Objects.requireNonNull(weights, op + ": weights is null");
        if (nodes.length == 0 || nodes.length != weights.length) {
            throw new IllegalArgumentException(op + ": need at least one probe and as many weight rows as node rows, got "
                    + nodes.length + " node rows and " + weights.length + " weight rows");
        }
        for (int s = 0; s < nodes.length; s++) {
            Objects.requireNonNull(nodes[s], op + ": nodes[" + s + "] is null");
            Objects.requireNonNull(weights[s], op + ": weights[" + s + "] is null");
            if (nodes[s].length == 0 || nodes[s].length != weights[s].length) {
                throw new IllegalArgumentException(op + ": probe " + s + " has " + nodes[s].length + " nodes and " + weights[s].length
                        + " weights; need the same number, at least one");
            }
            HessianVectorProduct.requireFinite(op, nodes[s], "nodes[" + s + "]");
            HessianVectorProduct.requireFinite(op, weights[s], "weights[" + s + "]");
            for (int i = 0; i < weights[s].length; i++) {
                if (weights[s][i] < 0) {
                    throw new IllegalArgumentException(op + ": weights[" + s + "][" + i + "] is " + weights[s][i] + "; weights are squares, >= 0");
                }
            }
        }
        nodes = deepCopy(nodes);
        weights = deepCopy(weights);
    }

    /** A copy of the nodes, {@code [probes][k_s]}. */
    @Override
    public double[][] nodes() {
        return deepCopy(nodes);
    }

    /** A copy of the weights, {@code [probes][k_s]}. */
    @Override
    public double[][] weights() {
        return deepCopy(weights);
    }

    /** The number of probes S. */
    public int probes() {
        return nodes.length;
    }

    /** The smallest node of any probe: an upper bound on H's smallest eigenvalue (Ritz values lie inside the spectrum). */
    public double lowest() {
        double m = Double.POSITIVE_INFINITY;
        for (double[] row : nodes) {
            m = Math.min(m, row[0]);
        }
        return m;
    }

    /** The largest node of any probe: a lower bound on H's largest eigenvalue. */
    public double highest() {
        double m = Double.NEGATIVE_INFINITY;
        for (double[] row : nodes) {
            m = Math.max(m, row[row.length - 1]);
        }
        return m;
    }

    /**
     * The p-th moment {@code (1/S) Σ_s Σ_i τ_{s,i}² θ_{s,i}^p}, an estimate of {@code tr(H^p)/n}:
     * exact in expectation over the probes when every probe has at least {@code (p+1)/2} nodes.
     * {@code moment(0)} is 1 (each probe's weights are a probability vector; their rounding is not summed).
     *
     * @param p the power, at least 0
     */
    public double moment(int p) {
        if (p < 0) {
            throw new IllegalArgumentException("SpectralDensity.moment: p must be >= 0, got " + p);
        }
        if (p == 0) {
            return 1;
        }
        double sum = 0;
        for (int s = 0; s < nodes.length; s++) {
            double probe = 0;
            for (int i = 0; i < nodes[s].length; i++) {
                probe += weights[s][i] * Math.pow(nodes[s][i], p);
            }
            sum += probe;
        }
        return sum / nodes.length;
    }

    /**
     * The density smoothed by a Gaussian of standard deviation {@code sigma}, at each point of
     * {@code grid}: {@code (1/S) Σ_s Σ_i τ_{s,i}² exp(−(x − θ_{s,i})²/(2σ²)) / (σ√(2π))}. It integrates
     * to 1 (up to rounding of the weights) over the real line; over a grid that extends a few σ
     * beyond {@link #lowest()} and {@link #highest()}, with spacing well below σ, a trapezoid sum
     * gives the same, and its mean is {@code moment(1)}. Take σ at least the grid spacing and small
     * against the spectrum's width.
     *
     * @param grid  the points to evaluate at, finite, at least one
     * @param sigma the smoothing width, positive and finite
     */
    public double[] smoothed(double[] grid, double sigma) {
        String op = "SpectralDensity.smoothed";
        Objects.requireNonNull(grid, op + ": the grid is null");
        if (grid.length == 0) {
            throw new IllegalArgumentException(op + ": the grid is empty; pass the points to evaluate the density at");
        }
        for (int g = 0; g < grid.length; g++) {
            if (!Double.isFinite(grid[g])) {
                throw new IllegalArgumentException(op + ": grid[" + g + "] is " + grid[g] + "; pass finite points");
            }
        }
        if (!(sigma > 0) || !Double.isFinite(sigma)) {
            throw new IllegalArgumentException(op + ": sigma must be positive and finite, got " + sigma);
        }
        double norm = 1 / (sigma * Math.sqrt(2 * Math.PI) * nodes.length);
        double[] out = new double[grid.length];
        for (int g = 0; g < grid.length; g++) {
            double sum = 0;
            for (int s = 0; s < nodes.length; s++) {
                for (int i = 0; i < nodes[s].length; i++) {
                    double z = (grid[g] - nodes[s][i]) / sigma;
                    sum += weights[s][i] * Math.exp(-0.5 * z * z);
                }
            }
            out[g] = sum * norm;
        }
        return out;
    }

    private static double[][] deepCopy(double[][] a) {
        return java.util.Arrays.stream(a).map(double[]::clone).toArray(double[][]::new);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpectralDensity d && java.util.Arrays.deepEquals(nodes, d.nodes) && java.util.Arrays.deepEquals(weights, d.weights);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Arrays.deepHashCode(nodes) + java.util.Arrays.deepHashCode(weights);
    }

    @Override
    public String toString() {
        int total = 0;
        for (double[] row : nodes) {
            total += row.length;
        }
        return "SpectralDensity[" + nodes.length + " probes, " + total + " nodes in [" + lowest() + ", " + highest() + "]]";
    }
}
