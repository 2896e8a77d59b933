package dev.fathom.cpu;

import dev.fathom.spi.Strided;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.fathom.cpu.FusedOperands.floating;
import static dev.fathom.cpu.FusedOperands.get;
import static dev.fathom.cpu.FusedOperands.off;
import static dev.fathom.cpu.FusedOperands.set;

/**
 * Softmax and log-softmax along one axis, forward and backward, as {@link dev.fathom.spi.Kernels}
 * defines them. The operand is seen as {@code (outer, n, inner)}. When the axis is the last one
 * (inner = 1) an F32 row is read three times while it sits in cache (max, exp and sum, scale)
 * with Vector API loops; F32 sums go in vector blocks of 1024 carried in F64, as in
 * {@link ReduceKernels}. Otherwise (an axis in the middle, or F64) each {@code (n, inner)} tile is
 * walked row by row with one running max and sum per inner position, so the reads stay
 * contiguous. Outer slices are split across the pool; the per-position arrays are made once per
 * task, not per row.
 */
final class SoftmaxKernels {
    private static final int BLOCK = 1024;
    private static final int L = VectorF32.L;

    private SoftmaxKernels() {
    }

    static void forward(Strided xs, int axis, boolean log, Strided os) {
        String op = log ? "logSoftmax" : "softmax";
        CpuBuffer x = floating(op, xs), o = floating(op, os);
        int[] shape = xs.shape();
        int n = shape.length == 0 ? 1 : shape[axis];
        int outer = (int) product(shape, 0, axis), inner = (int) product(shape, axis + 1, shape.length);
        if ((long) outer * n * inner == 0) {
            return;
        }
        int xo = off(xs), oo = off(os), tile = n * inner;
        long grain = Math.max(1, ElementwiseKernels.GRAIN / tile);
        if (inner == 1 && x.f != null) {
            Parallel.forRange(outer, grain, (lo, hi) -> {
                for (int r = (int) lo; r < hi; r++) {
                    forwardRowF32(x.f, xo + r * n, o.f, oo + r * n, n, log);
                }
            });
            return;
        }
        Parallel.forRange(outer, grain, (lo, hi) -> {
            double[] shift = new double[inner], sum = new double[inner];
            for (int r = (int) lo; r < hi; r++) {
                forwardTile(x, xo + r * tile, o, oo + r * tile, n, inner, log, shift, sum);
            }
        });
    }

    static void backward(Strided ys, Strided gys, int axis, boolean log, Strided gxs) {
        String op = log ? "logSoftmaxBackward" : "softmaxBackward";
        CpuBuffer y = floating(op, ys), gy = floating(op, gys), gx = floating(op, gxs);
        int[] shape = ys.shape();
        int n = shape.length == 0 ? 1 : shape[axis];
        int outer = (int) product(shape, 0, axis), inner = (int) product(shape, axis + 1, shape.length);
        if ((long) outer * n * inner == 0) {
            return;
        }
        int yo = off(ys), go = off(gys), xo = off(gxs), tile = n * inner;
        long grain = Math.max(1, ElementwiseKernels.GRAIN / tile);
        if (inner == 1 && y.f != null) {
            Parallel.forRange(outer, grain, (lo, hi) -> {
                for (int r = (int) lo; r < hi; r++) {
                    backwardRowF32(y.f, yo + r * n, gy.f, go + r * n, gx.f, xo + r * n, n, log);
                }
            });
            return;
        }
        Parallel.forRange(outer, grain, (lo, hi) -> {
            double[] sum = new double[inner];
            for (int r = (int) lo; r < hi; r++) {
                backwardTile(y, yo + r * tile, gy, go + r * tile, gx, xo + r * tile, n, inner, log, sum);
            }
        });
    }

    private static long product(int[] shape, int from, int to) {
        long p = 1;
        for (int d = from; d < to; d++) {
            p *= shape[d];
        }
        return p;
    }

    /** The composite's shift: the max, or 0 when it is infinite or NaN (then the row is NaN or all-zero anyway). */
    private static double shiftOf(double max) {
        return Double.isFinite(max) ? max : 0;
    }

