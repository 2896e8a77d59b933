package dev.fathom.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Four rows of a product straight from unpacked rows:
 * {@code y[yo + r·ys + j] = Σ_kk w[wo + r·ws + kk] · x[xo + kk·xs + j]} for r < 4 and j < width.
 * Four rows of w against two vectors of x's columns at a time: eight FMA chains, and per kk two
 * loads of x and four broadcasts of w, so each vector of x is loaded once for the four rows. Each
 * element is one FMA chain over kk in order, the same whatever the width. Serves products too
 * narrow in K, or too small, to pay for packing: {@link ConvNarrowK}'s forward, and the attention
 * scores of four queries ({@link AttentionF32#scoresFour}) and its other four-row products.
 * {@link #multiplyAdd} adds to y, with w's elements {@code wk} apart along kk: the attention's dK
 * and dV, four keys at a time from the columns of its dS and P.
 */
final class FourRowProduct {
    private static final VectorSpecies<Float> S = VectorF32.S;
    private static final int L = VectorF32.L;

    private FourRowProduct() {
    }

    static void multiply(float[] w, int wo, int ws, int k, float[] x, int xo, int xs, int width, float[] y, int yo, int ys) {
        for (int r = 0; r < 4; r++) {
            Arrays.fill(y, yo + r * ys, yo + r * ys + width, 0f);
        }
        multiplyAdd(w, wo, ws, 1, k, x, xo, xs, width, y, yo, ys);
    }

    /**
     * {@code y[yo + r·ys + j] += Σ_kk w[wo + r·ws + kk·wk] · x[xo + kk·xs + j]} for r < 4 and
     * j < width. Every accumulator starts from y, so that no branch merges vectors of two origins
     * (C2 can box them; see {@link AttentionF32#combine}).
     */
    static void multiplyAdd(float[] w, int wo, int ws, int wk, int k, float[] x, int xo, int xs, int width, float[] y, int yo, int ys) {
        int j = 0;
        for (; j + 2 * L <= width; j += 2 * L) {
            FloatVector a0 = FloatVector.fromArray(S, y, yo + j), a1 = FloatVector.fromArray(S, y, yo + j + L);
            FloatVector b0 = FloatVector.fromArray(S, y, yo + ys + j), b1 = FloatVector.fromArray(S, y, yo + ys + j + L);
            FloatVector c0 = FloatVector.fromArray(S, y, yo + 2 * ys + j), c1 = FloatVector.fromArray(S, y, yo + 2 * ys + j + L);
            FloatVector d0 = FloatVector.fromArray(S, y, yo + 3 * ys + j), d1 = FloatVector.fromArray(S, y, yo + 3 * ys + j + L);
            for (int kk = 0, xi = xo + j, wi = wo; kk < k; kk++, xi += xs, wi += wk) {
                FloatVector x0 = FloatVector.fromArray(S, x, xi), x1 = FloatVector.fromArray(S, x, xi + L);
                FloatVector v = FloatVector.broadcast(S, w[wi]);
                a0 = v.fma(x0, a0);
                a1 = v.fma(x1, a1);
                v = FloatVector.broadcast(S, w[wi + ws]);
                b0 = v.fma(x0, b0);
                b1 = v.fma(x1, b1);
                v = FloatVector.broadcast(S, w[wi + 2 * ws]);
                c0 = v.fma(x0, c0);
                c1 = v.fma(x1, c1);
                v = FloatVector.broadcast(S, w[wi + 3 * ws]);
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
            FloatVector a0 = FloatVector.fromArray(S, y, yo + j), b0 = FloatVector.fromArray(S, y, yo + ys + j);
            FloatVector c0 = FloatVector.fromArray(S, y, yo + 2 * ys + j), d0 = FloatVector.fromArray(S, y, yo + 3 * ys + j);
            for (int kk = 0, xi = xo + j, wi = wo; kk < k; kk++, xi += xs, wi += wk) {
                FloatVector x0 = FloatVector.fromArray(S, x, xi);
                a0 = FloatVector.broadcast(S, w[wi]).fma(x0, a0);
                b0 = FloatVector.broadcast(S, w[wi + ws]).fma(x0, b0);
                c0 = FloatVector.broadcast(S, w[wi + 2 * ws]).fma(x0, c0);
                d0 = FloatVector.broadcast(S, w[wi + 3 * ws]).fma(x0, d0);
            }
            a0.intoArray(y, yo + j);
            b0.intoArray(y, yo + ys + j);
            c0.intoArray(y, yo + 2 * ys + j);
            d0.intoArray(y, yo + 3 * ys + j);
        }
        for (; j < width; j++) {
            float a = y[yo + j], b = y[yo + ys + j], c = y[yo + 2 * ys + j], d = y[yo + 3 * ys + j];
            for (int kk = 0, xi = xo + j, wi = wo; kk < k; kk++, xi += xs, wi += wk) {
                float v = x[xi];
                a += w[wi] * v;
                b += w[wi + ws] * v;
                c += w[wi + 2 * ws] * v;
                d += w[wi + 3 * ws] * v;
            }
            y[yo + j] = a;
            y[yo + ys + j] = b;
            y[yo + 2 * ys + j] = c;
            y[yo + 3 * ys + j] = d;
        }
    }
}
