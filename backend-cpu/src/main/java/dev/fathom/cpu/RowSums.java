package dev.fathom.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Accurate sums over contiguous F32 runs for the normalization kernels: vector partial sums in
 * blocks of 1024 elements, each block carried in F64 (as {@link ReduceKernels#sumF32}), so a long
 * row loses no more than a pairwise sum would.
 */
final class RowSums {
    private static final int BLOCK = 1024;
    private static final int L = VectorF32.L;

    private RowSums() {
    }

    /** {@code Σ a[from..from+n)}. */
    static double sum(float[] a, int from, int n) {
        return n < L ? scalarSum(a, from, n) : ReduceKernels.sumF32(a, from, n);
    }

    private static double scalarSum(float[] a, int from, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += a[from + i];
        }
        return s;
    }

    /** {@code Σ (a[i] − c)²} over the run. */
    static double centeredSquares(float[] a, int from, int n, float c) {
        double total = 0;
        int i = 0;
        while (i < n) {
            int end = Math.min(n, i + BLOCK);
            FloatVector acc = FloatVector.zero(VectorF32.S);
            for (; i <= end - L; i += L) {
                FloatVector d = FloatVector.fromArray(VectorF32.S, a, from + i).sub(c);
                acc = d.fma(d, acc);
            }
            double block = Lanes.sum(acc);
            for (; i < end; i++) {
                double d = a[from + i] - c;
                block += d * d;
            }
            total += block;
        }
        return total;
    }

    /** Adds {@code Σ g[i]} to {@code acc[0]} and {@code Σ g[i]·(a[i] − c)} to {@code acc[1]} over the run. */
    static void sumAndCenteredDot(float[] g, int go, float[] a, int ao, int n, float c, double[] acc) {
        int i = 0;
        while (i < n) {
            int end = Math.min(n, i + BLOCK);
            FloatVector sg = FloatVector.zero(VectorF32.S), sd = sg;
            for (; i <= end - L; i += L) {
                FloatVector gv = FloatVector.fromArray(VectorF32.S, g, go + i);
                sg = sg.add(gv);
                sd = gv.fma(FloatVector.fromArray(VectorF32.S, a, ao + i).sub(c), sd);
            }
            double bg = Lanes.sum(sg), bd = Lanes.sum(sd);
            for (; i < end; i++) {
                bg += g[go + i];
                bd += (double) g[go + i] * (a[ao + i] - c);
            }
            acc[0] += bg;
            acc[1] += bd;
        }
    }
}
