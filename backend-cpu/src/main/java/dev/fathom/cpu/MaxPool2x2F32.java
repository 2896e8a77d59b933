package dev.fathom.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Max pooling with a 2×2 window and stride 2, no padding or dilation (the CNNs' pooling), on F32
 * planes: one row of L outputs at a time. The scalar walk picks the winner with a data-dependent
 * branch per element, which on activations mispredicts about half the time (20 ns per output,
 * against 2 ns for the maxima alone); here the four candidates of L windows are compared lane by
 * lane. Same rule as {@link PoolKernels}: candidates in window order (row 0 left, right, row 1
 * left, right), a strictly greater one replaces the best (the first of ties stays), a NaN always
 * replaces it (so the last NaN wins).
 */
final class MaxPool2x2F32 {
    private static final VectorSpecies<Float> S = VectorF32.S;
    private static final int L = VectorF32.L;
    /** Even and odd lanes of two consecutive vectors (indices ≥ L pick from the second). */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);
    private static final FloatVector TWICE_IOTA = FloatVector.zero(S).addIndex(2);
    /** Plane offsets travel as floats (exact below 2^24) so that one mask serves values and offsets. */
    static final int MAX_PLANE = 1 << 24;

    private MaxPool2x2F32() {
    }

    /**
     * Output row i of one plane: x's plane at {@code xb} (w wide, w ≥ 2·ow), values into y at
     * {@code yo} and plane-relative indices into idx at {@code io} (the row's first output);
     * {@code at} is L floats of scratch; the plane must hold fewer than {@link #MAX_PLANE} elements.
     * The last, partial vector of a row stores masked (CNN planes are narrow: 14 and 7 outputs a row).
     */
    static void row(float[] x, int xb, int w, int i, int ow, float[] y, int yo, long[] idx, int io, float[] at) {
        int top = xb + 2 * i * w;
        int j = 0;
        for (; j <= ow - L; j += L) {
            int e = top + 2 * j;
            FloatVector a0 = FloatVector.fromArray(S, x, e), a1 = FloatVector.fromArray(S, x, e + L);
            FloatVector b0 = FloatVector.fromArray(S, x, e + w), b1 = FloatVector.fromArray(S, x, e + w + L);
            windows(a0, a1, b0, b1, e - xb, w, y, yo + j, at, S.maskAll(true));
            for (int l = 0; l < L; l++) {
                idx[io + j + l] = (long) at[l];
            }
        }
        if (j < ow) {
            // Lanes past the row's end read whatever follows (lanes are independent, and those are
            // not stored); only at the end of the array must the loads be masked.
            int e = top + 2 * j;
            boolean inside = e + w + 2 * L <= x.length;
            FloatVector a0 = load(x, e, inside), a1 = load(x, e + L, inside);
            FloatVector b0 = load(x, e + w, inside), b1 = load(x, e + w + L, inside);
            windows(a0, a1, b0, b1, e - xb, w, y, yo + j, at, S.indexInRange(j, ow));
            for (int l = 0; l < ow - j; l++) {
                idx[io + j + l] = (long) at[l];
            }
        }
    }

    private static FloatVector load(float[] x, int at, boolean inside) {
        return inside ? FloatVector.fromArray(S, x, at) : FloatVector.fromArray(S, x, at, S.indexInRange(at, x.length));
    }

    /**
     * The winners of L windows whose top-left inputs are 2 apart from plane offset {@code e}, given
     * the two input rows as pairs of vectors: values into y at {@code yo} (lanes in {@code store}),
     * plane offsets into {@code at}.
     */
    private static void windows(FloatVector a0, FloatVector a1, FloatVector b0, FloatVector b1, int e, int w,
                                float[] y, int yo, float[] at, VectorMask<Float> store) {
        FloatVector first = TWICE_IOTA.add(e);
        FloatVector best = a0.rearrange(EVEN, a1);
        FloatVector where = first;
        FloatVector c = a0.rearrange(ODD, a1);
        VectorMask<Float> take = c.compare(VectorOperators.GT, best).or(c.compare(VectorOperators.NE, c));
        best = best.blend(c, take);
        where = where.blend(first.add(1), take);
        c = b0.rearrange(EVEN, b1);
        take = c.compare(VectorOperators.GT, best).or(c.compare(VectorOperators.NE, c));
        best = best.blend(c, take);
        where = where.blend(first.add(w), take);
        c = b0.rearrange(ODD, b1);
        take = c.compare(VectorOperators.GT, best).or(c.compare(VectorOperators.NE, c));
        best = best.blend(c, take);
        where = where.blend(first.add(w + 1), take);
        best.intoArray(y, yo, store);
        where.intoArray(at, 0);
    }
}
