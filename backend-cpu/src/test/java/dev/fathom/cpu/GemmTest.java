package dev.fathom.cpu;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link GemmF64} and {@link MatmulKernel#gemmF32} against a naive triple loop in F64, on shapes
 * that are not multiples of the register tiles or the cache blocks (k over KC = 256 or 512; m over MC = 72
 * and 145; n over NC = 1024 and 2048), with row-major, transposed and strided operands at offsets,
 * overwriting and accumulating, on one thread and split in parts (with the shared operand packed in
 * parts too), and F32 products with a dimension of 1 ({@link ThinGemm}); then batched F64
 * {@link Tensor#matmul} through the public API.
 *
 * <p>The inputs are floats, exact in both types. Tolerance: both sums round at most k times, so
 * they differ by at most about {@code 2·k·u·Σ|a||b|} (u = 2⁻⁵³ in F64, 2⁻²⁴ in F32); the test
 * allows twice that. A lost, doubled or misplaced term is off by about {@code |a||b|}, far above it.
 */
class GemmTest {
    /** How an operand is laid out in its array. */
    enum Layout {
        /** Row-major, no offset: column stride 1. */
        ROWS,
        /** Column-major (a transposed operand): row stride 1. */
        TRANSPOSED,
        /** Every other element of wider padded rows, at an offset: no stride is 1. */
        STRIDED
    }

    /** A {@code rows × cols} operand stored in {@code data} with element (i, j) at {@code off + i·rs + j·cs}. */
    record Operand(double[] data, int off, long rs, long cs) {
        static Operand of(Layout layout, double[] dense, int rows, int cols, SplittableRandom r) {
            return switch (layout) {
                case ROWS -> new Operand(dense.clone(), 0, cols, 1);
                case TRANSPOSED -> {
                    double[] t = new double[rows * cols];
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < cols; j++) {
                            t[j * rows + i] = dense[i * cols + j];
                        }
                    }
                    yield new Operand(t, 0, 1, rows);
                }
                case STRIDED -> {
                    int off = 5, cs = 2, rs = 2 * cols + 3;
                    double[] s = new double[off + rows * rs];
                    for (int i = 0; i < s.length; i++) {
                        s[i] = r.nextDouble() * 100 + 1000; // garbage that must not be read
                    }
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < cols; j++) {
                            s[off + i * rs + j * cs] = dense[i * cols + j];
                        }
                    }
                    yield new Operand(s, off, rs, cs);
                }
            };
        }
    }

    /** Uniform in [-1, 1), rounded to floats so that F32 and F64 multiply the same numbers. */
    private static double[] random(SplittableRandom r, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }

    private static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({
        "1, 1, 1", "2, 3, 5", "3, 12, 7", "5, 7, 17", "7, 5, 3", "17, 2, 50", "1, 97, 2", "97, 1, 7",
        "50, 17, 97", "3, 13, 300",      // k over KC: accumulation across K slices
        "130, 7, 513",                   // m over MC, k over two KC slices
        "2, 1030, 3",                    // n over NC: a second column slice with one edge panel
        "300, 97, 130",                  // enough work to split rows over threads
        "7, 1030, 300",                  // few rows: columns split over threads, over NC and KC
        "513, 50, 97", "17, 300, 513", "130, 130, 130",
        "520, 400, 70",                  // rows split; B shared, packed in parts
        "400, 110, 600",                 // rows split; B of 5 panels packed in parts by K slice; a 14-wide edge panel
        "60, 2100, 40",                  // columns split; A shared, packed in parts; n over NC in F32
        "2100, 2060, 5",                 // rows split; B shared over two NC blocks, packed in parts
        "1100, 960, 530",                // C over 2^20 elements: F32's K slices 512 deep, then 18
        "64, 1, 6272", "6272, 1, 64",    // F32 matrix · vector (ThinGemm): dot products, or column updates
        "1, 300, 45", "1, 5, 2000",      // vector · matrix
        "40, 300, 1", "3000, 70, 1"})    // outer products, split over threads
    void matchesNaiveLoopForEveryLayoutAndMode(int m, int n, int k) {
        SplittableRandom r = new SplittableRandom(m * 1_000_003L + n * 1009L + k);
        double[] a = random(r, m * k), b = random(r, k * n), c0 = random(r, m * n);
        double[] ref = new double[m * n], bound = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    s += a[i * k + p] * b[p * n + j];
                    abs += Math.abs(a[i * k + p] * b[p * n + j]);
                }
                ref[i * n + j] = s;
                bound[i * n + j] = abs;
            }
        }
        for (Layout la : Layout.values()) {
            Operand oa = Operand.of(la, a, m, k, r);
            for (Layout lb : Layout.values()) {
                Operand ob = Operand.of(lb, b, k, n, r);
                for (boolean accumulate : new boolean[] {false, true}) {
                    for (int run = 0; run < 4; run++) {
                        boolean parallel = run % 2 == 1, f32 = run >= 2;
                        String what = (f32 ? "F32 " : "F64 ") + m + "x" + n + "x" + k + " A " + la + " B " + lb
                                + " accumulate=" + accumulate + " parallel=" + parallel;
                        int co = 3;
                        double[] c = new double[co + m * n + 4];
                        java.util.Arrays.fill(c, -7.25);
                        if (accumulate) {
                            System.arraycopy(c0, 0, c, co, m * n);
                        }
                        if (f32) {
                            float[] cf = floats(c);
                            MatmulKernel.gemmF32(floats(oa.data()), oa.off(), oa.rs(), oa.cs(), floats(ob.data()), ob.off(), ob.rs(), ob.cs(),
                                    cf, co, m, n, k, accumulate, parallel);
                            for (int i = 0; i < c.length; i++) {
                                c[i] = cf[i];
                            }
                        } else {
                            GemmF64.gemm(oa.data(), oa.off(), oa.rs(), oa.cs(), ob.data(), ob.off(), ob.rs(), ob.cs(), c, co,
                                    m, n, k, accumulate, parallel);
                        }
                        for (int i = 0; i < co; i++) {
                            assertEquals(-7.25, c[i], what + ": wrote before C at " + i);
                        }
                        for (int i = co + m * n; i < c.length; i++) {
                            assertEquals(-7.25, c[i], what + ": wrote after C at " + i);
                        }
                        for (int i = 0; i < m * n; i++) {
                            double want = accumulate ? c0[i] + ref[i] : ref[i];
                            double u = f32 ? 0x1p-24 : 0x1p-53;
                            double tol = 4.0 * k * u * (bound[i] + (accumulate ? Math.abs(c0[i]) : 0)) + Double.MIN_NORMAL;
                            double got = c[co + i];
                            if (!(Math.abs(got - want) <= tol)) {
                                throw new AssertionError(what + ": C[" + i / n + ", " + i % n + "] = " + got + ", want " + want
                                        + " (off by " + Math.abs(got - want) + ", tolerance " + tol + ")");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void emptyKOverwritesWithZerosOrLeavesTheSum() {
        double[] c = {1, 2, 3, 4, 5, 6, 9};
        GemmF64.gemm(new double[0], 0, 0, 1, new double[0], 0, 3, 1, c, 0, 2, 3, 0, true, false);
        assertEquals(java.util.List.of(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 9.0), java.util.Arrays.stream(c).boxed().toList());
        GemmF64.gemm(new double[0], 0, 0, 1, new double[0], 0, 3, 1, c, 0, 2, 3, 0, false, false);
        assertEquals(java.util.List.of(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 9.0), java.util.Arrays.stream(c).boxed().toList());
    }

    private Scope scope;

    @BeforeEach
    void open() {
        scope = Scope.open();
    }

    @AfterEach
    void close() {
        scope.close();
    }

    @ParameterizedTest(name = "batch {0} of {1}x{2}x{3} transA={4} broadcastB={5}")
    @CsvSource({
        "3, 5, 7, 17, false, false",     // many small products: one per task
        "4, 13, 50, 300, true, false",   // transposed A views folded into packing
        "2, 97, 130, 513, false, false", // large batched products: each split over threads
        "3, 130, 17, 97, true, true"})   // a 2-D B broadcast over the batch (batch stride 0)
    void batchedTensorMatmulInF64MatchesNaiveLoop(int batch, int m, int n, int k, boolean transA, boolean broadcastB) {
        SplittableRandom r = new SplittableRandom(batch * 31L + m * 7L + n * 3L + k);
        double[] a = random(r, batch * m * k), b = random(r, (broadcastB ? 1 : batch) * k * n);
        Tensor ta;
        if (transA) {
            double[] t = new double[a.length];
            for (int q = 0; q < batch; q++) {
                for (int i = 0; i < m; i++) {
                    for (int p = 0; p < k; p++) {
                        t[q * m * k + p * m + i] = a[q * m * k + i * k + p];
                    }
                }
            }
            ta = Tensor.of(t, batch, k, m).transpose(-1, -2);
        } else {
            ta = Tensor.of(a, batch, m, k);
        }
        Tensor tb = broadcastB ? Tensor.of(b, k, n) : Tensor.of(b, batch, k, n);
        Tensor out = ta.matmul(tb);
        assertEquals(DType.F64, out.dtype());
        assertEquals(java.util.List.of(batch, m, n), java.util.Arrays.stream(out.shape()).boxed().toList());
        double[] c = out.toDoubleArray();
        for (int q = 0; q < batch; q++) {
            int bq = broadcastB ? 0 : q;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0, abs = 0;
                    for (int p = 0; p < k; p++) {
                        double x = a[q * m * k + i * k + p] * b[bq * k * n + p * n + j];
                        s += x;
                        abs += Math.abs(x);
                    }
                    double got = c[q * m * n + i * n + j];
                    assertTrue(Math.abs(got - s) <= 4.0 * k * 0x1p-53 * abs,
                            "matmul F64 batch " + q + " at [" + i + ", " + j + "]: " + got + " vs " + s);
                }
            }
        }
    }
}