    private static void forwardRowF32(float[] x, int xo, float[] o, int oo, int n, boolean log) {
        int i = 0;
        FloatVector mv = FloatVector.broadcast(VectorF32.S, Float.NEGATIVE_INFINITY);
        for (; i <= n - L; i += L) {
            mv = mv.max(FloatVector.fromArray(VectorF32.S, x, xo + i));
        }
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[xo + i]);
        }
        float shift = (float) shiftOf(max);
        double sum = 0;
        i = 0;
        while (i < n) {
            int end = Math.min(n, i + BLOCK);
            FloatVector acc = FloatVector.zero(VectorF32.S);
            for (; i <= end - L; i += L) {
                FloatVector e = ExpF32.exp(FloatVector.fromArray(VectorF32.S, x, xo + i).sub(shift));
                if (!log) {
                    e.intoArray(o, oo + i);
                }
                acc = acc.add(e);
            }
            double block = Lanes.sum(acc);
            for (; i < end; i++) {
                float e = ExpF32.exp(x[xo + i] - shift);
                if (!log) {
                    o[oo + i] = e;
                }
                block += e;
            }
            sum += block;
        }
        i = 0;
        if (log) {
            float lse = (float) Math.log(sum);
            for (; i <= n - L; i += L) {
                FloatVector.fromArray(VectorF32.S, x, xo + i).sub(shift).sub(lse).intoArray(o, oo + i);
            }
            for (; i < n; i++) {
                o[oo + i] = (x[xo + i] - shift) - lse;
            }
        } else {
            float s = (float) sum;
            for (; i <= n - L; i += L) {
                FloatVector.fromArray(VectorF32.S, o, oo + i).div(s).intoArray(o, oo + i);
            }
            for (; i < n; i++) {
                o[oo + i] /= s;
            }
        }
    }

    private static void forwardTile(CpuBuffer x, int xb, CpuBuffer o, int ob, int n, int inner, boolean log, double[] shift, double[] sum) {
        java.util.Arrays.fill(shift, Double.NEGATIVE_INFINITY);
        java.util.Arrays.fill(sum, 0);
        for (int k = 0, at = 0; k < n; k++) {
            for (int i = 0; i < inner; i++, at++) {
                shift[i] = Math.max(shift[i], get(x, xb + at));
            }
        }
        for (int i = 0; i < inner; i++) {
            shift[i] = shiftOf(shift[i]);
        }
        for (int k = 0, at = 0; k < n; k++) {
            for (int i = 0; i < inner; i++, at++) {
                double e = Math.exp(get(x, xb + at) - shift[i]);
                if (!log) {
                    set(o, ob + at, e);
                }
                sum[i] += e;
            }
        }
        for (int i = 0; i < inner; i++) {
            sum[i] = log ? Math.log(sum[i]) : sum[i];
        }
        for (int k = 0, at = 0; k < n; k++) {
            for (int i = 0; i < inner; i++, at++) {
                set(o, ob + at, log ? get(x, xb + at) - shift[i] - sum[i] : get(o, ob + at) / sum[i]);
            }
        }
    }

    /** softmax: gx = y·(gy − Σ gy·y); log-softmax: gx = gy − exp(y)·Σ gy. */
    private static void backwardRowF32(float[] y, int yo, float[] gy, int go, float[] gx, int xo, int n, boolean log) {
        double sum = 0;
        int i = 0;
        while (i < n) {
            int end = Math.min(n, i + BLOCK);
            FloatVector acc = FloatVector.zero(VectorF32.S);
            for (; i <= end - L; i += L) {
                FloatVector g = FloatVector.fromArray(VectorF32.S, gy, go + i);
                acc = log ? acc.add(g) : g.fma(FloatVector.fromArray(VectorF32.S, y, yo + i), acc);
            }
            double block = Lanes.sum(acc);
            for (; i < end; i++) {
                block += log ? gy[go + i] : (double) gy[go + i] * y[yo + i];
            }
            sum += block;
        }
        float s = (float) sum;
        i = 0;
        for (; i <= n - L; i += L) {
            FloatVector yv = FloatVector.fromArray(VectorF32.S, y, yo + i), g = FloatVector.fromArray(VectorF32.S, gy, go + i);
            (log ? g.sub(ExpF32.exp(yv).mul(s)) : yv.mul(g.sub(s))).intoArray(gx, xo + i);
        }
        for (; i < n; i++) {
            gx[xo + i] = log ? gy[go + i] - ExpF32.exp(y[yo + i]) * s : y[yo + i] * (gy[go + i] - s);
        }
    }

    private static void backwardTile(CpuBuffer y, int yb, CpuBuffer gy, int gb, CpuBuffer gx, int xb, int n, int inner, boolean log,
                                     double[] sum) {
        java.util.Arrays.fill(sum, 0);
        for (int k = 0, at = 0; k < n; k++) {
            for (int i = 0; i < inner; i++, at++) {
                sum[i] += log ? get(gy, gb + at) : get(gy, gb + at) * get(y, yb + at);
            }
        }
        for (int k = 0, at = 0; k < n; k++) {
            for (int i = 0; i < inner; i++, at++) {
                double yv = get(y, yb + at), g = get(gy, gb + at);
                set(gx, xb + at, log ? g - Math.exp(yv) * sum[i] : yv * (g - sum[i]));
            }
        }
    }
}
