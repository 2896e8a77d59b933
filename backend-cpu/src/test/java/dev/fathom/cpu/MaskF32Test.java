package dev.fathom.cpu;

import dev.fathom.spi.BinaryOp;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MaskF32}'s lane-wise comparisons and select against Java's scalar operators, element by
 * element, on rows of every length up to three vectors and a tail, with NaNs, signed zeros and ties
 * among the values, b contiguous or one repeated value, and offsets into the arrays.
 */
class MaskF32Test {
    private static final float[] SPECIAL = {Float.NaN, -0f, 0f, 1f, -1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    @Test
    void comparisonsEqualJavasOperators() {
        SplittableRandom r = new SplittableRandom(7);
        for (int n = 0; n <= 3 * VectorF32.L + 3; n++) {
            for (int bStride = 0; bStride <= 1; bStride++) {
                float[] a = values(r, n + 2), b = values(r, n + 3);
                for (BinaryOp op : new BinaryOp[] {BinaryOp.GT, BinaryOp.GE, BinaryOp.LT, BinaryOp.LE, BinaryOp.EQ}) {
                    boolean[] o = new boolean[n + 1];
                    assertTrue(MaskF32.compare(op, a, 2, b, 3, bStride, o, 1, n));
                    for (int i = 0; i < n; i++) {
                        float x = a[2 + i], y = b[3 + i * bStride];
                        boolean expected = switch (op) {
                            case GT -> x > y;
                            case GE -> x >= y;
                            case LT -> x < y;
                            case LE -> x <= y;
                            default -> x == y;
                        };
                        assertEquals(expected, o[1 + i], op + " of " + x + " and " + y + " (n " + n + ", element " + i + ")");
                    }
                }
            }
        }
        assertFalse(MaskF32.compare(BinaryOp.NE, new float[1], 0, new float[1], 0, 1, new boolean[1], 0, 1), "NE stays scalar");
    }

    @Test
    void whereSelectsLaneByLane() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n = 0; n <= 3 * VectorF32.L + 3; n++) {
            for (int aStride = 0; aStride <= 1; aStride++) {
                for (int bStride = 0; bStride <= 1; bStride++) {
                    boolean[] c = new boolean[n + 1];
                    for (int i = 0; i < c.length; i++) {
                        c[i] = r.nextBoolean();
                    }
                    float[] a = values(r, n + 2), b = values(r, n + 3), o = new float[n + 4];
                    MaskF32.where(c, 1, a, 2, aStride, b, 3, bStride, o, 4, n);
                    for (int i = 0; i < n; i++) {
                        float expected = c[1 + i] ? a[2 + i * aStride] : b[3 + i * bStride];
                        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(o[4 + i]),
                                "where at " + i + " (n " + n + ", strides " + aStride + ", " + bStride + ")");
                    }
                }
            }
        }
    }

    private static float[] values(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(3) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : r.nextInt(3) - 1;
        }
        return v;
    }
}
