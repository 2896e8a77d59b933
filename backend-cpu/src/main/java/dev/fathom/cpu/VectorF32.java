package dev.fathom.cpu;

import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API loops for contiguous F32 rows: each op's loop is written with its operator as a
 * constant, so that C2 turns it into SIMD instructions (an operator passed as a variable would
 * fall back to scalar code). Tails run the scalar formula of {@link ScalarMath}, or for exp, tanh,
 * sigmoid and silu the scalar twin of {@link ExpF32}'s vector routine. No JDK vector transcendental
 * ({@code lanewise(EXP)} and the like) is used: C2 and the interpreter give them different bits.
 */
final class VectorF32 {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Lane indices 0, 1, …, L − 1. */
    private static final FloatVector LANE_INDEX = FloatVector.zero(S).addIndex(1);

    private VectorF32() {
    }

    /**
     * The first n lanes (n from 0 to L), for the last vector of a run: a comparison with the lane
     * indices, as {@code S.indexInRange} was not intrinsified (6% of a GEMM whose B had a partial panel).
     */
    static VectorMask<Float> firstLanes(int n) {
        return LANE_INDEX.compare(VectorOperators.LT, n);
    }

    /**
     * {@code dst[d..d+n) = src[s..s+n)} for short runs that do not overlap (a convolution's rows of
     * 7 to 28 outputs, a panel's 24 columns): whole vectors, the last one ending at n and
     * overlapping the one before it, so there is no scalar tail. For runs this short,
     * {@code System.arraycopy}'s call costs about as much as the copy (+6–9% on the CNN's conv2
     * forward with both of Im2colPanels' copies done here).
     */
    static void copyShort(float[] src, int s, float[] dst, int d, int n) {
        if (n < L) {
            for (int i = 0; i < n; i++) {
                dst[d + i] = src[s + i];
            }
            return;
        }
        for (int i = 0; i < n - L; i += L) {
            FloatVector.fromArray(S, src, s + i).intoArray(dst, d + i);
        }
        FloatVector.fromArray(S, src, s + n - L).intoArray(dst, d + n - L);
    }

    /**
     * {@link #copyShort}, where the floats after the run in dst are scratch that later writes
     * replace: a run shorter than a vector is copied as one whole vector when src and dst have
     * room for it, which may write up to L − n floats past {@code d + n}. (The DCGAN's 7-wide
     * outputs made every im2col run a 7-float scalar loop.)
     */
    static void copyRun(float[] src, int s, float[] dst, int d, int n) {
        if (n < L && s + L <= src.length && d + L <= dst.length) {
            FloatVector.fromArray(S, src, s).intoArray(dst, d);
            return;
        }
        copyShort(src, s, dst, d, n);
    }

    /** {@code o[oo..oo+n) = op(x[xo..xo+n))}; returns false when op has no vector form here. */
    static boolean unary(UnaryOp op, float[] x, int xo, float[] o, int oo, int n) {
        switch (op) {
            case NEG -> neg(x, xo, o, oo, n);
            case ABS -> abs(x, xo, o, oo, n);
            case SQRT -> sqrt(x, xo, o, oo, n);
            case EXP -> exp(x, xo, o, oo, n);
            case TANH -> tanh(x, xo, o, oo, n);
            case LOG, SIN, COS -> tail(op, x, xo, o, oo, 0, n); // scalar Math: the same stubs in every JIT tier
            case GELU -> Erf32.geluRow(x, xo, o, oo, n);
            case ERF -> Erf32.erfRow(x, xo, o, oo, n);
            case RELU -> {
                int i = 0;
                for (; i <= n - L; i += L) {
                    FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.MAX, 0f).intoArray(o, oo + i);
                }
                tail(op, x, xo, o, oo, i, n);
            }
            case SIGMOID -> sigmoid(x, xo, o, oo, n);
            case SILU -> silu(x, xo, o, oo, n);
            case RSQRT -> {
                int i = 0;
                FloatVector one = FloatVector.broadcast(S, 1f);
                for (; i <= n - L; i += L) {
                    one.div(FloatVector.fromArray(S, x, xo + i).sqrt()).intoArray(o, oo + i);
                }
                tail(op, x, xo, o, oo, i, n);
            }
            case RECIPROCAL -> {
                int i = 0;
                FloatVector one = FloatVector.broadcast(S, 1f);
                for (; i <= n - L; i += L) {
                    one.div(FloatVector.fromArray(S, x, xo + i)).intoArray(o, oo + i);
                }
                tail(op, x, xo, o, oo, i, n);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    // Each transcendental loop is its own method: written inline in the switch above, tanh and
    // sigmoid ran 3-4x slower (measured), C2 leaving ExpF32.exp out of line ("callee is too large")
    // so that its vectors were boxed.
    private static void exp(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            ExpF32.exp(FloatVector.fromArray(S, x, xo + i)).intoArray(o, oo + i);
        }
        for (; i < n; i++) {
            o[oo + i] = ExpF32.exp(x[xo + i]);
        }
    }

    private static void tanh(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            ExpF32.tanh(FloatVector.fromArray(S, x, xo + i)).intoArray(o, oo + i);
        }
        for (; i < n; i++) {
            o[oo + i] = ExpF32.tanh(x[xo + i]);
        }
    }

