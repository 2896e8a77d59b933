package dev.fathom.cpu;

import dev.fathom.spi.Pool2dGeometry;
import dev.fathom.spi.Strided;

import java.util.Arrays;

/**
 * Max and average pooling, F32 and F64: one pass per (n, c) plane, planes in parallel. Values are
 * read and accumulated as double (exact for F32 maxima), except in the F32 max-pool forward, which
 * compares floats directly (the same result, without a conversion per element). Operands contiguous, NCHW, as
 * {@link dev.fathom.spi.Kernels} documents; outputs are overwritten.
 */
final class PoolKernels {
    private PoolKernels() {
    }

    static void maxForward(Pool2dGeometry g, Strided xs, Strided ys, Strided is) {
        CpuBuffer x = buf(xs), y = buf(ys);
        long[] idx = CpuBuffer.of(is.buffer()).l;
        int xo = off(xs), yo = off(ys), io = off(is);
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        if (x.f != null) {
            maxForwardF32(g, x.f, xo, y.f, yo, idx, io);
            return;
        }
        Parallel.forRange((long) g.n() * g.c(), grain(g), (lo, hi) -> {
            for (int pl = (int) lo; pl < hi; pl++) {
                int xb = xo + pl * h * w, ob = pl * oh * ow;
                for (int i = 0; i < oh; i++) {
                    int hs = i * g.strideH() - g.padH();
                    for (int j = 0; j < ow; j++) {
                        int ws = j * g.strideW() - g.padW();
                        double best = Double.NEGATIVE_INFINITY;
                        int at = -1;
                        for (int p = 0; p < g.kh(); p++) {
                            int ih = hs + p * g.dilH();
                            if (ih < 0 || ih >= h) {
                                continue;
                            }
                            for (int q = 0; q < g.kw(); q++) {
                                int iw = ws + q * g.dilW();
                                if (iw < 0 || iw >= w) {
                                    continue;
                                }
                                double v = get(x, xb + ih * w + iw);
                                // Strictly greater keeps the first of ties; a NaN wins, as in PyTorch.
                                if (at < 0 || v > best || Double.isNaN(v)) {
                                    best = v;
                                    at = ih * w + iw;
                                }
                            }
                        }
                        set(y, yo + ob + i * ow + j, best);
                        idx[io + ob + i * ow + j] = at;
                    }
                }
            }
        });
    }

