package dev.fathom.cpu;

import dev.fathom.spi.Strided;
import jdk.incubator.vector.FloatVector;

import java.util.Arrays;

import static dev.fathom.cpu.FusedOperands.floating;
import static dev.fathom.cpu.FusedOperands.get;
import static dev.fathom.cpu.FusedOperands.getOr;
import static dev.fathom.cpu.FusedOperands.off;
import static dev.fathom.cpu.FusedOperands.optional;
import static dev.fathom.cpu.FusedOperands.set;

/**
 * Training-mode batch normalization (Ioffe and Szegedy 2015), forward then backward, as
 * {@link dev.fathom.spi.Kernels#batchNorm} defines it. x is seen as {@code (N, C, S)}; channel c
 * owns the N runs {@code x[i, c, 0..S)}, so channels are independent and split across the pool.
 * Per channel: the mean, the centered sum of squares (two passes), then the output; F32 runs of at
 * least one vector use {@link RowSums} (F64-carried blocks) and Vector API loops, forward and
 * backward.
 */
final class BatchNormKernels {
    private static final int L = VectorF32.L;
    /** Channels a block of {@link #forwardColumns} and {@link #backwardColumns} walks together, row by row. */
    private static final int COLUMNS = 256;

    private BatchNormKernels() {
    }

