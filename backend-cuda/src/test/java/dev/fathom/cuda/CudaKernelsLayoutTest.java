package dev.fathom.cuda;

import dev.fathom.spi.Buffer;
import dev.fathom.spi.ReduceOp;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The layouts {@link CudaKernels} builds (kept-axes-first copies, row strides, merged and split
 * GEMM batches, stride-0 index views, BOOL through I64) checked numerically: the kernels are the
 * real ones on the {@link EmulatedDriver}, so a wrong offset or stride on the host shows as a wrong
 * number here, compared with naive F64 loops over the logical indices.
 */
class CudaKernelsLayoutTest {

    /** The emulated driver, or the test is skipped with the reason (no g++). */
    private static EmulatedDriver emulated() throws Exception {
        String reason = Emulator.driverUnavailableReason();
        org.junit.jupiter.api.Assumptions.assumeTrue(reason == null, reason);
        return new EmulatedDriver(Emulator.driverModules(), 64L << 20);
    }
    private final Random rng = new Random(5);

    private double[] randoms(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = Math.round(rng.nextGaussian() * 8) / 4.0; // exact in F64, few ties
        }
        return v;
    }

    private static double[] download(CudaKernels k, Buffer b, int n) {
        double[] out = new double[n];
        k.download(b, 0, out, 0, n);
        return out;
    }

    @Test
    void sumsAndArgmaxOverPermutedAndBroadcastAxes() throws Exception {
        try (CudaKernels k = CudaKernels.open(emulated(), 0)) {
            double[] host = randoms(4 * 5 * 6);
            Buffer x = k.allocate(DType.F64, host.length);
            k.upload(host, 0, x, 0, host.length);
            // x viewed as [6, 4, 5] (a permutation of the stored [4, 5, 6]), summed over axes 0 and 2.
            Strided view = new Strided(x, new int[] {6, 4, 5}, new long[] {1, 30, 6}, 0);
            Buffer out = k.allocate(DType.F64, 4);
            k.reduce(ReduceOp.SUM, view, new int[] {0, 2}, Strided.contiguous(out, 1, 4, 1));
            double[] want = new double[4];
            for (int a = 0; a < 6; a++) {
                for (int b = 0; b < 4; b++) {
                    for (int c = 0; c < 5; c++) {
                        want[b] += host[b * 30 + c * 6 + a];
                    }
                }
            }
            assertArrayEquals(want, download(k, out, 4), 1e-12);

            // argmax over axis 1 of a [3, 4] broadcast from a row of 4 (stride 0 on axis 0): each row's answer is the row's.
            Buffer idx = k.allocate(DType.I64, 3);
            k.reduce(ReduceOp.ARGMAX, new Strided(x, new int[] {3, 4}, new long[] {0, 1}, 10), new int[] {1}, Strided.contiguous(idx, 3, 1));
            int best = 0;
            for (int j = 1; j < 4; j++) {
                best = host[10 + j] > host[10 + best] ? j : best;
            }
            long[] got = new long[3];
            k.download(idx, 0, got, 0, 3);
            assertArrayEquals(new long[] {best, best, best}, got);
        }
    }

    @Test
    void batchedMatmulWithTransposedBroadcastAndUnmergeableBatches() throws Exception {
        try (CudaKernels k = CudaKernels.open(emulated(), 0)) {
            int b0 = 2, b1 = 3, m = 3, kk = 4, n = 2;
            double[] ah = randoms(b0 * b1 * m * kk), bh = randoms(b0 * n * kk);
            Buffer a = k.allocate(DType.F64, ah.length), b = k.allocate(DType.F64, bh.length), c = k.allocate(DType.F64, b0 * b1 * m * n);
            k.upload(ah, 0, a, 0, ah.length);
            k.upload(bh, 0, b, 0, bh.length);
            // b is stored [b0, n, k] and used as [b0, b1 (broadcast), k, n]: transposed and broadcast over b1.
            Strided bv = new Strided(b, new int[] {b0, b1, kk, n}, new long[] {n * kk, 0, 1, kk}, 0);
            k.matmul(Strided.contiguous(a, b0, b1, m, kk), bv, Strided.contiguous(c, b0, b1, m, n));
            double[] want = new double[b0 * b1 * m * n];
            for (int i0 = 0; i0 < b0; i0++) {
                for (int i1 = 0; i1 < b1; i1++) {
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int p = 0; p < kk; p++) {
                                s += ah[((i0 * b1 + i1) * m + i) * kk + p] * bh[(i0 * n + j) * kk + p];
                            }
                            want[((i0 * b1 + i1) * m + i) * n + j] = s;
                        }
                    }
                }
            }
            assertArrayEquals(want, download(k, c, want.length), 1e-12);
        }
    }

    @Test
    void gatherAndScatterAddThroughStridedViewsAndBool() throws Exception {
        try (CudaKernels k = CudaKernels.open(emulated(), 0)) {
            double[] xh = randoms(12);
            Buffer x = k.allocate(DType.F64, 12), idx = k.allocate(DType.I64, 6), out = k.allocate(DType.F64, 6);
            k.upload(xh, 0, x, 0, 12);
            long[] ih = {2, 0, 1, 1, 2, 0};
            k.upload(ih, 0, idx, 0, 6);
            // x stored [4, 3] used transposed as [3, 4]; gather along dim 1 with a [3, 2] index.
            Strided xt = new Strided(x, new int[] {3, 4}, new long[] {1, 3}, 0);
            k.gather(xt, 1, Strided.contiguous(idx, 3, 2), Strided.contiguous(out, 3, 2));
            double[] want = new double[6];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 2; j++) {
                    want[i * 2 + j] = xh[(int) ih[i * 2 + j] * 3 + i];
                }
            }
            assertArrayEquals(want, download(k, out, 6), 0);

            // scatter-add of ones into a zeroed [3, 3] along dim 1: counts of each index per row.
            Buffer src = k.allocate(DType.F64, 6), acc = k.allocate(DType.F64, 9);
            k.fill(Strided.contiguous(src, 3, 2), 1);
            k.fill(Strided.contiguous(acc, 3, 3), 0);
            k.scatterAdd(Strided.contiguous(src, 3, 2), 1, Strided.contiguous(idx, 3, 2), Strided.contiguous(acc, 3, 3));
            assertArrayEquals(new double[] {1, 0, 1, 0, 2, 0, 1, 0, 1}, download(k, acc, 9), 0);

            // BOOL: gather and a scatter-add that ors.
            Buffer m = k.allocate(DType.BOOL, 9), mo = k.allocate(DType.BOOL, 6);
            k.upload(new boolean[] {true, false, false, false, true, false, false, false, true}, 0, m, 0, 9);
            k.gather(Strided.contiguous(m, 3, 3), 1, Strided.contiguous(idx, 3, 2), Strided.contiguous(mo, 3, 2));
            boolean[] g = new boolean[6];
            k.download(mo, 0, g, 0, 6);
            assertArrayEquals(new boolean[] {false, true, true, true, true, false}, g);
            k.fill(Strided.contiguous(mo, 3, 2), 1);
            k.scatterAdd(Strided.contiguous(mo, 3, 2), 1, Strided.contiguous(idx, 3, 2), Strided.contiguous(m, 3, 3));
            boolean[] s = new boolean[9];
            k.download(m, 0, s, 0, 9);
            assertArrayEquals(new boolean[] {true, false, true, false, true, false, true, false, true}, s);
            assertEquals(2 + 7, k.memoryStats().liveBuffers(),
                    "the device checks, the reduction tickets and the 7 buffers here: the I64 temporaries went back");
        }
    }
}
