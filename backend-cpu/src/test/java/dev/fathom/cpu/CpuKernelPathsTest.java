package dev.fathom.cpu;

import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU backend's internal paths that the backend-neutral conformance suite does not reach by
 * construction: K deeper than one packed panel, row blocks split over threads, columns split
 * over threads when there are too few row blocks (an RNN step), many small
 * batched products, the column-sum and contiguous-runs sum fast paths across their F64 carry, elementwise maps large enough
 * to be split, and the dim merging of {@link StridedLoop}. Each is checked against naive F64 loops.
 */
class CpuKernelPathsTest {
    private Scope scope;

    @BeforeEach
    void open() {
        scope = Scope.open();
    }

    @AfterEach
    void close() {
        scope.close();
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }

    @ParameterizedTest(name = "{0}x{1}x{2} transA={3} transB={4}")
    @CsvSource({
        "5, 7, 300, false, false",      // K over one panel: accumulation across panels
        "67, 33, 600, true, false",     // transposed A folded into packing, partial vectors
        "300, 190, 120, false, true",   // enough work for the row blocks to run in parallel
        "1, 1, 1000, true, true",
        "130, 17, 513, false, false",
        "32, 1030, 260, false, false",  // one row block: columns split over threads, edge panel, two K panels
        "37, 515, 300, true, true"})
    void matmulMatchesNaiveLoopOnEveryPath(int m, int n, int k, boolean transA, boolean transB) {
        SplittableRandom r = new SplittableRandom(m * 31L + n * 7L + k);
        float[] a = random(r, m * k), b = random(r, k * n);
        Tensor ta = transA ? Tensor.of(transpose(a, m, k), k, m).t() : Tensor.of(a, m, k);
        Tensor tb = transB ? Tensor.of(transpose(b, k, n), n, k).t() : Tensor.of(b, k, n);
        float[] c = ta.matmul(tb).toFloatArray();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int kk = 0; kk < k; kk++) {
                    s += (double) a[i * k + kk] * b[kk * n + j];
                }
                double got = c[i * n + j];
                assertTrue(Math.abs(got - s) <= 1e-4 + 1e-4 * Math.abs(s),
                        "matmul " + m + "x" + n + "x" + k + " at [" + i + ", " + j + "]: " + got + " vs " + s);
            }
        }
    }

    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        return t;
    }

    @Test
    void manySmallBatchedProductsRunOnePerTask() {
        SplittableRandom r = new SplittableRandom(3);
        int batches = 37, m = 5, k = 9, n = 6;
        float[] a = random(r, batches * m * k), b = random(r, k * n);
        // b is broadcast over the batch (stride 0), the shape of attention's shared projections.
        float[] c = Tensor.of(a, batches, m, k).matmul(Tensor.of(b, k, n)).toFloatArray();
        for (int bt = 0; bt < batches; bt++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int kk = 0; kk < k; kk++) {
                        s += (double) a[(bt * m + i) * k + kk] * b[kk * n + j];
                    }
                    assertEquals(s, c[(bt * m + i) * n + j], 1e-5, "batch " + bt + " [" + i + ", " + j + "]");
                }
            }
        }
    }

    @Test
    void columnSumCarriesAcrossBlocksAndThreads() {
        int rows = 1000, cols = 131;
        SplittableRandom r = new SplittableRandom(5);
        float[] a = random(r, rows * cols);
        float[] got = Tensor.of(a, rows, cols).sum(0).toFloatArray();
        for (int j = 0; j < cols; j++) {
            double s = 0;
            for (int i = 0; i < rows; i++) {
                s += a[i * cols + j];
            }
            assertEquals(s, got[j], 1e-4, "column " + j);
        }
    }

    @ParameterizedTest(name = "[{0}, {1}, {2}, {3}] over 0, 2, 3")
    @CsvSource({
        "6, 5, 13, 11",   // runs of 143: vector pairs, a single vector and a scalar tail, carried across blocks
        "3, 4, 40, 40",   // runs of 1600, longer than a block
        "200, 3, 1, 7"})  // runs shorter than a vector
    void sumOverContiguousRunsMatchesTheF64Loop(int n, int c, int h, int w) {
        SplittableRandom r = new SplittableRandom(n * 1000L + w);
        float[] a = random(r, n * c * h * w);
        float[] got = Tensor.of(a, n, c, h, w).sum(0, 2, 3).toFloatArray();
        for (int ch = 0; ch < c; ch++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < h * w; p++) {
                    s += a[(i * c + ch) * h * w + p];
                }
            }
            assertEquals(s, got[ch], 1e-4, "channel " + ch);
        }
    }

    @Test
    void largeBroadcastMapIsSplitCorrectly() {
        int rows = 700, cols = 257;   // > 2 grains: split over the pool mid-row
        SplittableRandom r = new SplittableRandom(9);
        float[] a = random(r, rows * cols), b = random(r, cols);
        float[] got = Tensor.of(a, rows, cols).mul(Tensor.of(b, cols)).toFloatArray();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                assertEquals(a[i * cols + j] * b[j], got[i * cols + j], 0f, "[" + i + ", " + j + "]");
            }
        }
        float[] tr = Tensor.of(a, rows, cols).t().exp().toFloatArray();
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < rows; i++) {
                double e = Math.exp(a[i * cols + j]);
                assertEquals(e, tr[j * rows + i], 1e-6 * e, "exp of transposed at [" + j + ", " + i + "]");
            }
        }
    }

    @Test
    void stridedLoopMergesContiguousDimsAndVisitsEveryElementOnce() {
        CpuBuffer buf = CpuBuffer.allocate(DType.F32, 2 * 3 * 4);
        Strided contiguous = Strided.contiguous(buf, 2, 3, 4);
        StridedLoop merged = new StridedLoop(contiguous.shape(), contiguous);
        assertEquals(1, merged.rank, "a contiguous [2, 3, 4] is one row");
        Strided permuted = new Strided(buf, new int[] {4, 3, 2}, new long[] {1, 4, 12}, 0);
        StridedLoop loop = new StridedLoop(permuted.shape(), permuted);
        assertEquals(3, loop.rank, "a fully permuted view cannot merge");
        for (long lo : new long[] {0, 5, 11}) {
            List<Integer> seen = new ArrayList<>();
            loop.run(lo, 24, (n, off) -> {
                for (int i = 0; i < n; i++) {
                    seen.add(off[0] + i * loop.innerStride(0));
                }
            });
            List<Integer> expected = new ArrayList<>();
            for (int i = (int) lo; i < 24; i++) {
                int a = i / 6, b = i / 2 % 3, c = i % 2;
                expected.add(a + 4 * b + 12 * c);
            }
            assertEquals(expected, seen, "visit order from " + lo);
        }
    }

    @Test
    void stridedLoopKeepsMergedSizesWithinAnInt() {
        // An expanded view of 2^31 elements: merging its two stride-0 dims wrapped the int size
        // (to -2^31), and a sum over it never ended.
        CpuBuffer one = CpuBuffer.allocate(DType.F32, 1);
        Strided expanded = new Strided(one, new int[] {65536, 32768}, new long[] {0, 0}, 0);
        StridedLoop loop = new StridedLoop(expanded.shape(), expanded);
        assertEquals(2, loop.rank, "the dims stay apart when their product passes Integer.MAX_VALUE");
        assertEquals(1L << 31, loop.numel);
        long[] visited = {0};
        loop.run((1L << 31) - 70000, 1L << 31, (n, off) -> visited[0] += n);
        assertEquals(70000, visited[0], "the last 70,000 elements, across a row boundary");
        Strided fits = new Strided(one, new int[] {65536, 32767}, new long[] {0, 0}, 0);
        assertEquals(1, new StridedLoop(fits.shape(), fits).rank, "below the limit they still merge");
    }

    @Test
    void erfMatchesCommonsMathToDoublePrecision() {
        for (double x = -6; x <= 6; x += 0.013) {
            double ref = org.apache.commons.math3.special.Erf.erf(x);
            assertEquals(ref, ScalarMath.erf(x), 1e-15 + 1e-14 * Math.abs(ref), "erf(" + x + ")");
        }
        for (double x = 3; x <= 20; x += 0.37) {
            double ref = org.apache.commons.math3.special.Erf.erfc(x);
            assertEquals(ref, ScalarMath.erfc(x), 1e-9 * ref, "erfc(" + x + ")");
        }
    }

    @Test
    void f32ErfPolynomialsMatchCommonsMath() {
        for (double x = -7; x <= 7; x += 0.0037) {
            double ref = org.apache.commons.math3.special.Erf.erf(x);
            assertEquals(ref, Erf32.erf(x), 2e-11 * Math.abs(ref) + 1e-300, "erf(" + x + ")");
        }
        for (double x = 0; x <= 26; x += 0.0071) {   // beyond, erfc is subnormal
            double ref = org.apache.commons.math3.special.Erf.erfc(x);
            assertEquals(ref, Erf32.erfcNonNegative(x), 5e-9 * ref, "erfc(" + x + ")");
        }
        for (double x = -12; x <= 12; x += 0.013) {
            assertEquals(ScalarMath.phi(x), Erf32.phi(x), 5e-9 * ScalarMath.phi(x), "phi(" + x + ")");
        }
    }

    @Test
    void f32GeluAndErfRowsRoundTheF64Values() {
        int n = 4003;   // not a multiple of the vector length
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (-14 + 28.0 * i / (n - 1));
        }
        float[] gelu = Tensor.of(x, n).gelu().toFloatArray();
        float[] erf = Tensor.of(x, n).erf().toFloatArray();
        for (int i = 0; i < n; i++) {
            double v = x[i];
            double g = v * ScalarMath.phi(v), e = ScalarMath.erf(v);
            // Within one F32 rounding of the F64 value (2 ulps of slack for the polynomial).
            assertEquals(g, gelu[i], 1.2e-7 * Math.abs(g) + 1e-44, "gelu(" + v + ")");
            assertEquals(e, erf[i], 1.2e-7 * Math.abs(e) + 1e-44, "erf(" + v + ")");
        }
    }

    @Test
    void randomFillIsIdenticalWhateverTheSplit() {
        // The same counters must give the same values whether a fill is split over threads or not.
        Tensor big = Tensor.rand(new dev.fathom.tensor.Generator(11), DType.F32, 100_001);
        Tensor small = Tensor.rand(new dev.fathom.tensor.Generator(11), DType.F32, 7);
        float[] b = big.toFloatArray(), s = small.toFloatArray();
        assertArrayEquals(s, java.util.Arrays.copyOf(b, 7));
    }
}
