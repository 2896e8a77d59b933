package dev.fathom.cuda;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The row-major → column-major mapping, checked by running the planned call through a naive
 * column-major GEMM with BLAS's exact indexing rules on the operands' memory, against a naive
 * row-major product.
 */
class BlasGemmTest {

    /** Reference BLAS: C(i, j) = Σ_l op(X)(i, l)·op(Y)(l, j), column-major with leading dimensions. */
    private static void columnMajorGemm(BlasGemm g, double[] x, int xOff, double[] y, int yOff, double[] c) {
        for (int i = 0; i < g.rows(); i++) {
            for (int j = 0; j < g.cols(); j++) {
                double s = 0;
                for (int l = 0; l < g.inner(); l++) {
                    double xv = g.transFirst() ? x[xOff + l + i * g.ldFirst()] : x[xOff + i + l * g.ldFirst()];
                    double yv = g.transSecond() ? y[yOff + j + l * g.ldSecond()] : y[yOff + l + j * g.ldSecond()];
                    s += xv * yv;
                }
                c[i + j * g.ldOut()] = s;
            }
        }
    }

    /** A row-major product through the plan, for an operand layout given by strides into a larger buffer. */
    private static void check(int m, int n, int k, long aRs, long aCs, long bRs, long bCs) {
        Random r = new Random(m * 31L + n * 7L + k);
        double[] a = new double[(int) ((m - 1) * aRs + (k - 1) * aCs + 1)];
        double[] b = new double[(int) ((k - 1) * bRs + (n - 1) * bCs + 1)];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextGaussian();
        }
        double[] want = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int l = 0; l < k; l++) {
                    s += a[(int) (i * aRs + l * aCs)] * b[(int) (l * bRs + j * bCs)];
                }
                want[i * n + j] = s;
            }
        }
        BlasGemm g = BlasGemm.of(m, n, k, aRs, aCs, bRs, bCs);
        assertNotNull(g, () -> m + "x" + k + " @ " + k + "x" + n + " strides a " + aRs + "," + aCs + " b " + bRs + "," + bCs);
        double[] got = new double[m * n];
        columnMajorGemm(g, b, 0, a, 0, got);
        assertArrayEquals(want, got, 1e-12);
    }

    @Test
    void contiguousTransposedAndPaddedLayoutsMultiplyCorrectly() {
        check(5, 7, 3, 3, 1, 7, 1);       // both row-major
        check(5, 7, 3, 1, 5, 7, 1);       // a transposed view
        check(5, 7, 3, 3, 1, 1, 3);       // b transposed view
        check(5, 7, 3, 1, 5, 1, 3);       // both transposed
        check(4, 6, 9, 12, 1, 8, 1);      // row strides larger than the rows (slices of wider matrices)
        check(4, 6, 9, 1, 11, 1, 10);     // column strides larger than the columns
    }

    @Test
    void degenerateDimensionsStillMapToValidLeadingDimensions() {
        check(1, 7, 3, 3, 1, 7, 1);       // a single row (stride of the size-1 dim is irrelevant)
        check(5, 1, 3, 3, 1, 1, 1);       // a single column
        check(5, 7, 1, 1, 1, 7, 1);       // k = 1: outer product
        check(1, 1, 1, 1, 1, 1, 1);
    }

    @Test
    void layoutsBlasCannotReadAreRefused() {
        assertNull(BlasGemm.of(4, 4, 4, 8, 2, 4, 1), "no unit stride in a");
        assertNull(BlasGemm.of(4, 4, 4, 0, 1, 4, 1), "a broadcast row (row stride 0) has a leading dimension too small");
        assertNull(BlasGemm.of(0, 4, 4, 4, 1, 4, 1), "empty products go to the own kernel");
        assertNull(BlasGemm.of(4, 4, 0, 4, 1, 4, 1), "k = 0 writes zeros in the own kernel");
    }
}
