package dev.fathom.cpu;

import dev.fathom.spi.Strided;
import jdk.incubator.vector.FloatVector;

import static dev.fathom.cpu.FusedOperands.floating;
import static dev.fathom.cpu.FusedOperands.get;
import static dev.fathom.cpu.FusedOperands.getOr;
import static dev.fathom.cpu.FusedOperands.off;
import static dev.fathom.cpu.FusedOperands.optional;
import static dev.fathom.cpu.FusedOperands.set;

/**
 * Layer normalization (Ba, Kiros and Hinton 2016) over rows of n elements, forward then backward,
 * as {@link dev.fathom.spi.Kernels#layerNorm} defines it. Each row is read while it is in cache:
 * the mean, the centered sum of squares (two passes, not E[x²] − E[x]², which cancels), then the
 * output; F32 rows use Vector API loops and sums carried in F64 ({@link RowSums}). Rows are split
 * across the pool. The weight and bias gradients are column sums over rows, computed in a pass of
 * their own over column blocks (so that no thread shares an accumulator) before gradX, which may
 * alias gradOut.
 */
final class LayerNormKernels {
    /** Rows per F32 partial of {@link #parameterGradsF32}. */
    private static final int BLOCK_ROWS = 256;
    private static final int L = VectorF32.L;

    private LayerNormKernels() {
    }

    static void forward(Strided xs, long normalized, Strided ws, Strided bs, double eps, Strided os, Strided ms, Strided rs) {
        String op = "layerNorm";
        CpuBuffer x = floating(op, xs), o = floating(op, os), mean = floating(op, ms), rstd = floating(op, rs);
        CpuBuffer w = optional(op, ws), b = optional(op, bs);
        int n = (int) normalized;
        long rows = n == 0 ? 0 : xs.numel() / n;
        int xo = off(xs), oo = off(os), mo = off(ms), ro = off(rs), wo = off(ws), bo = off(bs);
        Parallel.forRange(rows, Math.max(1, ElementwiseKernels.GRAIN / Math.max(1, n)), (lo, hi) -> {
            for (int r = (int) lo; r < hi; r++) {
                double m;
                double rs2;
                if (x.f != null) {
                    float[] xf = x.f;
                    int at = xo + r * n;
                    m = RowSums.sum(xf, at, n) / n;
                    float mf = (float) m;
                    double dm = m - mf;
                    double var = Math.max(RowSums.centeredSquares(xf, at, n, mf) / n - dm * dm, 0);
                    rs2 = 1 / Math.sqrt(var + eps);
                    writeRowF32(xf, at, mf, (float) rs2, w == null ? null : w.f, wo, b == null ? null : b.f, bo, o.f, oo + r * n, n);
                } else {
                    int at = xo + r * n;
                    double s = 0;
                    for (int j = 0; j < n; j++) {
                        s += get(x, at + j);
                    }
                    m = s / n;
                    double ss = 0;
                    for (int j = 0; j < n; j++) {
                        double d = get(x, at + j) - m;
                        ss += d * d;
                    }
                    rs2 = 1 / Math.sqrt(ss / n + eps);
                    for (int j = 0; j < n; j++) {
                        set(o, oo + r * n + j, (get(x, at + j) - m) * rs2 * getOr(w, wo + j, 1) + getOr(b, bo + j, 0));
                    }
                }
                set(mean, mo + r, m);
                set(rstd, ro + r, rs2);
            }
        });
    }

    /** out = (x − m)·r·w + b, in the composite's order of operations. */
    private static void writeRowF32(float[] x, int xo, float m, float r, float[] w, int wo, float[] b, int bo, float[] o, int oo, int n) {
        int j = 0;
        for (; j <= n - L; j += L) {
            FloatVector v = FloatVector.fromArray(VectorF32.S, x, xo + j).sub(m).mul(r);
            if (w != null) {
                v = v.mul(FloatVector.fromArray(VectorF32.S, w, wo + j));
            }
            if (b != null) {
                v = v.add(FloatVector.fromArray(VectorF32.S, b, bo + j));
            }
            v.intoArray(o, oo + j);
        }
        for (; j < n; j++) {
            float v = (x[xo + j] - m) * r;
            if (w != null) {
                v *= w[wo + j];
            }
            if (b != null) {
                v += b[bo + j];
            }
            o[oo + j] = v;
        }
    }

