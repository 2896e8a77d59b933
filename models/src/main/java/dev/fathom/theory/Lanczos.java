package dev.fathom.theory;

import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * The Lanczos iteration with full reorthogonalization for a symmetric operator given only as
 * {@code v ↦ A·v} (on host doubles), and the eigen-decomposition of the small symmetric
 * tridiagonal matrix it builds. Package-private: {@link HessianSpectrum} is the public face.
 *
 * <p>Full reorthogonalization (classical Gram–Schmidt, twice) against every earlier Lanczos
 * vector costs O(m²·n) flops and m·n doubles of memory, and removes the ghost copies of converged
 * eigenvalues that plain three-term Lanczos produces in floating point. When the Krylov space
 * becomes invariant (β ≈ 0) there are two uses: {@link #ritzValues} (extreme eigenvalues)
 * restarts from a fresh random vector orthogonal to all earlier ones, with a zero coupling in T,
 * so T's eigenvalues stay eigenvalues of A; {@link #quadrature} (Gauss quadrature for one start
 * vector) stops there, since the quadrature on an invariant space is already exact.
 */
final class Lanczos {
    /** β below this fraction of the largest |α|, |β| seen counts as an invariant subspace. */
    private static final double BREAKDOWN = 1e-10;

    private Lanczos() {
    }

    /** Random start vectors for the first step and for restarts: each a fresh standard normal draw of length n. */
    interface Starts {
        double[] next();
    }

    /**
     * The Ritz values (eigenvalues of T) after at most {@code iterations} steps, ascending; fewer
     * when the whole space is spanned earlier.
     */
    static double[] ritzValues(UnaryOperator<double[]> a, int n, int iterations, Starts starts) {
        double[] first = restart(starts, new double[0][], 0);
        if (first == null) {
            throw new IllegalStateException("Lanczos: the start vector is zero");
        }
        double[][] t = tridiagonalize(a, Math.min(iterations, n), first, starts);
        return tridiagonalEigenvalues(t[0], t[1]);
    }

    /**
     * Nodes θ_i and weights τ_i² of the Gauss quadrature rule of the spectral measure
     * {@code μ_v = Σ_j (q_jᵀv)²/‖v‖² δ(λ − λ_j)} of A (eigenpairs λ_j, q_j) at the start vector v:
     * T's eigenvalues and the squared first components of its unit eigenvectors, after
     * {@code min(iterations, n)} steps from {@code v/‖v‖} without restarts. With k nodes,
     * {@code Σ_i τ_i² θ_i^p = vᵀA^p v/‖v‖²} for every {@code p ≤ 2k−1} (Golub &amp; Meurant); when the
     * Krylov space is invariant after k steps (β ≈ 0) the iteration stops there and the rule is
     * exact for every p. Nodes ascend; weights sum to 1 up to rounding.
     */
    static Quadrature quadrature(UnaryOperator<double[]> a, double[] start, int iterations) {
        double length = norm(start);
        if (!(length > 0) || !Double.isFinite(length)) {
            throw new IllegalArgumentException("Lanczos.quadrature: the start vector must be nonzero and finite, its norm is " + length);
        }
        double[][] t = tridiagonalize(a, Math.min(iterations, start.length), scaled(start, 1 / length), null);
        return tridiagonalQuadrature(t[0], t[1]);
    }

    /** Nodes (ascending) and weights (summing to 1 up to rounding) of a Gauss quadrature rule. */
    record Quadrature(double[] nodes, double[] weights) {
    }

    /**
     * At most {@code m} Lanczos steps from the unit vector {@code first}: {α (diagonal of T), β
     * (off-diagonal)}. On breakdown, a fresh vector from {@code restarts}, or the end when that is
     * null (or when the vectors already span the space).
     */
    private static double[][] tridiagonalize(UnaryOperator<double[]> a, int m, double[] first, Starts restarts) {
        double[][] q = new double[m][];
        double[] alpha = new double[m];
        double[] beta = new double[m];
        double scale = 0;
        q[0] = first;
        int steps = 0;
        for (int j = 0; j < m; j++) {
            double[] w = a.apply(q[j]);
            alpha[j] = dot(q[j], w);
            scale = Math.max(scale, Math.abs(alpha[j]));
            orthogonalize(w, q, j + 1);
            orthogonalize(w, q, j + 1);
            steps = j + 1;
            if (j + 1 == m) {
                break;
            }
            double b = norm(w);
            scale = Math.max(scale, b);
            if (b > BREAKDOWN * scale) {
                beta[j] = b;
                q[j + 1] = scaled(w, 1 / b);
            } else {
                if (restarts == null) {
                    break;
                }
                beta[j] = 0;
                q[j + 1] = restart(restarts, q, j + 1);
                if (q[j + 1] == null) {
                    break;
                }
            }
        }
        return new double[][] {Arrays.copyOf(alpha, steps), Arrays.copyOf(beta, Math.max(steps - 1, 0))};
    }

