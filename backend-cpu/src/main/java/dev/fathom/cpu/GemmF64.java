package dev.fathom.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * DGEMM {@code C (+)= A·B} on double arrays: the F64 twin of {@link MatmulKernel#gemmF32}, with the
 * same loop nest, register tile and parallel split, and blocking sizes that keep the same number
 * of bytes in each cache level (a double is twice a float, so MC and NC are halved).
 *
 * <p>F64 is the reference dtype (gradcheck runs in it), so nothing here trades accuracy for
 * speed: each step is one FMA (one rounding), and beyond that the only difference from a plain loop is
 * the order of the sums over k (KC-deep slices added into C in turn).
 */
final class GemmF64 {
    static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Rows of the register tile (see {@link #microKernel} for why 3). */
    private static final int MR = 3;
    /** Columns of the register tile: three vectors. */
    private static final int NR = 3 * L;
    /** Depth of a K slice: a B micro-panel is 256 × NR doubles (24 KB on AVX2), as large as F32's in L1. */
    private static final int KC = 256;
    /** Rows of a packed A block (a multiple of MR): 72 × 256 doubles = 144 KB stays in L2, as F32's 145 × 256 floats. */
    private static final int MC = 72;
    /** Columns of a packed B slice: 1024 × 256 doubles = 2 MB, as F32's 2048 × 256 floats. */
    private static final int NC = 1024;
    /**
     * Smallest parallel part: 16 MR-row panels (48 rows), or NR-column panels making 96 columns
     * (8 on AVX2; F32's grain is 96 columns too): every part packs all of the other operand again,
     * so parts must not get too thin. Counted in columns because a panel's width follows the vector.
     */
    private static final int ROW_GRAIN = 16;
    private static final int COLUMN_GRAIN = Math.max(1, 96 / NR);

    private GemmF64() {
    }

    /**
     * {@code C (+)= A·B}: A is {@code m × k} with element (i, p) at {@code ao + i·aRs + p·aCs}, B is
     * {@code k × n} likewise, C is {@code m × n} row-major at {@code co}. {@code accumulateInto}
     * adds to C instead of overwriting it; {@code parallel} lets parts of C run on the pool (callers
     * already running one task per thread pass false). {@code k = 0} gives zeros (or leaves C as it
     * is when accumulating).
     *
     * <p>The loop nest of BLIS (Van Zee and van de Geijn, 2015): for each NC-wide slice of columns
     * and KC-deep slice of K, B is packed into NR-column panels stored k-major; each MC-row block of
     * A is packed into MR-row panels, k-major; the micro-kernel keeps an MR × NR tile of C in
     * registers (3 × 3 vectors: 9 accumulators). Packing folds transposes and strides away and pads
     * edges with zeros; edge tiles store only their valid rows and columns.
     */
    static void gemm(double[] a, int ao, long aRs, long aCs, double[] b, int bo, long bRs, long bCs, double[] c, int co,
                     int m, int n, int k, boolean accumulateInto, boolean parallel) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k <= 0) {
            if (!accumulateInto) {
                java.util.Arrays.fill(c, co, co + m * n, 0.0);
            }
            return;
        }
        if (parallel && Parallel.THREADS > 1 && (long) m * n * k >= (1L << 20)) {
            // Independent parts, one blocked product each, as in gemmF32: every part packs its own
            // operands, so threads never wait on each other between K slices. Split the longer side.
            if (m >= n) {
                int panels = (m + MR - 1) / MR;
                Parallel.forRange(panels, ROW_GRAIN, (lo, hi) -> {
                    int i0 = (int) lo * MR, i1 = (int) Math.min(m, hi * MR);
                    blocked(a, ao + i0 * aRs, aRs, aCs, b, bo, bRs, bCs, c, co + i0 * n, n, i1 - i0, n, k, accumulateInto);
                });
            } else {
                int panels = (n + NR - 1) / NR;
                Parallel.forRange(panels, COLUMN_GRAIN, (lo, hi) -> {
                    int j0 = (int) lo * NR, j1 = (int) Math.min(n, hi * NR);
                    blocked(a, ao, aRs, aCs, b, bo + j0 * bCs, bRs, bCs, c, co + j0, n, m, j1 - j0, k, accumulateInto);
                });
            }
            return;
        }
        blocked(a, ao, aRs, aCs, b, bo, bRs, bCs, c, co, n, m, n, k, accumulateInto);
    }

    /** {@code C[0:m, 0:w] (+)= A · B[:, 0:w]} on the calling thread, BLIS's loop nest; C rows are {@code ldc} apart. */
    private static void blocked(double[] a, long ao, long aRs, long aCs, double[] b, long bo, long bRs, long bCs,
                                double[] c, int co, int ldc, int m, int w, int k, boolean accumulateInto) {
        for (int jc = 0; jc < w; jc += NC) {
            int nc = Math.min(NC, w - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                double[] bp = Scratch.B.get().array(((nc + NR - 1) / NR) * kc * NR);
                packB(b, bo, bRs, bCs, pc, kc, jc, nc, bp);
                boolean accumulate = accumulateInto || pc > 0;
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    double[] ap = Scratch.A.get().array(((mc + MR - 1) / MR) * MR * kc);
                    packA(a, ao, aRs, aCs, ic, mc, pc, kc, ap);
                    macroKernel(ap, mc, kc, bp, nc, c, co + ic * ldc + jc, ldc, accumulate);
                }
            }
        }
    }

    /** Per-thread packing buffers, grown on demand and kept: packing allocates nothing after warm-up. */
    private static final class Scratch {
        static final ThreadLocal<Scratch> A = ThreadLocal.withInitial(Scratch::new);
        static final ThreadLocal<Scratch> B = ThreadLocal.withInitial(Scratch::new);
        static final ThreadLocal<Scratch> TILE = ThreadLocal.withInitial(Scratch::new);
        private double[] buf = new double[0];

        double[] array(int size) {
            if (buf.length < size) {
                buf = new double[size];
            }
            return buf;
        }
    }

    /** Packs B[pc:pc+kc, jc:jc+nc] into NR-column panels, each k-major: bp[(panel·kc + p)·NR + j]. */
    private static void packB(double[] b, long bo, long rs, long cs, int pc, int kc, int jc, int nc, double[] bp) {
        int panels = (nc + NR - 1) / NR;
        for (int jp = 0; jp < panels; jp++) {
            int j0 = jp * NR, w = Math.min(NR, nc - j0);
            int dst = jp * kc * NR;
            if (rs == 1 && cs != 1) {
                // Columns contiguous (a transposed operand, W.t()): read each column along k.
                for (int j = 0; j < NR; j++) {
                    if (j < w) {
                        int src = (int) (bo + pc + (jc + j0 + j) * cs);
                        for (int p = 0, o = dst + j; p < kc; p++, o += NR) {
                            bp[o] = b[src + p];
                        }
                    } else {
                        for (int p = 0, o = dst + j; p < kc; p++, o += NR) {
                            bp[o] = 0.0;
                        }
                    }
                }
                continue;
            }
            for (int p = 0; p < kc; p++, dst += NR) {
                long src = bo + (pc + p) * rs + (jc + j0) * cs;
                if (cs == 1) {
                    System.arraycopy(b, (int) src, bp, dst, w);
                } else {
                    for (int j = 0; j < w; j++) {
                        bp[dst + j] = b[(int) (src + j * cs)];
                    }
                }
                for (int j = w; j < NR; j++) {
                    bp[dst + j] = 0.0;
                }
            }
        }
    }

    /** Packs A[ic:ic+mc, pc:pc+kc] into MR-row panels, each k-major: ap[(panel·kc + p)·MR + i]. */
    private static void packA(double[] a, long ao, long rs, long cs, int ic, int mc, int pc, int kc, double[] ap) {
        int panels = (mc + MR - 1) / MR;
        for (int ip = 0; ip < panels; ip++) {
            int i0 = ip * MR, h = Math.min(MR, mc - i0);
            int base = ip * kc * MR;
            if (rs == 1 && cs != 1 && h == MR) {
                // Rows contiguous (a transposed operand, X.t()): read the MR rows of each k together.
                for (int p = 0; p < kc; p++) {
                    int src = (int) (ao + ic + i0 + (pc + p) * cs), o = base + p * MR;
                    for (int i = 0; i < MR; i++) {
                        ap[o + i] = a[src + i];
                    }
                }
                continue;
            }
            for (int i = 0; i < MR; i++) {
                if (i >= h) {
                    for (int p = 0; p < kc; p++) {
                        ap[base + p * MR + i] = 0.0;
                    }
                    continue;
                }
                long src = ao + (ic + i0 + i) * rs + pc * cs;
                for (int p = 0; p < kc; p++) {
                    ap[base + p * MR + i] = a[(int) (src + p * cs)];
                }
            }
        }
    }

    /** C[0:mc, 0:nc] (+)= packed A (mc × kc) · packed B (kc × nc), tile by tile; C rows are ldc apart. */
    private static void macroKernel(double[] ap, int mc, int kc, double[] bp, int nc, double[] c, int co, int ldc, boolean accumulate) {
        double[] edge = Scratch.TILE.get().array(MR * NR);
        for (int jp = 0, j0 = 0; j0 < nc; jp++, j0 += NR) {
            int w = Math.min(NR, nc - j0);
            for (int ip = 0, i0 = 0; i0 < mc; ip++, i0 += MR) {
                microKernel(ap, ip * kc * MR, bp, jp * kc * NR, kc, c, co + i0 * ldc + j0, ldc, Math.min(MR, mc - i0), w, accumulate, edge);
            }
        }
    }

    /**
     * One MR × NR tile: 9 accumulators over kc, then (+)= into the valid h × w part of C at {@code ct}
     * (rows {@code ldc} apart); edge tiles go through {@code edge}, an MR × NR buffer of the caller.
     *
     * <p>Built as gemmF32's micro-kernel for the same reasons (see its javadoc): 9 accumulators +
     * 3 B vectors + a broadcast fit AVX2's 16 registers without spilling; no call after the loop
     * (the edge buffer comes from the caller) and too large to be inlined into macroKernel. It
     * keeps the 3 × 3 tile gemmF32 had: F64 serves the reference checks and the theory tools,
     * whose widths matter less than the models' F32 feature counts.
     */
    private static void microKernel(double[] ap, int a0, double[] bp, int b0, int kc, double[] c, int ct, int ldc, int h, int w,
                                    boolean accumulate, double[] edge) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
        DoubleVector c20 = c00, c21 = c00, c22 = c00;
        for (int p = 0; p < kc; p++) {
            int ai = a0 + p * MR, bi = b0 + p * NR;
            DoubleVector b0v = DoubleVector.fromArray(S, bp, bi);
            DoubleVector b1v = DoubleVector.fromArray(S, bp, bi + L);
            DoubleVector b2v = DoubleVector.fromArray(S, bp, bi + 2 * L);
            DoubleVector x = DoubleVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            c02 = x.fma(b2v, c02);
            x = DoubleVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            c12 = x.fma(b2v, c12);
            x = DoubleVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            c22 = x.fma(b2v, c22);
        }
        if (h == MR && w == NR) {
            store(c00, c01, c02, c, ct, accumulate);
            store(c10, c11, c12, c, ct + ldc, accumulate);
            store(c20, c21, c22, c, ct + 2 * ldc, accumulate);
            return;
        }
        // Edge tile: the registers into the caller's MR × NR buffer, then the valid h × w part into C.
        c00.intoArray(edge, 0);
        c01.intoArray(edge, L);
        c02.intoArray(edge, 2 * L);
        c10.intoArray(edge, NR);
        c11.intoArray(edge, NR + L);
        c12.intoArray(edge, NR + 2 * L);
        c20.intoArray(edge, 2 * NR);
        c21.intoArray(edge, 2 * NR + L);
        c22.intoArray(edge, 2 * NR + 2 * L);
        for (int r = 0; r < h; r++) {
            int row = ct + r * ldc;
            for (int j = 0; j < w; j++) {
                c[row + j] = accumulate ? c[row + j] + edge[r * NR + j] : edge[r * NR + j];
            }
        }
    }

    private static void store(DoubleVector v0, DoubleVector v1, DoubleVector v2, double[] c, int row, boolean accumulate) {
        if (accumulate) {
            v0 = v0.add(DoubleVector.fromArray(S, c, row));
            v1 = v1.add(DoubleVector.fromArray(S, c, row + L));
            v2 = v2.add(DoubleVector.fromArray(S, c, row + 2 * L));
        }
        v0.intoArray(c, row);
        v1.intoArray(c, row + L);
        v2.intoArray(c, row + 2 * L);
    }
}
