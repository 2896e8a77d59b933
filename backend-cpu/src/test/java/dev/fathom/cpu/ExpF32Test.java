package dev.fathom.cpu;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ExpF32} against {@link Math} in F64 rounded to F32, over a sweep of float bit patterns
 * (every sign and exponent, many mantissas) plus the edges, and its scalar twins against its vector
 * routines bit for bit (tails and bodies must agree, or a row's result would depend on its length).
 */
class ExpF32Test {
    private static final int STRIDE = 4099; // odd, so the sweep visits mantissas of every shape

    @Test
    void expIsWithinOneUlpOfMathExpEverywhere() {
        assertEquals(1, worstUlp(ExpF32::exp, Math::exp, ExpF32::exp));
    }

    @Test
    void tanhIsWithinOneUlpOfMathTanhEverywhere() {
        assertTrue(worstUlp(ExpF32::tanh, Math::tanh, ExpF32::tanh) <= 1);
    }

    @Test
    void sigmoidAndSiluAreWithinThreeUlp() {
        long sigmoid = worstUlp(ExpF32::sigmoid, x -> 1 / (1 + Math.exp(-x)), ExpF32::sigmoid);
        // x/(1+e^−x) gives −0 once e^−x overflows (x < −88.72), as the unfused formula does in F32
        long silu = worstUlp(ExpF32::silu, x -> x < -88.72284 ? 0 : x / (1 + Math.exp(-x)), ExpF32::silu);
        assertTrue(sigmoid <= 3 && silu <= 3, "worst ulp: sigmoid " + sigmoid + ", silu " + silu);
    }

    @Test
    void edgesMatchMathExactly() {
        float[] xs = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 88.72283f, 88.72284f, 89f, 1000f,
            -87.33654f, -87.33655f, -100f, -103.2789f, -103.972f, -104f, -200f, Float.MIN_VALUE, -Float.MAX_VALUE, Float.MAX_VALUE};
        for (float x : xs) {
            float e = (float) Math.exp(x), got = ExpF32.exp(x);
            assertTrue(ulp(e, got) <= 1, "exp(" + x + ") = " + got + ", Math.exp gives " + e);
            assertEquals(Float.floatToIntBits((float) Math.tanh(x)), Float.floatToIntBits(ExpF32.tanh(x)), "tanh(" + x + ")");
        }
        assertEquals(Float.POSITIVE_INFINITY, ExpF32.exp(88.72284f));
        assertEquals(0f, ExpF32.exp(-104f));
        assertTrue(Float.isNaN(ExpF32.exp(Float.NaN)) && Float.isNaN(ExpF32.tanh(Float.NaN)));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(ExpF32.tanh(-0f)));
        assertEquals(0f, ExpF32.sigmoid(-200f));
        assertEquals(1f, ExpF32.sigmoid(200f));
    }

    /** Worst ulp distance of the vector routine from the F64 reference; fails if the scalar twin differs in any bit. */
    private static long worstUlp(UnaryOperator<FloatVector> vector, DoubleUnaryOperator reference, FloatOp scalar) {
        int l = VectorF32.L;
        float[] in = new float[l], out = new float[l];
        long worst = 0;
        int filled = 0;
        for (long bits = 0; bits < (1L << 32); bits += STRIDE) {
            in[filled++] = Float.intBitsToFloat((int) bits);
            if (filled < l) {
                continue;
            }
            filled = 0;
            vector.apply(FloatVector.fromArray(VectorF32.S, in, 0)).intoArray(out, 0);
            for (int i = 0; i < l; i++) {
                float twin = scalar.apply(in[i]);
                assertTrue(Float.floatToIntBits(twin) == Float.floatToIntBits(out[i]),
                        "scalar " + twin + " vs vector " + out[i] + " at x = " + in[i]);
                float expected = (float) reference.applyAsDouble(in[i]);
                if (Math.abs(expected) < Float.MIN_NORMAL) {
                    // sigmoid and silu far below 0: e^−x overflows and they give 0 (or −0), as PyTorch's
                    // 1/(1+e^−x) does; only the absolute error is small there.
                    assertTrue(Math.abs(expected - out[i]) <= Float.MIN_NORMAL, "x = " + in[i] + " gave " + out[i]);
                    continue;
                }
                long d = ulp(expected, out[i]);
                assertTrue(d < 1L << 30, "x = " + in[i] + " gave " + out[i]);
                worst = Math.max(worst, d);
            }
        }
        return worst;
    }

    private static long ulp(float expected, float got) {
        if (Float.isNaN(expected) || Float.isNaN(got)) {
            return Float.isNaN(expected) && Float.isNaN(got) ? 0 : 1L << 40;
        }
        return Math.abs(ordered(expected) - ordered(got));
    }

    /** Float bits mapped to a line on which adjacent floats differ by 1 (−0 and +0 coincide). */
    private static long ordered(float f) {
        int b = Float.floatToRawIntBits(f);
        return b >= 0 ? b : -(long) (b & 0x7fffffff);
    }

    @FunctionalInterface
    private interface FloatOp {
        float apply(float x);
    }
}
