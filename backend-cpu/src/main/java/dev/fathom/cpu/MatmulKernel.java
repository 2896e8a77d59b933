package dev.fathom.cpu;

import dev.fathom.spi.Strided;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batched matrix product {@code C[b] = A[b]·B[b]} on arrays, cache-blocked with the Vector API.
 *
 * <p>F32: for each KC-deep slice of K, a panel of B (KC × N) is packed row-major once and shared;
 * blocks of MC rows of A are packed (which folds any transpose or stride into the copy) and
 * multiplied by a 4-row × 2-vector register-blocked kernel that accumulates into C. Row blocks run
 * in parallel. (The BLIS-style packed micro-kernel tuned to L1/L2 comes with the performance
 * work; this one is correct for every layout and reasonably fast.) F64 and I64 use plain loops on
 * packed rows. Shapes: a [.., M, K], b [.., K, N], c [.., M, N] contiguous.
 */
final class MatmulKernel {
    private static final VectorSpecies<Float> S = VectorF32.S;
    private static final int L = VectorF32.L;
    private static final int MR = 4;
    private static final int KC = 256;
    private static final int MC = 64;

    private MatmulKernel() {
    }

    static void matmul(Strided as, Strided bs, Strided cs) {
        int r = cs.rank();
        int m = cs.shape()[r - 2], n = cs.shape()[r - 1], k = as.shape()[r - 1];
        int batches = 1;
        for (int d = 0; d < r - 2; d++) {
            batches *= cs.shape()[d];
        }
        int[] batchShape = java.util.Arrays.copyOf(cs.shape(), r - 2);
        long[] aOff = batchOffsets(as, batchShape), bOff = batchOffsets(bs, batchShape);
        CpuBuffer a = CpuBuffer.of(as.buffer()), b = CpuBuffer.of(bs.buffer()), c = CpuBuffer.of(cs.buffer());
        Layout la = new Layout(as.strides()[r - 2], as.strides()[r - 1]);
        Layout lb = new Layout(bs.strides()[r - 2], bs.strides()[r - 1]);
        long flops = (long) m * n * k;
        int nb = batches;
        if (nb > 1 && flops < (1L << 22)) {
            // Many small products: one per task.
            Parallel.forRange(nb, Math.max(1, (1L << 20) / Math.max(1, flops)), (lo, hi) -> {
                for (int i = (int) lo; i < hi; i++) {
                    one(a, (int) aOff[i], la, b, (int) bOff[i], lb, c, (int) (cs.offset() + (long) i * m * n), m, n, k, false);
                }
            });
            return;
        }
        for (int i = 0; i < nb; i++) {
            one(a, (int) aOff[i], la, b, (int) bOff[i], lb, c, (int) (cs.offset() + (long) i * m * n), m, n, k, true);
        }
    }

    /** Row and column strides of one matrix operand. */
    private record Layout(long rs, long cs) {
    }

