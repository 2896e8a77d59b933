package dev.fathom.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * F32 products with a dimension of 1 as the loops they are (BLAS level 2): matrix · vector,
 * vector · matrix (the same on transposes) and the outer product. Through {@link MatmulKernel}'s
 * packed panels, 16 columns wide with one of them used, a 64 × 6272 · 6272 × 1 product (a
 * discriminator's last layer) and its two gradients ran at about 1 GFLOP/s, 3% of a DCGAN step.
 * {@link #run} declines the layouts it has no unit stride to stream (the caller's GEMM takes them).
 *
 * <p>Sums run in a fixed order (lanes, then {@link Lanes#sum}, then the tail), so results do not
 * depend on the JIT.
 */
final class ThinGemm {
    private static final VectorSpecies<Float> S = VectorF32.S;
    private static final int L = VectorF32.L;
    /** Multiply-adds per task when a product is split over the pool. */
    private static final long GRAIN = 1L << 16;

    private ThinGemm() {
    }

    /**
     * {@code C (+)= A·B} with the operands of {@link MatmulKernel#gemmF32}, when m, n or k is 1 and
     * the layout suits; returns false, having done nothing, otherwise.
     */
    static boolean run(float[] a, int ao, long aRs, long aCs, float[] b, int bo, long bRs, long bCs, float[] c, int co,
                       int m, int n, int k, boolean accumulate) {
        if (n == 1) {
            return matrixVector(a, ao, aRs, aCs, b, bo, bRs, c, co, m, k, accumulate);
        }
        if (m == 1) {
            // cᵀ = Bᵀ · aᵀ: row j of Bᵀ is column j of B.
            return matrixVector(b, bo, bCs, bRs, a, ao, aCs, c, co, n, k, accumulate);
        }
        if (k == 1 && bCs == 1) {
            Parallel.forRange(m, Math.max(1, GRAIN / n), (lo, hi) -> {
                for (int i = (int) lo; i < hi; i++) {
                    outerRow(a[(int) (ao + i * aRs)], b, bo, c, co + i * n, n, accumulate);
                }
            });
            return true;
        }
        return false;
    }

    /**
     * {@code c[co + i] (+)= Σ_p M[mo + i·rs + p·cs] · v[vo + p·vs]} for i below rows: dot products
     * when M's rows and v are contiguous, column updates (axpy) when M's columns are.
     */
    private static boolean matrixVector(float[] mat, int mo, long rs, long cs, float[] v, int vo, long vs, float[] c, int co,
                                        int rows, int k, boolean accumulate) {
        long grain = Math.max(1, GRAIN / k);
        if (cs == 1 && vs == 1) {
            Parallel.forRange(rows, grain, (lo, hi) -> {
                for (int i = (int) lo; i < hi; i++) {
                    float dot = dot(mat, (int) (mo + i * rs), v, vo, k);
                    c[co + i] = accumulate ? c[co + i] + dot : dot;
                }
            });
            return true;
        }
        if (rs == 1) {
            // Rows in parts of whole vectors, each part summed over p in order.
            Parallel.forRange((rows + L - 1) / L, Math.max(1, grain / L), (lo, hi) -> {
                int i0 = (int) lo * L, i1 = (int) Math.min(rows, hi * L);
                if (!accumulate) {
                    Arrays.fill(c, co + i0, co + i1, 0f);
                }
                for (int p = 0; p < k; p++) {
                    axpy(v[(int) (vo + p * vs)], mat, (int) (mo + p * cs) + i0, c, co + i0, i1 - i0);
                }
            });
            return true;
        }
        return false;
    }

    private static float dot(float[] x, int xo, float[] y, int yo, int n) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0;
        int i = 0;
        for (; i <= n - 2 * L; i += 2 * L) {
            s0 = FloatVector.fromArray(S, x, xo + i).fma(FloatVector.fromArray(S, y, yo + i), s0);
            s1 = FloatVector.fromArray(S, x, xo + i + L).fma(FloatVector.fromArray(S, y, yo + i + L), s1);
        }
        float sum = Lanes.sum(s0.add(s1));
        for (; i < n; i++) {
            sum = Math.fma(x[xo + i], y[yo + i], sum);
        }
        return sum;
    }

    /** {@code y[yo..yo+n) += alpha · x[xo..xo+n)}. */
    private static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (; i <= n - L; i += L) {
            av.fma(FloatVector.fromArray(S, x, xo + i), FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = Math.fma(alpha, x[xo + i], y[yo + i]);
        }
    }

    /** {@code c[co..co+n) (+)= alpha · b[bo..bo+n)}: one row of an outer product. */
    private static void outerRow(float alpha, float[] b, int bo, float[] c, int co, int n, boolean accumulate) {
        if (accumulate) {
            axpy(alpha, b, bo, c, co, n);
            return;
        }
        FloatVector av = FloatVector.broadcast(S, alpha);
        int j = 0;
        for (; j <= n - L; j += L) {
            av.mul(FloatVector.fromArray(S, b, bo + j)).intoArray(c, co + j);
        }
        for (; j < n; j++) {
            c[co + j] = alpha * b[bo + j];
        }
    }
}
