package dev.fathom.cpu;

import dev.fathom.spi.BinaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector API loops between F32 rows and boolean rows: comparisons into a mask row, and
 * {@code where} out of one; and ReLU's gradient, which selects by a comparison in the same pass. The scalar loops branch on data (ReLU's {@code x > 0} is a coin flip
 * per element, so about half the branches mispredict); these select by lane. Same contract as
 * {@link VectorF32#binary}: a and o contiguous, b contiguous or one repeated value.
 */
final class MaskF32 {
    private static final jdk.incubator.vector.VectorSpecies<Float> S = VectorF32.S;
    private static final int L = VectorF32.L;

    private MaskF32() {
    }

    /**
     * {@code o = a op b} for the ordered comparisons (false where either is NaN, in Java and in the
     * vector compare alike); returns false for the others ({@code NE} is true at NaN: left scalar).
     * Each has its own loop: with the operator passed in, C2 did not inline the loop into each
     * case, the operator was not a constant, and the compare ran 2–4× slower than scalar code.
     */
    static boolean compare(BinaryOp op, float[] a, int ao, float[] b, int bo, int bStride, boolean[] o, int oo, int n) {
        int i = switch (op) {
            case GT -> gt(a, ao, b, bo, bStride, o, oo, n);
            case GE -> ge(a, ao, b, bo, bStride, o, oo, n);
            case LT -> lt(a, ao, b, bo, bStride, o, oo, n);
            case LE -> le(a, ao, b, bo, bStride, o, oo, n);
            case EQ -> eq(a, ao, b, bo, bStride, o, oo, n);
            default -> -1;
        };
        if (i < 0) {
            return false;
        }
        for (; i < n; i++) {
            o[oo + i] = ScalarMath.compare(op, a[ao + i], b[bo + i * bStride]);
        }
        return true;
    }

    // Each returns how far it got; compare finishes the tail.
    private static int gt(float[] a, int ao, float[] b, int bo, int bStride, boolean[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.GT, operand(b, bo, bStride, i)).intoArray(o, oo + i);
        }
        return i;
    }

    private static int ge(float[] a, int ao, float[] b, int bo, int bStride, boolean[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.GE, operand(b, bo, bStride, i)).intoArray(o, oo + i);
        }
        return i;
    }

    private static int lt(float[] a, int ao, float[] b, int bo, int bStride, boolean[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.LT, operand(b, bo, bStride, i)).intoArray(o, oo + i);
        }
        return i;
    }

    private static int le(float[] a, int ao, float[] b, int bo, int bStride, boolean[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.LE, operand(b, bo, bStride, i)).intoArray(o, oo + i);
        }
        return i;
    }

    private static int eq(float[] a, int ao, float[] b, int bo, int bStride, boolean[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.EQ, operand(b, bo, bStride, i)).intoArray(o, oo + i);
        }
        return i;
    }

    /** Lanes i.. of a row that is contiguous ({@code stride 1}) or one repeated value ({@code stride 0}). */
    private static FloatVector operand(float[] v, int off, int stride, int i) {
        return stride == 0 ? FloatVector.broadcast(S, v[off]) : FloatVector.fromArray(S, v, off + i);
    }

    /**
     * {@code o = c ? a : b}; c and o contiguous, a and b each contiguous ({@code stride 1}) or one
     * repeated value ({@code stride 0}).
     */
    static void where(boolean[] c, int co, float[] a, int ao, int aStride, float[] b, int bo, int bStride, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            VectorMask<Float> m = VectorMask.fromArray(S, c, co + i);
            operand(b, bo, bStride, i).blend(operand(a, ao, aStride, i), m).intoArray(o, oo + i);
        }
        for (; i < n; i++) {
            o[oo + i] = c[co + i] ? a[ao + i * aStride] : b[bo + i * bStride];
        }
    }

    /**
     * ReLU's gradient, {@code o = x > 0 ? g : 0} (0 where x is NaN), on contiguous rows: one pass
     * for what {@code where(x > 0, g, 0)} did in two, with a boolean row between them.
     */
    static void reluGrad(float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - L; i += L) {
            VectorMask<Float> m = FloatVector.fromArray(S, x, xo + i).compare(VectorOperators.GT, 0f);
            zero.blend(FloatVector.fromArray(S, g, go + i), m).intoArray(o, oo + i);
        }
        for (; i < n; i++) {
            o[oo + i] = x[xo + i] > 0 ? g[go + i] : 0f;
        }
    }
}