    /** A unit start vector orthogonal to q[0..count), or null when they already span the space. */
    private static double[] restart(Starts starts, double[][] q, int count) {
        for (int attempt = 0; attempt < 3; attempt++) {
            double[] v = starts.next();
            double before = norm(v);
            orthogonalize(v, q, count);
            orthogonalize(v, q, count);
            double after = norm(v);
            if (after > 1e-8 * before && after > 0) {
                return scaled(v, 1 / after);
            }
        }
        return null;
    }

    /** w -= Σ (q_i·w) q_i over the first {@code count} vectors. */
    private static void orthogonalize(double[] w, double[][] q, int count) {
        for (int i = 0; i < count; i++) {
            double c = dot(q[i], w);
            double[] qi = q[i];
            for (int k = 0; k < w.length; k++) {
                w[k] -= c * qi[k];
            }
        }
    }

    static double dot(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }

    private static double norm(double[] x) {
        return Math.sqrt(dot(x, x));
    }

    private static double[] scaled(double[] x, double c) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * c;
        }
        return y;
    }

    /**
     * Eigenvalues, ascending, of the symmetric tridiagonal matrix with diagonal {@code d} and
     * off-diagonal {@code e} ({@code e[i]} couples rows i and i+1): the implicit QL algorithm
     * with Wilkinson shifts (EISPACK's tql1; Numerical Recipes' tqli without eigenvectors).
     */
    static double[] tridiagonalEigenvalues(double[] diag, double[] off) {
        double[] d = ql(diag, off, null);
        Arrays.sort(d);
        return d;
    }

    /**
     * The eigenvalues of the same matrix as {@link #tridiagonalEigenvalues} (bit-identical, same
     * order) as nodes, and as weights the squares of the first components of its unit
     * eigenvectors (Golub–Welsch): the same QL sweeps, with each rotation applied also to the first
     * row of the accumulated eigenvector matrix (tqli's {@code z[0][·]}, started at e₁).
     */
    static Quadrature tridiagonalQuadrature(double[] diag, double[] off) {
        int n = diag.length;
        double[] first = new double[n];
        if (n > 0) {
            first[0] = 1;
        }
        double[] d = ql(diag, off, first);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Double.compare(d[x], d[y]));
        double[] nodes = new double[n];
        double[] weights = new double[n];
        for (int i = 0; i < n; i++) {
            nodes[i] = d[order[i]];
            weights[i] = first[order[i]] * first[order[i]];
        }
        return new Quadrature(nodes, weights);
    }

    /**
     * The QL sweeps; returns the eigenvalues unsorted. When {@code firstRow} is not null, the
     * rotations are applied to it too (they do not change the eigenvalues' arithmetic).
     */
    private static double[] ql(double[] diag, double[] off, double[] firstRow) {
        int n = diag.length;
        if (off.length != Math.max(n - 1, 0)) {
            throw new IllegalArgumentException("tridiagonalEigenvalues: " + n + " diagonal entries need " + (n - 1)
                    + " off-diagonal ones, got " + off.length);
        }
        double[] d = diag.clone();
        double[] e = Arrays.copyOf(off, n);
        double eps = Math.ulp(1.0);
        for (int l = 0; l < n; l++) {
            int iter = 0;
            int m;
            do {
                for (m = l; m < n - 1; m++) {
                    double dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
                    if (Math.abs(e[m]) <= eps * dd) {
                        break;
                    }
                }
                if (m != l) {
                    if (iter++ == 60) {
                        throw new ArithmeticException("tridiagonalEigenvalues: no convergence after 60 QL iterations at row " + l
                                + " of " + n + " (non-finite entries?)");
                    }
                    double g = (d[l + 1] - d[l]) / (2 * e[l]);
                    double r = Math.hypot(g, 1);
                    g = d[m] - d[l] + e[l] / (g + Math.copySign(r, g));
                    double s = 1;
                    double c = 1;
                    double p = 0;
                    int i;
                    for (i = m - 1; i >= l; i--) {
                        double f = s * e[i];
                        double b = c * e[i];
                        r = Math.hypot(f, g);
                        e[i + 1] = r;
                        if (r == 0) {
                            // Deflation: the rotation found an exact zero; restart the sweep.
                            d[i + 1] -= p;
                            e[m] = 0;
                            break;
                        }
                        s = f / r;
                        c = g / r;
                        g = d[i + 1] - p;
                        r = (d[i] - g) * s + 2 * c * b;
                        p = s * r;
                        d[i + 1] = g + p;
                        g = c * r - b;
                        if (firstRow != null) {
                            double z = firstRow[i + 1];
                            firstRow[i + 1] = s * firstRow[i] + c * z;
                            firstRow[i] = c * firstRow[i] - s * z;
                        }
                    }
                    if (r == 0 && i >= l) {
                        continue;
                    }
                    d[l] -= p;
                    e[l] = g;
                    e[m] = 0;
                }
            } while (m != l);
        }
        return d;
    }
}