    static void backward(Strided gys, Strided xs, Strided ms, Strided rs, Strided ws, Strided gxs, Strided gws, Strided gbs) {
        String op = "layerNormBackward";
        CpuBuffer gy = floating(op, gys), x = floating(op, xs), mean = floating(op, ms), rstd = floating(op, rs);
        CpuBuffer w = optional(op, ws), gx = floating(op, gxs), gw = optional(op, gws), gb = optional(op, gbs);
        // The row length is not an argument: rows = mean's numel, n = x's numel / rows.
        long rows = ms.numel();
        if (rows == 0 || xs.numel() == 0) {
            zeroColumns(gw, off(gws), gws);
            zeroColumns(gb, off(gbs), gbs);
            return;
        }
        int cols = (int) (xs.numel() / rows);
        int go = off(gys), xo = off(xs), mo = off(ms), ro = off(rs), wo = off(ws), gxo = off(gxs);
        // The parameter gradients first: gradX may alias gradOut (an in-place backward), and they re-read it.
        if ((gw != null || gb != null) && x.f != null) {
            parameterGradsF32(gy.f, go, x.f, xo, mean.f, mo, rstd.f, ro, (int) rows, cols, gw, off(gws), gb, off(gbs));
        } else if (gw != null || gb != null) {
            int gwo = off(gws), gbo = off(gbs);
            Parallel.forRange(cols, Math.max(1, ElementwiseKernels.GRAIN / rows), (lo, hi) -> {
                int width = (int) (hi - lo);
                double[] sw = new double[width], sb = new double[width];
                for (int r = 0; r < rows; r++) {
                    double m = get(mean, mo + r), rv = get(rstd, ro + r);
                    int at = r * cols + (int) lo;
                    for (int j = 0; j < width; j++) {
                        double g = get(gy, go + at + j);
                        sw[j] += g * (get(x, xo + at + j) - m) * rv;
                        sb[j] += g;
                    }
                }
                for (int j = 0; j < width; j++) {
                    if (gw != null) {
                        set(gw, gwo + (int) lo + j, sw[j]);
                    }
                    if (gb != null) {
                        set(gb, gbo + (int) lo + j, sb[j]);
                    }
                }
            });
        }
        Parallel.forRange(rows, Math.max(1, ElementwiseKernels.GRAIN / cols), (lo, hi) -> {
            for (int r = (int) lo; r < hi; r++) {
                int at = r * cols;
                if (x.f != null) {
                    backwardRowF32(gy.f, go + at, x.f, xo + at, mean.f[mo + r], rstd.f[ro + r], w == null ? null : w.f, wo, gx.f, gxo + at, cols);
                } else {
                    double m = get(mean, mo + r), rv = get(rstd, ro + r), sg = 0, sgx = 0;
                    for (int j = 0; j < cols; j++) {
                        double g = get(gy, go + at + j) * getOr(w, wo + j, 1), xhat = (get(x, xo + at + j) - m) * rv;
                        sg += g;
                        sgx += g * xhat;
                    }
                    double a = sg / cols, c = sgx / cols;
                    for (int j = 0; j < cols; j++) {
                        double g = get(gy, go + at + j) * getOr(w, wo + j, 1), xhat = (get(x, xo + at + j) - m) * rv;
                        set(gx, gxo + at + j, rv * (g - a - xhat * c));
                    }
                }
            }
        });
    }

    private static void zeroColumns(CpuBuffer b, int from, Strided s) {
        if (b != null) {
            for (int j = 0; j < s.numel(); j++) {
                set(b, from + j, 0);
            }
        }
    }

