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
 * fall back to scalar code). Tails run the scalar formula of {@link ScalarMath}.
 */
final class VectorF32 {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    private VectorF32() {
    }

    /** {@code o[oo..oo+n) = op(x[xo..xo+n))}; returns false when op has no vector form here. */
    static boolean unary(UnaryOp op, float[] x, int xo, float[] o, int oo, int n) {
        switch (op) {
            case NEG -> map(VectorOperators.NEG, x, xo, o, oo, n);
            case ABS -> map(VectorOperators.ABS, x, xo, o, oo, n);
            case EXP -> map(VectorOperators.EXP, x, xo, o, oo, n);
            case LOG -> map(VectorOperators.LOG, x, xo, o, oo, n);
            case SQRT -> map(VectorOperators.SQRT, x, xo, o, oo, n);
            case SIN -> map(VectorOperators.SIN, x, xo, o, oo, n);
            case COS -> map(VectorOperators.COS, x, xo, o, oo, n);
            case TANH -> map(VectorOperators.TANH, x, xo, o, oo, n);
            case RELU -> {
                int i = 0;
                for (; i <= n - L; i += L) {
                    FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.MAX, 0f).intoArray(o, oo + i);
                }
                tail(op, x, xo, o, oo, i, n);
            }
            case SIGMOID -> {
                int i = 0;
                FloatVector one = FloatVector.broadcast(S, 1f);
                for (; i <= n - L; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    one.div(v.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(o, oo + i);
                }
                tail(op, x, xo, o, oo, i, n);
            }
            case SILU -> {
                int i = 0;
                for (; i <= n - L; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.div(v.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(o, oo + i);
                }
                tail(op, x, xo, o, oo, i, n);
            }
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

    private static void map(VectorOperators.Unary vop, float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, x, xo + i).lanewise(vop).intoArray(o, oo + i);
        }
        for (; i < n; i++) {
            o[oo + i] = FloatVector.broadcast(S, x[xo + i]).lanewise(vop).lane(0);
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
     * no vector form here.
     */
    static boolean binary(BinaryOp op, float[] a, int ao, float[] b, int bo, int bStride, float[] o, int oo, int n) {
        // One call site per operator keeps each loop's operator constant after inlining.
        switch (op) {
            case ADD -> zip(VectorOperators.ADD, a, ao, b, bo, bStride, o, oo, n);
            case SUB -> zip(VectorOperators.SUB, a, ao, b, bo, bStride, o, oo, n);
            case MUL -> zip(VectorOperators.MUL, a, ao, b, bo, bStride, o, oo, n);
            case DIV -> zip(VectorOperators.DIV, a, ao, b, bo, bStride, o, oo, n);
            case MAXIMUM -> zip(VectorOperators.MAX, a, ao, b, bo, bStride, o, oo, n);
            case MINIMUM -> zip(VectorOperators.MIN, a, ao, b, bo, bStride, o, oo, n);
            case POW -> zip(VectorOperators.POW, a, ao, b, bo, bStride, o, oo, n);
            default -> {
                return false;
            }
        }
        return true;
    }

    private static void zip(VectorOperators.Binary vop, float[] a, int ao, float[] b, int bo, int bStride, float[] o, int oo, int n) {
        int i = 0;
        if (bStride == 0) {
            FloatVector bv = FloatVector.broadcast(S, b[bo]);
            for (; i <= n - L; i += L) {
                FloatVector.fromArray(S, a, ao + i).lanewise(vop, bv).intoArray(o, oo + i);
            }
        } else {
            for (; i <= n - L; i += L) {
                FloatVector.fromArray(S, a, ao + i).lanewise(vop, FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector av = FloatVector.fromArray(S, a, ao + i, m);
            FloatVector bv = bStride == 0 ? FloatVector.broadcast(S, b[bo]) : FloatVector.fromArray(S, b, bo + i, m);
            av.lanewise(vop, bv).intoArray(o, oo + i, m);
        }
    }
}