    static void forward(Strided xs, Strided ws, Strided bs, double eps, Strided os, Strided ms, Strided is) {
        String op = "batchNorm";
        CpuBuffer x = floating(op, xs), o = floating(op, os), mean = floating(op, ms), invstd = floating(op, is);
        CpuBuffer w = optional(op, ws), b = optional(op, bs);
        int[] shape = xs.shape();
        int n = shape[0], c = shape[1], s = (int) (xs.numel() / Math.max(1L, (long) n * c));
        long m = (long) n * s;
        int xo = off(xs), oo = off(os), mo = off(ms), io = off(is), wo = off(ws), bo = off(bs);
        if (s == 1 && x.f != null) {
            forwardColumns(x.f, xo, n, c, w, wo, b, bo, eps, o.f, oo, mean, mo, invstd, io);
            return;
        }
        Parallel.forRange(c, Math.max(1, ElementwiseKernels.GRAIN / Math.max(1, m)), (lo, hi) -> {
            for (int ch = (int) lo; ch < hi; ch++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    int at = xo + (i * c + ch) * s;
                    if (x.f != null) {
                        sum += RowSums.sum(x.f, at, s);
                    } else {
                        for (int j = 0; j < s; j++) {
                            sum += x.d[at + j];
                        }
                    }
                }
                double mu = sum / m;
                float muF = (float) mu;
                double ss = 0;
                for (int i = 0; i < n; i++) {
                    int at = xo + (i * c + ch) * s;
                    if (x.f != null) {
                        ss += RowSums.centeredSquares(x.f, at, s, muF);
                    } else {
                        for (int j = 0; j < s; j++) {
                            double d = x.d[at + j] - mu;
                            ss += d * d;
                        }
                    }
                }
                if (x.f != null) {
                    double dm = mu - muF;
                    ss = Math.max(ss - m * dm * dm, 0);
                }
                double inv = 1 / Math.sqrt(ss / m + eps);
                double wc = getOr(w, wo + ch, 1), bc = getOr(b, bo + ch, 0);
                for (int i = 0; i < n; i++) {
                    int at = (i * c + ch) * s;
                    if (x.f != null) {
                        writeRunF32(x.f, xo + at, muF, (float) inv, (float) wc, w != null, (float) bc, o.f, oo + at, s);
                    } else {
                        for (int j = 0; j < s; j++) {
                            o.d[oo + at + j] = (x.d[xo + at + j] - mu) * inv * wc + bc;
                        }
                    }
                }
                set(mean, mo + ch, mu);
                set(invstd, io + ch, inv);
            }
        });
    }

    /**
     * {@link #forward} for F32 x of shape (N, C): each channel is a column, N floats C apart. A
     * block of channels goes row by row, so that every read is contiguous; per channel, the same
     * operations in the same order as the run-by-run path, so the same bits. Run by run, every
     * channel was N runs of one float, strided a row apart: a 64 × 6272 batch norm took 5 ms.
     */
    private static void forwardColumns(float[] x, int xo, int n, int c, CpuBuffer w, int wo, CpuBuffer b, int bo, double eps,
                                       float[] o, int oo, CpuBuffer mean, int mo, CpuBuffer invstd, int io) {
        Parallel.forRange(c, Math.max(COLUMNS, ElementwiseKernels.GRAIN / n), (lo, hi) -> {
            double[] sum = new double[COLUMNS], ss = new double[COLUMNS];
            float[] muF = new float[COLUMNS], invF = new float[COLUMNS], wF = new float[COLUMNS], bF = new float[COLUMNS];
            for (int c0 = (int) lo; c0 < hi; c0 += COLUMNS) {
                int width = (int) Math.min(COLUMNS, hi - c0);
                Arrays.fill(sum, 0);
                Arrays.fill(ss, 0);
                for (int i = 0, at = xo + c0; i < n; i++, at += c) {
                    for (int j = 0; j < width; j++) {
                        sum[j] += x[at + j];
                    }
                }
                for (int j = 0; j < width; j++) {
                    muF[j] = (float) (sum[j] / n);
                }
                for (int i = 0, at = xo + c0; i < n; i++, at += c) {
                    for (int j = 0; j < width; j++) {
                        double d = x[at + j] - muF[j];
                        ss[j] += d * d;
                    }
                }
                for (int j = 0; j < width; j++) {
                    int ch = c0 + j;
                    double mu = sum[j] / n, dm = mu - muF[j];
                    double inv = 1 / Math.sqrt(Math.max(ss[j] - n * dm * dm, 0) / n + eps);
                    invF[j] = (float) inv;
                    wF[j] = (float) getOr(w, wo + ch, 1);
                    bF[j] = (float) getOr(b, bo + ch, 0);
                    set(mean, mo + ch, mu);
                    set(invstd, io + ch, inv);
                }
                boolean scaled = w != null;
                for (int i = 0; i < n; i++) {
                    int at = xo + i * c + c0, to = oo + i * c + c0;
                    for (int j = 0; j < width; j++) {
                        float v = (x[at + j] - muF[j]) * invF[j];
                        o[to + j] = (scaled ? v * wF[j] : v) + bF[j];
                    }
                }
            }
        });
    }

    /** out = (x − m)·r·w + b over one run, in the composite's order of operations. */
    private static void writeRunF32(float[] x, int xo, float m, float r, float w, boolean scaled, float b, float[] o, int oo, int s) {
        int j = 0;
        for (; j <= s - L; j += L) {
            FloatVector v = FloatVector.fromArray(VectorF32.S, x, xo + j).sub(m).mul(r);
            (scaled ? v.mul(w) : v).add(b).intoArray(o, oo + j);
        }
        for (; j < s; j++) {
            float v = (x[xo + j] - m) * r;
            o[oo + j] = (scaled ? v * w : v) + b;
        }
    }

    static void backward(Strided gys, Strided xs, Strided ms, Strided is, Strided ws, Strided gxs, Strided gws, Strided gbs) {
        String op = "batchNormBackward";
        CpuBuffer gy = floating(op, gys), x = floating(op, xs), mean = floating(op, ms), invstd = floating(op, is);
        CpuBuffer w = optional(op, ws), gx = floating(op, gxs), gw = optional(op, gws), gb = optional(op, gbs);
        int[] shape = xs.shape();
        int n = shape[0], c = shape[1], s = (int) (xs.numel() / Math.max(1L, (long) n * c));
        long m = (long) n * s;
        int go = off(gys), xo = off(xs), mo = off(ms), io = off(is), wo = off(ws), gxo = off(gxs), gwo = off(gws), gbo = off(gbs);
        if (s == 1 && x.f != null) {
            backwardColumns(gy.f, go, x.f, xo, n, c, mean, mo, invstd, io, w, wo, gx.f, gxo, gw, gwo, gb, gbo);
            return;
        }
        Parallel.forRange(c, Math.max(1, ElementwiseKernels.GRAIN / Math.max(1, m)), (lo, hi) -> {
            double[] acc = new double[2];
            for (int ch = (int) lo; ch < hi; ch++) {
                double mu = get(mean, mo + ch), inv = get(invstd, io + ch), wc = getOr(w, wo + ch, 1);
                acc[0] = 0;
                acc[1] = 0;
                for (int i = 0; i < n; i++) {
                    int at = (i * c + ch) * s;
                    if (x.f != null && s >= L) {
                        RowSums.sumAndCenteredDot(gy.f, go + at, x.f, xo + at, s, (float) mu, acc);
                        continue;
                    }
                    for (int j = 0; j < s; j++) {
                        double g = get(gy, go + at + j);
                        acc[0] += g;
                        acc[1] += g * (get(x, xo + at + j) - mu);
                    }
                }
                double sg = acc[0], sgx = acc[1] * inv;
                if (gw != null) {
                    set(gw, gwo + ch, sgx);
                }
                if (gb != null) {
                    set(gb, gbo + ch, sg);
                }
                // gx = inv·(g − mean(g) − xhat·mean(g·xhat)) with g = gy·w: the sums above times w.
                double a = wc * sg / m, k = wc * sgx / m;
                for (int i = 0; i < n; i++) {
                    int at = (i * c + ch) * s;
                    int j = 0;
                    if (x.f != null) {
                        float muF = (float) mu, invF = (float) inv, wF = (float) wc, aF = (float) a, kF = (float) k;
                        for (; j <= s - L; j += L) {
                            FloatVector xhat = FloatVector.fromArray(VectorF32.S, x.f, xo + at + j).sub(muF).mul(invF);
                            FloatVector.fromArray(VectorF32.S, gy.f, go + at + j).mul(wF).sub(aF).sub(xhat.mul(kF)).mul(invF)
                                    .intoArray(gx.f, gxo + at + j);
                        }
                    }
                    for (; j < s; j++) {
                        double xhat = (get(x, xo + at + j) - mu) * inv;
                        set(gx, gxo + at + j, inv * (get(gy, go + at + j) * wc - a - xhat * k));
                    }
                }
            }
        });
    }

    /** {@link #backward} for F32 x of shape (N, C), a block of channels row by row as {@link #forwardColumns}. */
    private static void backwardColumns(float[] gy, int go, float[] x, int xo, int n, int c, CpuBuffer mean, int mo,
                                        CpuBuffer invstd, int io, CpuBuffer w, int wo, float[] gx, int gxo,
                                        CpuBuffer gw, int gwo, CpuBuffer gb, int gbo) {
        Parallel.forRange(c, Math.max(COLUMNS, ElementwiseKernels.GRAIN / n), (lo, hi) -> {
            double[] mu = new double[COLUMNS], inv = new double[COLUMNS], wc = new double[COLUMNS];
            double[] sg = new double[COLUMNS], sgx = new double[COLUMNS], a = new double[COLUMNS], k = new double[COLUMNS];
            for (int c0 = (int) lo; c0 < hi; c0 += COLUMNS) {
                int width = (int) Math.min(COLUMNS, hi - c0);
                Arrays.fill(sg, 0);
                Arrays.fill(sgx, 0);
                for (int j = 0; j < width; j++) {
                    mu[j] = get(mean, mo + c0 + j);
                    inv[j] = get(invstd, io + c0 + j);
                    wc[j] = getOr(w, wo + c0 + j, 1);
                }
                for (int i = 0; i < n; i++) {
                    int g0 = go + i * c + c0, x0 = xo + i * c + c0;
                    for (int j = 0; j < width; j++) {
                        double g = gy[g0 + j];
                        sg[j] += g;
                        sgx[j] += g * (x[x0 + j] - mu[j]);
                    }
                }
                for (int j = 0; j < width; j++) {
                    sgx[j] *= inv[j];
                    if (gw != null) {
                        set(gw, gwo + c0 + j, sgx[j]);
                    }
                    if (gb != null) {
                        set(gb, gbo + c0 + j, sg[j]);
                    }
                    a[j] = wc[j] * sg[j] / n;
                    k[j] = wc[j] * sgx[j] / n;
                }
                for (int i = 0; i < n; i++) {
                    int g0 = go + i * c + c0, x0 = xo + i * c + c0, to = gxo + i * c + c0;
                    for (int j = 0; j < width; j++) {
                        double xhat = (x[x0 + j] - mu[j]) * inv[j];
                        gx[to + j] = (float) (inv[j] * (gy[g0 + j] * wc[j] - a[j] - xhat * k[j]));
                    }
                }
            }
        });
    }
}
