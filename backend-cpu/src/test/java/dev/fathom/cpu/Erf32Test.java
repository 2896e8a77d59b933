package dev.fathom.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The row forms of {@link Erf32} against its scalar functions bit for bit (a row's result must not
 * depend on where an element falls: vector body, scalar tail, or a vector sent to the scalar path
 * by one lane in the erfc tail), and the scalar GELU against x·Φ(x) from {@link ScalarMath}.
 */
class Erf32Test {

    /** Values around every branch point (|x| = 2 for erf, |x| = 2√2 for GELU, 6 and 6√2), signed zeros, NaN, ±∞, and a fine sweep. */
    private static float[] inputs() {
        float[] edges = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 2f, -2f, Math.nextDown(2f),
            Math.nextUp(-2f), 2.828427f, -2.828427f, 2.8284273f, -2.8284273f, 6f, -6f, 8.485281f, -8.485281f, 1e-30f, -1e-30f,
            Float.MIN_VALUE, -Float.MIN_VALUE, 30f, -30f};
        int sweep = 20_001;
        float[] xs = new float[edges.length + sweep];
        System.arraycopy(edges, 0, xs, 0, edges.length);
        for (int i = 0; i < sweep; i++) {
            xs[edges.length + i] = -10f + 20f * i / (sweep - 1);
        }
        return xs;
    }

    @Test
    void rowsEqualTheScalarFunctionsBitForBitAtEveryOffsetAndLength() {
        float[] xs = inputs();
        for (int offset = 0; offset < 5; offset++) {
            int n = xs.length - offset - 3;  // ends off the vector grid
            float[] gelu = new float[n + offset], erf = new float[n + offset];
            Erf32.geluRow(xs, offset, gelu, offset, n);
            Erf32.erfRow(xs, offset, erf, offset, n);
            for (int i = 0; i < n; i++) {
                double v = xs[offset + i];
                assertEquals(Float.floatToRawIntBits((float) (v * Erf32.phi(v))), Float.floatToRawIntBits(gelu[offset + i]),
                        "gelu(" + v + ") at offset " + offset);
                assertEquals(Float.floatToRawIntBits((float) Erf32.erf(v)), Float.floatToRawIntBits(erf[offset + i]),
                        "erf(" + v + ") at offset " + offset);
            }
        }
    }

    @Test
    void theGradientRowEqualsTheScalarFunctionBitForBitAtEveryOffsetAndLength() {
        float[] xs = inputs();
        float[] g = new float[xs.length];
        for (int i = 0; i < g.length; i++) {
            g[i] = 0.25f + (i % 7) * 0.5f;
        }
        for (int offset = 0; offset < 5; offset++) {
            int n = xs.length - offset - 3;
            float[] grad = new float[n + offset];
            Erf32.geluGradRow(xs, offset, g, offset, grad, offset, n);
            for (int i = 0; i < n; i++) {
                double v = xs[offset + i];
                assertEquals(Float.floatToRawIntBits((float) (g[offset + i] * Erf32.geluGrad(v))), Float.floatToRawIntBits(grad[offset + i]),
                        "gelu'(" + v + ") at offset " + offset);
            }
        }
    }

    /** The erfc tail's polynomial and its e^{-x²} (no Math.exp) against the series and continued fraction of ScalarMath. */
    @Test
    void scalarErfAndGeluGradientAreCloseToTheReferenceInTheTail() {
        double worstErf = 0, worstGrad = 0;
        for (int i = 0; i <= 4000; i++) {
            double x = 2 + 4.0 * i / 4000;   // erf's argument from 2 to 6; GELU's from 2√2 to 6√2, both signs
            worstErf = Math.max(worstErf, Math.abs(Erf32.erfcNonNegative(x) - ScalarMath.erfc(x)) / ScalarMath.erfc(x));
            for (double v : new double[] {x * Math.sqrt(2), -x * Math.sqrt(2)}) {
                double want = ScalarMath.geluGrad(v);
                worstGrad = Math.max(worstGrad, Math.abs(Erf32.geluGrad(v) - want) / Math.max(Math.abs(want), 1e-300));
            }
        }
        assertTrue(worstErf < 1e-8, "erfc's worst relative error on [2, 6]: " + worstErf);
        assertTrue(worstGrad < 1e-8, "GELU''s worst relative error on |x| in [2√2, 6√2]: " + worstGrad);
    }

    @Test
    void scalarGeluIsWithinOneUlpOfTheSeriesReference() {
        float[] xs = inputs();
        long worst = 0;
        for (float x : xs) {
            if (Float.isNaN(x) || Float.isInfinite(x)) {
                continue;
            }
            float got = (float) (x * Erf32.phi(x)), want = (float) (x * ScalarMath.phi(x));
            worst = Math.max(worst, Math.abs((long) Float.floatToRawIntBits(got) - Float.floatToRawIntBits(want)));
        }
        assertTrue(worst <= 1, "worst ulp " + worst);
    }
}