    /**
     * {@link #maxForward} on float arrays: the same window walk and tie rule, without the per-element
     * dtype dispatch and double conversion (which made max-pooling a fifth of a CNN step). A 2×2
     * window with stride 2 runs {@link MaxPool2x2F32} along each output row first.
     */
    private static void maxForwardF32(Pool2dGeometry g, float[] x, int xo, float[] y, int yo, long[] idx, int io) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW(), dh = g.dilH(), dw = g.dilW();
        // Whole 2×2 windows only: in ceil mode an odd plane's last window holds one row or column.
        boolean pairs = kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1
                && 2 * oh <= h && 2 * ow <= w && h * w < MaxPool2x2F32.MAX_PLANE;
        Parallel.forRange((long) g.n() * g.c(), grain(g), (lo, hi) -> {
            float[] at0 = new float[VectorF32.L];
            for (int pl = (int) lo; pl < hi; pl++) {
                int xb = xo + pl * h * w, ob = pl * oh * ow;
                for (int i = 0; i < oh; i++) {
                    int hs = i * sh - ph;
                    if (pairs) {
                        MaxPool2x2F32.row(x, xb, w, i, ow, y, yo + ob + i * ow, idx, io + ob + i * ow, at0);
                        continue;
                    }
                    for (int j = 0; j < ow; j++) {
                        int ws = j * sw - pw;
                        float best = Float.NEGATIVE_INFINITY;
                        int at = -1;
                        for (int p = 0; p < kh; p++) {
                            int ih = hs + p * dh;
                            if (ih < 0 || ih >= h) {
                                continue;
                            }
                            for (int q = 0; q < kw; q++) {
                                int iw = ws + q * dw;
                                if (iw < 0 || iw >= w) {
                                    continue;
                                }
                                float v = x[xb + ih * w + iw];
                                // Strictly greater keeps the first of ties; a NaN (v != v) wins, as in PyTorch.
                                if (at < 0 || v > best || v != v) {
                                    best = v;
                                    at = ih * w + iw;
                                }
                            }
                        }
                        y[yo + ob + i * ow + j] = best;
                        idx[io + ob + i * ow + j] = at;
                    }
                }
            }
        });
    }

    static void maxBackward(Pool2dGeometry g, Strided gys, Strided is, Strided gxs) {
        CpuBuffer gy = buf(gys), gx = buf(gxs);
        long[] idx = CpuBuffer.of(is.buffer()).l;
        int gyo = off(gys), gxo = off(gxs), io = off(is);
        int plane = g.h() * g.w(), out = g.outH() * g.outW();
        Parallel.forRange((long) g.n() * g.c(), grain(g), (lo, hi) -> {
            for (int pl = (int) lo; pl < hi; pl++) {
                int xb = gxo + pl * plane, ob = pl * out;
                zero(gx, xb, plane);
                for (int e = 0; e < out; e++) {
                    int at = xb + (int) idx[io + ob + e];
                    set(gx, at, get(gx, at) + get(gy, gyo + ob + e));
                }
            }
        });
    }

    static void avgForward(Pool2dGeometry g, boolean countIncludePad, Strided xs, Strided ys) {
        CpuBuffer x = buf(xs), y = buf(ys);
        int xo = off(xs), yo = off(ys);
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        Parallel.forRange((long) g.n() * g.c(), grain(g), (lo, hi) -> {
            for (int pl = (int) lo; pl < hi; pl++) {
                int xb = xo + pl * h * w, ob = yo + pl * oh * ow;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        Window win = window(g, i, j, countIncludePad);
                        double s = 0;
                        for (int ih = win.h0; ih < win.h1; ih++) {
                            for (int iw = win.w0; iw < win.w1; iw++) {
                                s += get(x, xb + ih * w + iw);
                            }
                        }
                        set(y, ob + i * ow + j, s / win.divisor);
                    }
                }
            }
        });
    }

    static void avgBackward(Pool2dGeometry g, boolean countIncludePad, Strided gys, Strided gxs) {
        CpuBuffer gy = buf(gys), gx = buf(gxs);
        int gyo = off(gys), gxo = off(gxs);
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        Parallel.forRange((long) g.n() * g.c(), grain(g), (lo, hi) -> {
            for (int pl = (int) lo; pl < hi; pl++) {
                int xb = gxo + pl * h * w, ob = gyo + pl * oh * ow;
                zero(gx, xb, h * w);
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        Window win = window(g, i, j, countIncludePad);
                        double d = get(gy, ob + i * ow + j) / win.divisor;
                        for (int ih = win.h0; ih < win.h1; ih++) {
                            for (int iw = win.w0; iw < win.w1; iw++) {
                                set(gx, xb + ih * w + iw, get(gx, xb + ih * w + iw) + d);
                            }
                        }
                    }
                }
            }
        });
    }

    /** The real rows [h0, h1) and columns [w0, w1) of output (i, j)'s window, and its divisor (PyTorch's rule). */
    private record Window(int h0, int h1, int w0, int w1, int divisor) {
    }

    private static Window window(Pool2dGeometry g, int i, int j, boolean countIncludePad) {
        int hs = i * g.strideH() - g.padH(), ws = j * g.strideW() - g.padW();
        int he = Math.min(hs + g.kh(), g.h() + g.padH()), we = Math.min(ws + g.kw(), g.w() + g.padW());
        int padded = (he - hs) * (we - ws);
        int h0 = Math.max(hs, 0), w0 = Math.max(ws, 0), h1 = Math.min(he, g.h()), w1 = Math.min(we, g.w());
        return new Window(h0, h1, w0, w1, countIncludePad ? padded : (h1 - h0) * (w1 - w0));
    }

    private static long grain(Pool2dGeometry g) {
        long perPlane = (long) g.outH() * g.outW() * g.kh() * g.kw() + (long) g.h() * g.w();
        return Math.max(1, (1L << 16) / Math.max(1, perPlane));
    }

    private static CpuBuffer buf(Strided s) {
        CpuBuffer b = CpuBuffer.of(s.buffer());
        if (b.f == null && b.d == null) {
            throw new IllegalArgumentException("cpu: pooling is not defined for " + b.dtype);
        }
        return b;
    }

    private static int off(Strided s) {
        return (int) s.offset();
    }

    private static double get(CpuBuffer b, int i) {
        return b.f != null ? b.f[i] : b.d[i];
    }

    private static void set(CpuBuffer b, int i, double v) {
        if (b.f != null) {
            b.f[i] = (float) v;
        } else {
            b.d[i] = v;
        }
    }

    private static void zero(CpuBuffer b, int from, int count) {
        if (b.f != null) {
            Arrays.fill(b.f, from, from + count, 0f);
        } else {
            Arrays.fill(b.d, from, from + count, 0.0);
        }
    }
}
