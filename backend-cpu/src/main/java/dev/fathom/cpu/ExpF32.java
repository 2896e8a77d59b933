package dev.fathom.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * F32 exp, tanh and sigmoid built only from IEEE-exact lane ops (add, mul, fma, div, compares,
 * blends, conversions of integral values, bit shifts), so they give the same bits in the
 * interpreter, C1 and C2. The JDK's {@code lanewise(EXP)} does not: C2 calls an SVML-style stub and
 * the fallback calls {@link Math#exp} per lane. Each vector routine has a scalar twin doing the same
 * operations in the same order, for loop tails, so a row's result does not depend on its length or
 * offset.
 *
 * <p>exp follows Cephes {@code expf} (S. L. Moshier, Cephes Math Library, 1984–1992): n = rint(x·log2 e)
 * by the 1.5·2^23 rounding trick, r = x − n·ln 2 with ln 2 split in two (Cody–Waite), a degree-5
 * minimax polynomial in Horner form with fma, and 2^n applied as two exponent-bit factors so that
 * subnormal results round once. Within 1 ulp of {@code (float) Math.exp(x)} over the whole range (ExpF32Test);
 * overflow gives +inf, underflow 0, NaN stays NaN. tanh follows Cephes {@code tanhf}.
 */
final class ExpF32 {
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5·2^23: adding it rounds to an integer
    private static final float HI = 89f, LO = -104f; // beyond: +inf and 0 anyway
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    private static final float T0 = -5.70498872745e-3f, T1 = 2.06390887954e-2f, T2 = -5.37397155531e-2f,
            T3 = 1.33314422036e-1f, T4 = -3.33332819422e-1f;
    private static final float TANH_SMALL = 0.625f;

    private ExpF32() {
    }

    /** e^x per lane. */
    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(LO).min(HI); // Math.max/min semantics: NaN stays NaN
        FloatVector n = c.fma(LOG2E, ROUND).sub(ROUND);
        FloatVector r = n.fma(k(n, -LN2_HI), c);
        r = n.fma(k(n, -LN2_LO), r);
        FloatVector p = r.fma(P0, P1).fma(r, k(r, P2)).fma(r, k(r, P3)).fma(r, k(r, P4)).fma(r, k(r, P5));
        FloatVector y = p.mul(r).fma(r, r).add(1f);
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1), n2 = ni.sub(n1);
        FloatVector s1 = (FloatVector) n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = (FloatVector) n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(s1).mul(s2);
    }

    private static FloatVector k(FloatVector like, float c) {
        return FloatVector.broadcast(like.species(), c);
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same operations in the same order. */
    static float exp(float x) {
        float c = Math.min(Math.max(x, LO), HI);
        float n = Math.fma(c, LOG2E, ROUND) - ROUND;
        float r = Math.fma(n, -LN2_HI, c);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, P0, P1), r, P2), r, P3), r, P4), r, P5);
        float y = Math.fma(p * r, r, r) + 1f;
        int ni = (int) n, n1 = ni >> 1, n2 = ni - n1;
        return y * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
    }

    /** 1/(1 + e^−x) per lane; saturates to 0 and 1 without NaN. */
    static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(x.species(), 1f).div(exp(x.neg()).add(1f));
    }

    static float sigmoid(float x) {
        return 1f / (exp(-x) + 1f);
    }

    /** x/(1 + e^−x) per lane. */
    static FloatVector silu(FloatVector x) {
        return x.div(exp(x.neg()).add(1f));
    }

    static float silu(float x) {
        return x / (exp(-x) + 1f);
    }

    /** tanh per lane: an odd polynomial below 0.625, else 1 − 2/(e^{2|x|} + 1) with x's sign. */
    static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector z = x.mul(x);
        FloatVector small = z.fma(T0, T1).fma(z, k(z, T2)).fma(z, k(z, T3)).fma(z, k(z, T4)).mul(z).fma(x, x);
        FloatVector e = exp(a.add(a)).add(1f);
        FloatVector big = FloatVector.broadcast(x.species(), 2f).div(e).neg().add(1f);
        FloatVector signed = big.blend(big.neg(), x.lt(0f));
        VectorMask<Float> isSmall = a.lt(TANH_SMALL);
        return signed.blend(small, isSmall).blend(x, x.eq(0f)); // keeps tanh(−0) = −0
    }

    static float tanh(float x) {
        float a = Math.abs(x);
        float z = x * x;
        if (x == 0f) {
            return x;
        }
        if (a < TANH_SMALL) {
            return Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(z, T0, T1), z, T2), z, T3), z, T4) * z, x, x);
        }
        float e = exp(a + a) + 1f;
        float big = -(2f / e) + 1f;
        return x < 0f ? -big : big;
    }
}