    private static long[] batchOffsets(Strided s, int[] batchShape) {
        int nb = 1;
        for (int d : batchShape) {
            nb *= d;
        }
        long[] out = new long[nb];
        int[] idx = new int[batchShape.length];
        for (int i = 0; i < nb; i++) {
            long o = s.offset();
            for (int d = 0; d < batchShape.length; d++) {
                o += idx[d] * s.strides()[d];
            }
            out[i] = o;
            for (int d = batchShape.length - 1; d >= 0; d--) {
                if (++idx[d] < batchShape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return out;
    }

    private static void one(CpuBuffer a, int ao, Layout la, CpuBuffer b, int bo, Layout lb, CpuBuffer c, int co,
                            int m, int n, int k, boolean parallel) {
        switch (c.dtype) {
            case F32 -> gemmF32(a.f, ao, la.rs, la.cs, b.f, bo, lb.rs, lb.cs, c.f, co, m, n, k, false, parallel);
            case F64 -> f64(a.d, ao, la, b.d, bo, lb, c.d, co, m, n, k);
            case I64 -> i64(a.l, ao, la, b.l, bo, lb, c.l, co, m, n, k);
            case BOOL -> throw new IllegalArgumentException("cpu: matmul is not defined for BOOL");
        }
    }

    /**
     * {@code C (+)= A·B} on plain arrays, for kernels built on GEMM (convolution): A is
     * {@code m × k} with element (i, p) at {@code ao + i·aRs + p·aCs}, B is {@code k × n} likewise,
     * C is {@code m × n} row-major at {@code co}. {@code accumulate} adds to C instead of
     * overwriting it; {@code parallel} lets row blocks run on the pool (callers already running
     * one task per thread pass false). Needs {@code k ≥ 1}.
     */
    static void gemmF32(float[] a, int ao, long aRs, long aCs, float[] b, int bo, long bRs, long bCs, float[] c, int co,
                        int m, int n, int k, boolean accumulateInto, boolean parallel) {
        Layout la = new Layout(aRs, aCs), lb = new Layout(bRs, bCs);
        int np = (n + L - 1) / L * L;
        float[] bp = new float[Math.min(KC, k) * np];
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            // Pack B[pc:pc+kc, :] row-major with rows padded to a whole number of vectors.
            for (int kk = 0; kk < kc; kk++) {
                long src = bo + (pc + kk) * lb.rs;
                int dst = kk * np;
                if (lb.cs == 1) {
                    System.arraycopy(b, (int) src, bp, dst, n);
                } else {
                    for (int j = 0; j < n; j++) {
                        bp[dst + j] = b[(int) (src + j * lb.cs)];
                    }
                }
                java.util.Arrays.fill(bp, dst + n, dst + np, 0f);
            }
            boolean accumulate = accumulateInto || pc > 0;
            int p0 = pc;
            int blocks = (m + MC - 1) / MC;
            long work = (long) m * n * kc;
            Parallel.Range rows = (lo, hi) -> {
                float[] ap = new float[Math.min(MC, m) * kc];
                for (int blk = (int) lo; blk < hi; blk++) {
                    int ic = blk * MC, mc = Math.min(MC, m - ic);
                    packA(a, ao, la, ic, mc, p0, kc, ap);
                    block(ap, mc, kc, bp, np, c, co + ic * n, n, accumulate);
                }
            };
            if (parallel && work >= (1L << 21)) {
                Parallel.forRange(blocks, 1, rows);
            } else {
                rows.run(0, blocks);
            }
        }
    }

    /** Packs A[ic:ic+mc, pc:pc+kc] row-major into ap (rows padded to MR with zeros). */
    private static void packA(float[] a, int ao, Layout la, int ic, int mc, int pc, int kc, float[] ap) {
        for (int i = 0; i < mc; i++) {
            long src = ao + (ic + i) * la.rs + pc * la.cs;
            int dst = i * kc;
            if (la.cs == 1) {
                System.arraycopy(a, (int) src, ap, dst, kc);
            } else {
                for (int kk = 0; kk < kc; kk++) {
                    ap[dst + kk] = a[(int) (src + kk * la.cs)];
                }
            }
        }
    }

    /** C[0:mc, 0:n] (+)= Ap[mc × kc] · Bp[kc × np]; C rows are n apart. */
    private static void block(float[] ap, int mc, int kc, float[] bp, int np, float[] c, int co, int n, boolean accumulate) {
        int i = 0;
        for (; i + MR <= mc; i += MR) {
            int a0 = i * kc, a1 = a0 + kc, a2 = a1 + kc, a3 = a2 + kc;
            int c0 = co + i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
            int j = 0;
            for (; j + 2 * L <= n; j += 2 * L) {
                FloatVector x00, x01, x10, x11, x20, x21, x30, x31;
                if (accumulate) {
                    x00 = FloatVector.fromArray(S, c, c0 + j);
                    x01 = FloatVector.fromArray(S, c, c0 + j + L);
                    x10 = FloatVector.fromArray(S, c, c1 + j);
                    x11 = FloatVector.fromArray(S, c, c1 + j + L);
                    x20 = FloatVector.fromArray(S, c, c2 + j);
                    x21 = FloatVector.fromArray(S, c, c2 + j + L);
                    x30 = FloatVector.fromArray(S, c, c3 + j);
                    x31 = FloatVector.fromArray(S, c, c3 + j + L);
                } else {
                    x00 = x01 = x10 = x11 = x20 = x21 = x30 = x31 = FloatVector.zero(S);
                }
                for (int kk = 0, bi = j; kk < kc; kk++, bi += np) {
                    FloatVector b0 = FloatVector.fromArray(S, bp, bi);
                    FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
                    FloatVector v0 = FloatVector.broadcast(S, ap[a0 + kk]);
                    x00 = v0.fma(b0, x00);
                    x01 = v0.fma(b1, x01);
                    FloatVector v1 = FloatVector.broadcast(S, ap[a1 + kk]);
                    x10 = v1.fma(b0, x10);
                    x11 = v1.fma(b1, x11);
                    FloatVector v2 = FloatVector.broadcast(S, ap[a2 + kk]);
                    x20 = v2.fma(b0, x20);
                    x21 = v2.fma(b1, x21);
                    FloatVector v3 = FloatVector.broadcast(S, ap[a3 + kk]);
                    x30 = v3.fma(b0, x30);
                    x31 = v3.fma(b1, x31);
                }
                x00.intoArray(c, c0 + j);
                x01.intoArray(c, c0 + j + L);
                x10.intoArray(c, c1 + j);
                x11.intoArray(c, c1 + j + L);
                x20.intoArray(c, c2 + j);
                x21.intoArray(c, c2 + j + L);
                x30.intoArray(c, c3 + j);
                x31.intoArray(c, c3 + j + L);
            }
            for (; j < n; j += L) {
                for (int rr = 0; rr < MR; rr++) {
                    rowVector(ap, (i + rr) * kc, kc, bp, np, j, c, co + (i + rr) * n, n, accumulate);
                }
            }
        }
        for (; i < mc; i++) {
            for (int j = 0; j < n; j += L) {
                rowVector(ap, i * kc, kc, bp, np, j, c, co + i * n, n, accumulate);
            }
        }
    }

    /** One row, one (possibly partial) vector of columns starting at j. */
    private static void rowVector(float[] ap, int a0, int kc, float[] bp, int np, int j, float[] c, int crow, int n, boolean accumulate) {
        VectorMask<Float> mask = S.indexInRange(j, n);
        FloatVector acc = accumulate ? FloatVector.fromArray(S, c, crow + j, mask) : FloatVector.zero(S);
        for (int kk = 0, bi = j; kk < kc; kk++, bi += np) {
            acc = FloatVector.broadcast(S, ap[a0 + kk]).fma(FloatVector.fromArray(S, bp, bi), acc);
        }
        acc.intoArray(c, crow + j, mask);
    }

    private static void f64(double[] a, int ao, Layout la, double[] b, int bo, Layout lb, double[] c, int co, int m, int n, int k) {
        double[] brow = new double[n];
        java.util.Arrays.fill(c, co, co + m * n, 0);
        for (int kk = 0; kk < k; kk++) {
            for (int j = 0; j < n; j++) {
                brow[j] = b[(int) (bo + kk * lb.rs + j * lb.cs)];
            }
            for (int i = 0; i < m; i++) {
                double aik = a[(int) (ao + i * la.rs + kk * la.cs)];
                int row = co + i * n;
                for (int j = 0; j < n; j++) {
                    c[row + j] += aik * brow[j];
                }
            }
        }
    }

    private static void i64(long[] a, int ao, Layout la, long[] b, int bo, Layout lb, long[] c, int co, int m, int n, int k) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long s = 0;
                for (int kk = 0; kk < k; kk++) {
                    s += a[(int) (ao + i * la.rs + kk * la.cs)] * b[(int) (bo + kk * lb.rs + j * lb.cs)];
                }
                c[co + i * n + j] = s;
            }
        }
    }
}
