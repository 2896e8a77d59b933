package dev.fathom.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Four rows of a product straight from unpacked rows:
 * {@code y[yo + r·ys + j] = Σ_kk w[wo + r·ws + kk] · x[xo + kk·xs + j]} for r < 4 and j < width.
 * Four rows of w against two vectors of x's columns at a time: eight FMA chains, and per kk two
 * loads of x and four broadcasts of w, so each vector of x is loaded once for the four rows. Each
 * element is one FMA chain over kk in order, the same whatever the width. Serves products too
 * narrow in K, or too small, to pay for packing: {@link ConvNarrowK}'s forward, and the attention
 * scores of four queries ({@link AttentionF32#scoresFour}).
 */
final class FourRowProduct {
    private static final VectorSpecies<Float> S = VectorF32.S;
    private static final int L = VectorF32.L;

    private FourRowProduct() {
    }

    static void multiply(float[] w, int wo, int ws, int k, float[] x, int xo, int xs, int width, float[] y, int yo, int ys) {
        int j = 0;
        for (; j + 2 * L <= width; j += 2 * L) {
            FloatVector z = FloatVector.zero(S), a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, d0 = z, d1 = z;
            for (int kk = 0, xi = xo + j; kk < k; kk++, xi += xs) {
                FloatVector x0 = FloatVector.fromArray(S, x, xi), x1 = FloatVector.fromArray(S, x, xi + L);
                FloatVector v = FloatVector.broadcast(S, w[wo + kk]);
                a0 = v.fma(x0, a0);
                a1 = v.fma(x1, a1);
                v = FloatVector.broadcast(S, w[wo + ws + kk]);
                b0 = v.fma(x0, b0);
                b1 = v.fma(x1, b1);
                v = FloatVector.broadcast(S, w[wo + 2 * ws + kk]);
                c0 = v.fma(x0, c0);
                c1 = v.fma(x1, c1);
                v = FloatVector.broadcast(S, w[wo + 3 * ws + kk]);
                d0 = v.fma(x0, d0);
                d1 = v.fma(x1, d1);
            }
            a0.intoArray(y, yo + j);
            a1.intoArray(y, yo + j + L);
            b0.intoArray(y, yo + ys + j);
            b1.intoArray(y, yo + ys + j + L);
            c0.intoArray(y, yo + 2 * ys + j);
            c1.intoArray(y, yo + 2 * ys + j + L);
            d0.intoArray(y, yo + 3 * ys + j);
            d1.intoArray(y, yo + 3 * ys + j + L);
        }
        for (; j + L <= width; j += L) {
            FloatVector z = FloatVector.zero(S), a0 = z, b0 = z, c0 = z, d0 = z;
            for (int kk = 0, xi = xo + j; kk < k; kk++, xi += xs) {
                FloatVector x0 = FloatVector.fromArray(S, x, xi);
                a0 = FloatVector.broadcast(S, w[wo + kk]).fma(x0, a0);
                b0 = FloatVector.broadcast(S, w[wo + ws + kk]).fma(x0, b0);
                c0 = FloatVector.broadcast(S, w[wo + 2 * ws + kk]).fma(x0, c0);
                d0 = FloatVector.broadcast(S, w[wo + 3 * ws + kk]).fma(x0, d0);
            }
            a0.intoArray(y, yo + j);
            b0.intoArray(y, yo + ys + j);
            c0.intoArray(y, yo + 2 * ys + j);
            d0.intoArray(y, yo + 3 * ys + j);
        }
        for (; j < width; j++) {
            float a = 0, b = 0, c = 0, d = 0;
            for (int kk = 0, xi = xo + j; kk < k; kk++, xi += xs) {
                float v = x[xi];
                a += w[wo + kk] * v;
                b += w[wo + ws + kk] * v;
                c += w[wo + 2 * ws + kk] * v;
                d += w[wo + 3 * ws + kk] * v;
            }
            y[yo + j] = a;
            y[yo + ys + j] = b;
            y[yo + 2 * ys + j] = c;
            y[yo + 3 * ys + j] = d;
        }
    }
}