    private static void sigmoid(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i <= n - L; i += L) {
            FloatVector e = ExpF32.exp(FloatVector.fromArray(S, x, xo + i).neg());
            one.div(e.add(1f)).intoArray(o, oo + i); // as ExpF32.sigmoid, with exp inlined into the loop
        }
        for (; i < n; i++) {
            o[oo + i] = ExpF32.sigmoid(x[xo + i]);
        }
    }

    private static void silu(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.div(ExpF32.exp(v.neg()).add(1f)).intoArray(o, oo + i); // as ExpF32.silu
        }
        for (; i < n; i++) {
            o[oo + i] = ExpF32.silu(x[xo + i]);
        }
    }

    private static void neg(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, x, xo + i).neg().intoArray(o, oo + i);
        }
        for (; i < n; i++) {
            o[oo + i] = -x[xo + i];
        }
    }

    private static void abs(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, x, xo + i).abs().intoArray(o, oo + i);
        }
        for (; i < n; i++) {
            o[oo + i] = Math.abs(x[xo + i]);
        }
    }

    private static void sqrt(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, x, xo + i).sqrt().intoArray(o, oo + i);
        }
        for (; i < n; i++) {
            o[oo + i] = (float) Math.sqrt(x[xo + i]);
        }
    }

    private static void tail(UnaryOp op, float[] x, int xo, float[] o, int oo, int from, int n) {
        for (int i = from; i < n; i++) {
            o[oo + i] = (float) ScalarMath.unary(op, x[xo + i]);
        }
    }

    /**
     * {@code o = op(a, b)} on a row where a and o are contiguous and b is contiguous
     * ({@code bStride == 1}) or one repeated value ({@code bStride == 0}). Returns false when op has
     * no vector form here. Each op has its own loop so that its operator is a constant.
     */
    static boolean binary(BinaryOp op, float[] a, int ao, float[] b, int bo, int bStride, float[] o, int oo, int n) {
        switch (op) {
            case ADD -> add(a, ao, b, bo, bStride, o, oo, n);
            case SUB -> sub(a, ao, b, bo, bStride, o, oo, n);
            case MUL -> mul(a, ao, b, bo, bStride, o, oo, n);
            case DIV -> div(a, ao, b, bo, bStride, o, oo, n);
            case MAXIMUM -> max(a, ao, b, bo, bStride, o, oo, n);
            case MINIMUM -> min(a, ao, b, bo, bStride, o, oo, n);
            case POW -> pow(a, ao, b, bo, bStride, o, oo, n);
            default -> {
                return false;
            }
        }
        return true;
    }

    private static void add(float[] a, int ao, float[] b, int bo, int bStride, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector av = FloatVector.fromArray(S, a, ao + i);
            FloatVector bv = bStride == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + i);
            av.add(bv).intoArray(o, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector av = FloatVector.fromArray(S, a, ao + i, m);
            FloatVector bv = bStride == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + i, m);
            av.add(bv).intoArray(o, oo + i, m);
        }
    }

    private static void sub(float[] a, int ao, float[] b, int bo, int bStride, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector av = FloatVector.fromArray(S, a, ao + i);
            FloatVector bv = bStride == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + i);
            av.sub(bv).intoArray(o, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector av = FloatVector.fromArray(S, a, ao + i, m);
            FloatVector bv = bStride == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + i, m);
            av.sub(bv).intoArray(o, oo + i, m);
        }
    }

    private static void mul(float[] a, int ao, float[] b, int bo, int bStride, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector av = FloatVector.fromArray(S, a, ao + i);
            FloatVector bv = bStride == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + i);
            av.mul(bv).intoArray(o, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector av = FloatVector.fromArray(S, a, ao + i, m);
            FloatVector bv = bStride == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + i, m);
            av.mul(bv).intoArray(o, oo + i, m);
        }
    }

    private static void div(float[] a, int ao, float[] b, int bo, int bStride, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector av = FloatVector.fromArray(S, a, ao + i);
            FloatVector bv = bStride == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + i);
            av.div(bv).intoArray(o, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector av = FloatVector.fromArray(S, a, ao + i, m);
            FloatVector bv = bStride == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + i, m);
            av.div(bv).intoArray(o, oo + i, m);
        }
    }

    private static void max(float[] a, int ao, float[] b, int bo, int bStride, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector av = FloatVector.fromArray(S, a, ao + i);
            FloatVector bv = bStride == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + i);
            av.max(bv).intoArray(o, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector av = FloatVector.fromArray(S, a, ao + i, m);
            FloatVector bv = bStride == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + i, m);
            av.max(bv).intoArray(o, oo + i, m);
        }
    }

    private static void min(float[] a, int ao, float[] b, int bo, int bStride, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector av = FloatVector.fromArray(S, a, ao + i);
            FloatVector bv = bStride == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + i);
            av.min(bv).intoArray(o, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector av = FloatVector.fromArray(S, a, ao + i, m);
            FloatVector bv = bStride == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + i, m);
            av.min(bv).intoArray(o, oo + i, m);
        }
    }

    /** Scalar {@link ScalarMath#pow} per element: the vector POW is a stub in C2 and Math.pow per lane before. */
    private static void pow(float[] a, int ao, float[] b, int bo, int bStride, float[] o, int oo, int n) {
        for (int i = 0; i < n; i++) {
            o[oo + i] = (float) ScalarMath.pow(a[ao + i], b[bo + i * bStride]);
        }
    }
}