    /**
     * The F32 weight and bias gradients, {@code gw[j] = Σ_r gy·xhat}, {@code gb[j] = Σ_r gy}: each
     * block of {@link #BLOCK_ROWS} rows sums whole rows as vectors into F32 partials, and the
     * blocks' partials are added in F64 in block order, so the result does not depend on the
     * threads. Column by column in double through the generic accessors, split over columns (each
     * part reading a 64-byte sliver of every row), a GPT block's [4096, 128] backward took 1.02 ms
     * on two threads, more than on one (0.66 ms); now 0.42 and 0.56 ms.
     */
    private static void parameterGradsF32(float[] gy, int go, float[] x, int xo, float[] mean, int mo, float[] rstd, int ro,
                                          int rows, int cols, CpuBuffer gw, int gwo, CpuBuffer gb, int gbo) {
        int blocks = (rows + BLOCK_ROWS - 1) / BLOCK_ROWS;
        float[][] pw = new float[blocks][], pb = new float[blocks][];
        Parallel.forRange(blocks, Math.max(1, ElementwiseKernels.GRAIN / ((long) BLOCK_ROWS * cols)), (lo, hi) -> {
            for (int b = (int) lo; b < hi; b++) {
                float[] sw = new float[cols], sb = new float[cols];
                for (int r = b * BLOCK_ROWS, end = Math.min(rows, r + BLOCK_ROWS); r < end; r++) {
                    float m = mean[mo + r], rv = rstd[ro + r];
                    int g0 = go + r * cols, x0 = xo + r * cols, j = 0;
                    for (; j <= cols - L; j += L) {
                        FloatVector g = FloatVector.fromArray(VectorF32.S, gy, g0 + j);
                        FloatVector xhat = FloatVector.fromArray(VectorF32.S, x, x0 + j).sub(m).mul(rv);
                        g.fma(xhat, FloatVector.fromArray(VectorF32.S, sw, j)).intoArray(sw, j);
                        g.add(FloatVector.fromArray(VectorF32.S, sb, j)).intoArray(sb, j);
                    }
                    for (; j < cols; j++) {
                        float g = gy[g0 + j];
                        sw[j] += g * ((x[x0 + j] - m) * rv);
                        sb[j] += g;
                    }
                }
                pw[b] = sw;
                pb[b] = sb;
            }
        });
        for (int j = 0; j < cols; j++) {
            double tw = 0, tb = 0;
            for (int b = 0; b < blocks; b++) {
                tw += pw[b][j];
                tb += pb[b][j];
            }
            if (gw != null) {
                set(gw, gwo + j, tw);
            }
            if (gb != null) {
                set(gb, gbo + j, tb);
            }
        }
    }

    /** One row of gx = r·(g − mean(g) − xhat·mean(g·xhat)) with g = gy·w, sums carried in F64. */
    private static void backwardRowF32(float[] gy, int go, float[] x, int xo, float m, float r, float[] w, int wo, float[] gx, int gxo, int n) {
        double sg = 0, sgx = 0;
        int j = 0;
        while (j < n) {
            int end = Math.min(n, j + 1024);
            FloatVector ag = FloatVector.zero(VectorF32.S), agx = ag;
            for (; j <= end - L; j += L) {
                FloatVector g = FloatVector.fromArray(VectorF32.S, gy, go + j);
                if (w != null) {
                    g = g.mul(FloatVector.fromArray(VectorF32.S, w, wo + j));
                }
                FloatVector xhat = FloatVector.fromArray(VectorF32.S, x, xo + j).sub(m).mul(r);
                ag = ag.add(g);
                agx = g.fma(xhat, agx);
            }
            double bg = Lanes.sum(ag), bgx = Lanes.sum(agx);
            for (; j < end; j++) {
                float g = w == null ? gy[go + j] : gy[go + j] * w[wo + j];
                float xhat = (x[xo + j] - m) * r;
                bg += g;
                bgx += (double) g * xhat;
            }
            sg += bg;
            sgx += bgx;
        }
        float a = (float) (sg / n), c = (float) (sgx / n);
        j = 0;
        for (; j <= n - L; j += L) {
            FloatVector g = FloatVector.fromArray(VectorF32.S, gy, go + j);
            if (w != null) {
                g = g.mul(FloatVector.fromArray(VectorF32.S, w, wo + j));
            }
            FloatVector xhat = FloatVector.fromArray(VectorF32.S, x, xo + j).sub(m).mul(r);
            g.sub(a).sub(xhat.mul(c)).mul(r).intoArray(gx, gxo + j);
        }
        for (; j < n; j++) {
            float g = w == null ? gy[go + j] : gy[go + j] * w[wo + j];
            float xhat = (x[xo + j] - m) * r;
            gx[gxo + j] = r * (g - a - xhat * c);
        }
    }
}
