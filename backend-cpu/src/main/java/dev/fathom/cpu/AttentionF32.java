package dev.fathom.cpu;

import dev.fathom.spi.AttentionGeometry;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The F32 path of {@link AttentionKernels} on the Vector API. K (and V in the backward) is
 * transposed once per head into {@code [D, pad]} scratch (pad = lk rounded up to the lane count,
 * zero-filled), so a query's scores for L keys at a time are D lane-wise FMAs with no horizontal
 * sum. Query rows go four at a time where they can: their scores, {@code Σ_j p_j·v_j}, dQ, and
 * dK and dV four keys at a time, are {@link FourRowProduct}s, which load each row of the other
 * operand once for the four (row by row, every FMA had a load of its own:
 * {@code AttentionBenchmark}'s fused forward and backward of a GPT layer went from 4.8 and 13.2 ms
 * to 3.1 and 8.6). The rest (a block's last rows or keys short of four, and every forward row when
 * the keys exceed a tile) goes through {@link #combine}, which keeps L output columns in registers
 * over all its rows. The backward takes
 * query rows in blocks of {@link AttentionKernels#QUERY_BLOCK}: it stores that block's P and dS,
 * then adds its part of dK and dV, so each gradient row is loaded and stored once per block rather
 * than once per query. Operands' rows ({@link AttentionRows}) come in {@link AttentionKernels}'
 * order.
 */
final class AttentionF32 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * The tasks' scratch, per thread and zeroed as new arrays were (the transposes keep their
     * padding zero): every task of every call allocated its own, tens of KB each, on every step.
     */
    private static final ThreadScratch KT = new ThreadScratch(), VT = new ThreadScratch(), SCORES = new ThreadScratch(),
            ACC = new ThreadScratch(), P = new ThreadScratch(), DS = new ThreadScratch();

    private AttentionF32() {
    }

    static int padded(int n) {
        return Math.max(L, (n + L - 1) / L * L);
    }

    /** Zeroes {@code rows} rows of {@code cols} elements from {@code base}, {@code rowStride} apart. */
    static void zeroRows(float[] a, int base, int rowStride, int rows, int cols) {
        for (int j = 0; j < rows; j++) {
            Arrays.fill(a, base + j * rowStride, base + j * rowStride + cols, 0f);
        }
    }

    /**
     * {@code t[d·pad + j] = src[base + j·rowStride + d]}; the padding stays zero. Whole L × L
     * blocks go through {@link RegisterTranspose}: float by float, every store of a key's row went
     * pad floats (512 bytes at 128 keys) from the last, into a few L1 sets, and the transposes
     * were a fortieth of a GPT step.
     */
    static void transpose(float[] src, int base, int rowStride, int rows, int cols, float[] t, int pad) {
        RegisterTranspose.matrix(src, base, rowStride, rows, cols, t, 0, pad);
    }

    /**
     * {@code s[j] = scale·Σ_d x[xo + d]·t[d·pad + j0 + j]} for j below n rounded up to L (lanes
     * past n read the padding or later keys; callers mask them). Two vectors of keys per pass, so
     * two FMA chains run side by side.
     */
    static void scores(float[] x, int xo, int dims, float[] t, int pad, int j0, int n, float scale, float[] s, int so) {
        int j = 0;
        for (; j + 3 * L < n; j += 4 * L) {
            scores4(x, xo, dims, t, pad, j0 + j, scale, s, so + j);
        }
        for (; j + L < n; j += 2 * L) {
            scores2(x, xo, dims, t, pad, j0 + j, scale, s, so + j);
        }
        if (j < n) {
            scores1(x, xo, dims, t, pad, j0 + j, scale, s, so + j);
        }
    }

    /**
     * Two vectors of keys, with even and odd dims in two sets of chains (four in all), added at
     * the end. With AVX-512's 16 lanes most causal rows (64 keys on average) end here, and two
     * chains ran at the FMA's latency.
     */
    private static void scores2(float[] x, int xo, int dims, float[] t, int pad, int at0, float scale, float[] s, int so) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, b0 = a0, b1 = a0;
        int d = 0;
        for (int at = at0; d + 1 < dims; d += 2, at += 2 * pad) {
            FloatVector xd = FloatVector.broadcast(S, x[xo + d]), xe = FloatVector.broadcast(S, x[xo + d + 1]);
            a0 = FloatVector.fromArray(S, t, at).fma(xd, a0);
            a1 = FloatVector.fromArray(S, t, at + L).fma(xd, a1);
            b0 = FloatVector.fromArray(S, t, at + pad).fma(xe, b0);
            b1 = FloatVector.fromArray(S, t, at + pad + L).fma(xe, b1);
        }
        if (d < dims) {
            int at = at0 + d * pad;
            FloatVector xd = FloatVector.broadcast(S, x[xo + d]);
            a0 = FloatVector.fromArray(S, t, at).fma(xd, a0);
            a1 = FloatVector.fromArray(S, t, at + L).fma(xd, a1);
        }
        a0.add(b0).mul(scale).intoArray(s, so);
        a1.add(b1).mul(scale).intoArray(s, so + L);
    }

    /** One vector of keys, even and odd dims in two chains. */
    private static void scores1(float[] x, int xo, int dims, float[] t, int pad, int at0, float scale, float[] s, int so) {
        FloatVector a0 = FloatVector.zero(S), b0 = a0;
        int d = 0;
        for (int at = at0; d + 1 < dims; d += 2, at += 2 * pad) {
            a0 = FloatVector.fromArray(S, t, at).fma(FloatVector.broadcast(S, x[xo + d]), a0);
            b0 = FloatVector.fromArray(S, t, at + pad).fma(FloatVector.broadcast(S, x[xo + d + 1]), b0);
        }
        if (d < dims) {
            a0 = FloatVector.fromArray(S, t, at0 + d * pad).fma(FloatVector.broadcast(S, x[xo + d]), a0);
        }
        a0.add(b0).mul(scale).intoArray(s, so);
    }

    /**
     * Four vectors of keys from {@code t[at]}: four FMA chains side by side. With two, each chain
     * waited on its FMA's latency (4 cycles on Zen 3) and the units ran a quarter full; the
     * causal GPT's rows see 64 keys on average. Its own method for the reason {@link #combine}'s
     * loops are.
     */
    private static void scores4(float[] x, int xo, int dims, float[] t, int pad, int at0, float scale, float[] s, int so) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int d = 0, at = at0; d < dims; d++, at += pad) {
            FloatVector xd = FloatVector.broadcast(S, x[xo + d]);
            a0 = FloatVector.fromArray(S, t, at).fma(xd, a0);
            a1 = FloatVector.fromArray(S, t, at + L).fma(xd, a1);
            a2 = FloatVector.fromArray(S, t, at + 2 * L).fma(xd, a2);
            a3 = FloatVector.fromArray(S, t, at + 3 * L).fma(xd, a3);
        }
        a0.mul(scale).intoArray(s, so);
        a1.mul(scale).intoArray(s, so + L);
        a2.mul(scale).intoArray(s, so + 2 * L);
        a3.mul(scale).intoArray(s, so + 3 * L);
    }

    /**
     * {@link #scores} for four rows of x at once, {@code xs} apart, into rows of s {@code ss} apart:
     * {@code s[so + r·ss + j] = scale·Σ_d x[xo + r·xs + d]·t[d·pad + j]} for r < 4 and j below n
     * rounded up to L, through {@link FourRowProduct}: each vector of keys is loaded once for the
     * four queries, and two vectors of keys make eight FMA chains. Row by row, every FMA loaded a
     * key vector of its own, and the causal GPT's scores were bound by those loads (its fused
     * attention forward: 5.2 → 4.7 ms). Each element is one chain over d, the same whatever n is,
     * so a row's scores do not depend on the rows it is computed with. The backward scores the
     * same groups of four the same way, so its P is exp of the very scores the forward saw.
     */
    static void scoresFour(float[] x, int xo, int xs, int dims, float[] t, int pad, int n, float scale, float[] s, int so, int ss) {
        int width = (n + L - 1) / L * L;
        FourRowProduct.multiply(x, xo, xs, dims, t, 0, pad, width, s, so, ss);
        FloatVector c = FloatVector.broadcast(S, scale);
        for (int r = 0; r < 4; r++) {
            for (int j = 0, at = so + r * ss; j < width; j += L) {
                FloatVector.fromArray(S, s, at + j).mul(c).intoArray(s, at + j);
            }
        }
    }

    /**
     * {@code y[yo + c] (+)= Σ_{r<n} w[wo + r·ws]·x[xo + r·xs + c]} for {@code c < cols}: accumulates
     * into y when {@code add}, else overwrites it (y is zeroed first, so that every vector loop starts
     * from y's values: no branch merges vectors of two origins). The vector loops are small methods
     * of their own: written inline here, C2 sometimes compiled this method with every vector boxed
     * (one GPT run allocated 90 GB in it over 20 steps and ran at a third of its speed), depending
     * on what it had profiled when it compiled.
     */
    static void combine(float[] w, int wo, int ws, int n, float[] x, int xo, int xs, int cols, float[] y, int yo, boolean add) {
        if (!add) {
            Arrays.fill(y, yo, yo + cols, 0f);
        }
        int c = 0;
        for (; c <= cols - 4 * L; c += 4 * L) {
            combine4(w, wo, ws, n, x, xo + c, xs, y, yo + c);
        }
        for (; c <= cols - 2 * L; c += 2 * L) {
            combine2(w, wo, ws, n, x, xo + c, xs, y, yo + c);
        }
        for (; c <= cols - L; c += L) {
            combine1(w, wo, ws, n, x, xo + c, xs, y, yo + c);
        }
        for (; c < cols; c++) {
            float a = y[yo + c];
            for (int r = 0; r < n; r++) {
                a += w[wo + r * ws] * x[xo + r * xs + c];
            }
            y[yo + c] = a;
        }
    }

    /**
     * Four vectors of columns (a head of 32 on AVX2, 64 on AVX-512): each weight is broadcast once
     * for four FMAs, with even and odd rows in two sets of accumulators, added at the end: eight
     * independent chains keep both FMA units busy (four ran at the FMA's latency, half speed).
     */
    private static void combine4(float[] w, int wo, int ws, int n, float[] x, int xc, int xs, float[] y, int yc) {
        FloatVector a0 = FloatVector.fromArray(S, y, yc), a1 = FloatVector.fromArray(S, y, yc + L);
        FloatVector a2 = FloatVector.fromArray(S, y, yc + 2 * L), a3 = FloatVector.fromArray(S, y, yc + 3 * L);
        FloatVector b0 = FloatVector.zero(S), b1 = b0, b2 = b0, b3 = b0;
        int r = 0;
        for (int xr = xc, wr = wo; r + 1 < n; r += 2, xr += 2 * xs, wr += 2 * ws) {
            FloatVector u = FloatVector.broadcast(S, w[wr]);
            a0 = FloatVector.fromArray(S, x, xr).fma(u, a0);
            a1 = FloatVector.fromArray(S, x, xr + L).fma(u, a1);
            a2 = FloatVector.fromArray(S, x, xr + 2 * L).fma(u, a2);
            a3 = FloatVector.fromArray(S, x, xr + 3 * L).fma(u, a3);
            FloatVector v = FloatVector.broadcast(S, w[wr + ws]);
            b0 = FloatVector.fromArray(S, x, xr + xs).fma(v, b0);
            b1 = FloatVector.fromArray(S, x, xr + xs + L).fma(v, b1);
            b2 = FloatVector.fromArray(S, x, xr + xs + 2 * L).fma(v, b2);
            b3 = FloatVector.fromArray(S, x, xr + xs + 3 * L).fma(v, b3);
        }
        if (r < n) {
            int xr = xc + r * xs;
            FloatVector u = FloatVector.broadcast(S, w[wo + r * ws]);
            a0 = FloatVector.fromArray(S, x, xr).fma(u, a0);
            a1 = FloatVector.fromArray(S, x, xr + L).fma(u, a1);
            a2 = FloatVector.fromArray(S, x, xr + 2 * L).fma(u, a2);
            a3 = FloatVector.fromArray(S, x, xr + 3 * L).fma(u, a3);
        }
        a0.add(b0).intoArray(y, yc);
        a1.add(b1).intoArray(y, yc + L);
        a2.add(b2).intoArray(y, yc + 2 * L);
        a3.add(b3).intoArray(y, yc + 3 * L);
    }

    /**
     * Two vectors of columns (a head of 32 on AVX-512), rows taken four at a time into four sets of
     * accumulators: eight chains, as {@link #combine4} has. Through {@link #combine1} twice, a
     * head ran two chains at the FMA's latency.
     */
    private static void combine2(float[] w, int wo, int ws, int n, float[] x, int xc, int xs, float[] y, int yc) {
        FloatVector a0 = FloatVector.fromArray(S, y, yc), a1 = FloatVector.fromArray(S, y, yc + L);
        FloatVector b0 = FloatVector.zero(S), b1 = b0, c0 = b0, c1 = b0, d0 = b0, d1 = b0;
        int r = 0;
        for (int xr = xc, wr = wo; r + 3 < n; r += 4, xr += 4 * xs, wr += 4 * ws) {
            FloatVector u = FloatVector.broadcast(S, w[wr]);
            a0 = FloatVector.fromArray(S, x, xr).fma(u, a0);
            a1 = FloatVector.fromArray(S, x, xr + L).fma(u, a1);
            u = FloatVector.broadcast(S, w[wr + ws]);
            b0 = FloatVector.fromArray(S, x, xr + xs).fma(u, b0);
            b1 = FloatVector.fromArray(S, x, xr + xs + L).fma(u, b1);
            u = FloatVector.broadcast(S, w[wr + 2 * ws]);
            c0 = FloatVector.fromArray(S, x, xr + 2 * xs).fma(u, c0);
            c1 = FloatVector.fromArray(S, x, xr + 2 * xs + L).fma(u, c1);
            u = FloatVector.broadcast(S, w[wr + 3 * ws]);
            d0 = FloatVector.fromArray(S, x, xr + 3 * xs).fma(u, d0);
            d1 = FloatVector.fromArray(S, x, xr + 3 * xs + L).fma(u, d1);
        }
        for (; r < n; r++) {
            int xr = xc + r * xs;
            FloatVector u = FloatVector.broadcast(S, w[wo + r * ws]);
            a0 = FloatVector.fromArray(S, x, xr).fma(u, a0);
            a1 = FloatVector.fromArray(S, x, xr + L).fma(u, a1);
        }
        a0.add(b0).add(c0.add(d0)).intoArray(y, yc);
        a1.add(b1).add(c1.add(d1)).intoArray(y, yc + L);
    }

    /** One vector of columns, two chains over alternate rows. */
    private static void combine1(float[] w, int wo, int ws, int n, float[] x, int xc, int xs, float[] y, int yc) {
        FloatVector a0 = FloatVector.fromArray(S, y, yc), a1 = FloatVector.zero(S);
        int r = 0;
        for (; r + 1 < n; r += 2) {
            a0 = FloatVector.fromArray(S, x, xc + r * xs).fma(FloatVector.broadcast(S, w[wo + r * ws]), a0);
            a1 = FloatVector.fromArray(S, x, xc + (r + 1) * xs).fma(FloatVector.broadcast(S, w[wo + (r + 1) * ws]), a1);
        }
        if (r < n) {
            a0 = FloatVector.fromArray(S, x, xc + r * xs).fma(FloatVector.broadcast(S, w[wo + r * ws]), a0);
        }
        a0.add(a1).intoArray(y, yc);
    }

    /** The largest of {@code s[so], …, s[so + n − 1]} (−∞ when n is 0). */
    static float rowMax(float[] s, int so, int n) {
        FloatVector most = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j + L <= n; j += L) {
            most = most.max(FloatVector.fromArray(S, s, so + j));
        }
        float m = most.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) {
            m = Math.max(m, s[so + j]);
        }
        return m;
    }

    /**
     * {@code s[so + j] = exp(s[so + j] − m)} for j < n, and 0 up to n rounded up to L; returns the
     * sum. Two loops, each its own method from arrays to arrays: inlined into the forward's
     * {@code block}, one loop passing vectors to and from {@link ExpF32#exp(FloatVector)} was
     * compiled with that call out of line, so every vector went through the heap (three quarters
     * of the attention's allocation, and its exps cost 1.4 ns each).
     */
    static double expShifted(float[] s, int so, int n, float m) {
        int end = (n + L - 1) / L * L;
        Arrays.fill(s, so + n, so + end, Float.NEGATIVE_INFINITY);
        expRun(s, so, end, m);
        return sumRun(s, so, end);
    }

    private static void expRun(float[] s, int so, int end, float m) {
        for (int j = 0; j < end; j += L) {
            ExpF32.exp(FloatVector.fromArray(S, s, so + j).sub(m)).intoArray(s, so + j);
        }
    }

    private static float sumRun(float[] s, int so, int end) {
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < end; j += L) {
            sum = sum.add(FloatVector.fromArray(S, s, so + j));
        }
        return Lanes.sum(sum);
    }

    /** One task's scratch for the forward; {@link #block} runs QUERY_BLOCK query rows of one head. */
    static final class Forward {
        private final AttentionGeometry g;
        private final float[] q, k, v, o, lse;
        private final AttentionRows qr, kr, vr, or, lr;
        private final int pad;
        private final float[] kt, s, acc;
        /** {@link #fourRows}' per-row max and sum of exponentials. */
        private final float[] maxes = new float[4];
        private final double[] sums = new double[4];
        private int transposed = -1;

        Forward(AttentionGeometry g, float[] q, float[] k, float[] v, float[] o, float[] lse, AttentionRows[] rows) {
            this.g = g;
            this.q = q;
            this.k = k;
            this.v = v;
            this.o = o;
            this.lse = lse;
            this.qr = rows[0];
            this.kr = rows[1];
            this.vr = rows[2];
            this.or = rows[3];
            this.lr = rows[4];
            this.pad = padded(g.lk());
            this.kt = KT.zeroed(g.headDim() * pad);
            this.s = SCORES.zeroed(4 * padded(AttentionKernels.TILE));
            this.acc = ACC.zeroed(4 * g.valueDim());
        }

        void block(int h, int row0) {
            int e = g.headDim(), ev = g.valueDim(), lk = g.lk();
            if (transposed != h) {
                transpose(k, kr.head(h), kr.rowStride(), lk, e, kt, pad);
                transposed = h;
            }
            float scale = (float) g.scale();
            int vb = vr.head(h), vs = vr.rowStride(), end = Math.min(g.lq(), row0 + AttentionKernels.QUERY_BLOCK);
            int i = row0;
            // One tile of keys: four rows at a time (fourRows), then each row on its own.
            for (; lk <= AttentionKernels.TILE && i + 3 < end; i += 4) {
                fourRows(h, i, vb, vs, scale);
            }
            for (; i < end; i++) {
                int nk = g.visibleKeys(i);
                Arrays.fill(acc, 0);
                float m = Float.NEGATIVE_INFINITY;
                double l = 0;
                for (int j0 = 0; j0 < nk; j0 += AttentionKernels.TILE) {
                    int n = Math.min(AttentionKernels.TILE, nk - j0);
                    scores(q, qr.at(h, i), e, kt, pad, j0, n, scale, s, 0);
                    float tmax = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        tmax = Math.max(tmax, s[j]);
                    }
                    float mNew = Math.max(m, tmax);
                    if (mNew == Float.NEGATIVE_INFINITY) {
                        continue;  // every score so far is −∞: nothing to add yet
                    }
                    if (mNew != m) {
                        float alpha = (float) Math.exp(m - mNew);  // 0 for the first tile (m = −∞)
                        l *= alpha;
                        for (int c = 0; c < ev; c++) {
                            acc[c] *= alpha;
                        }
                        m = mNew;
                    }
                    l += expShifted(s, 0, n, m);
                    combine(s, 0, 1, n, v, vb + j0 * vs, vs, ev, acc, 0, true);
                }
                int ob = or.at(h, i);
                if (l == 0) {
                    Arrays.fill(o, ob, ob + ev, 0f);
                    lse[lr.at(h, i)] = Float.NEGATIVE_INFINITY;
                } else {
                    float inv = (float) (1 / l);
                    for (int c = 0; c < ev; c++) {
                        o[ob + c] = acc[c] * inv;
                    }
                    lse[lr.at(h, i)] = (float) (m + Math.log(l));
                }
            }
        }

        /**
         * Rows i to i + 3 of head h, all of their keys in one tile (v's rows from {@code vb},
         * {@code vs} apart): the four rows' scores at once ({@link #scoresFour}), each row's
         * softmax numerators in place, zero past its own keys up to the most any of the four sees,
         * then {@code Σ_j p_j·v_j} for the four rows at once ({@link FourRowProduct}: each row of v
         * loaded once for four queries, eight FMA chains; row by row, every FMA had a load of its
         * own, and the products were a third of the forward). A row that sees no key, or whose every
         * score is −∞, gets zeros and −∞.
         */
        private void fourRows(int h, int i, int vb, int vs, float scale) {
            int ev = g.valueDim();
            int most = Math.max(Math.max(g.visibleKeys(i), g.visibleKeys(i + 1)), Math.max(g.visibleKeys(i + 2), g.visibleKeys(i + 3)));
            float[] m = maxes;
            double[] l = sums;
            Arrays.fill(l, 0);
            if (most > 0) {
                scoresFour(q, qr.at(h, i), qr.rowStride(), g.headDim(), kt, pad, most, scale, s, 0, pad);
                for (int r = 0; r < 4; r++) {
                    int nk = g.visibleKeys(i + r), so = r * pad;
                    m[r] = rowMax(s, so, nk);
                    int done = 0;
                    if (m[r] != Float.NEGATIVE_INFINITY) {
                        l[r] = expShifted(s, so, nk, m[r]);
                        done = (nk + L - 1) / L * L;
                    }
                    if (done < most) {
                        Arrays.fill(s, so + done, so + most, 0f);
                    }
                }
                FourRowProduct.multiply(s, 0, pad, most, v, vb, vs, ev, acc, 0, ev);
            }
            for (int r = 0; r < 4; r++) {
                int ob = or.at(h, i + r), at = lr.at(h, i + r);
                if (l[r] == 0) {
                    Arrays.fill(o, ob, ob + ev, 0f);
                    lse[at] = Float.NEGATIVE_INFINITY;
                    continue;
                }
                float inv = (float) (1 / l[r]);
                for (int c = 0; c < ev; c++) {
                    o[ob + c] = acc[r * ev + c] * inv;
                }
                lse[at] = (float) (m[r] + Math.log(l[r]));
            }
        }
    }

    /** One task's scratch for the backward of whole heads ({@link #head}). */
    static final class Backward {
        private final AttentionGeometry g;
        private final float[] q, k, v, o, go, lse, gq, gk, gv;
        private final AttentionRows qr, kr, vr, or, gor, lr, gqr, gkr, gvr;
        private final int pad;
        private final float[] kt, vt, p, ds;

        Backward(AttentionGeometry g, float[] q, float[] k, float[] v, float[] o, float[] go, float[] lse, float[] gq, float[] gk,
                 float[] gv, AttentionRows[] rows) {
            this.g = g;
            this.q = q;
            this.k = k;
            this.v = v;
            this.o = o;
            this.go = go;
            this.lse = lse;
            this.gq = gq;
            this.gk = gk;
            this.gv = gv;
            this.qr = rows[0];
            this.kr = rows[1];
            this.vr = rows[2];
            this.or = rows[3];
            this.gor = rows[4];
            this.lr = rows[5];
            this.gqr = rows[6];
            this.gkr = rows[7];
            this.gvr = rows[8];
            this.pad = padded(g.lk());
            this.kt = KT.zeroed(g.headDim() * pad);
            this.vt = VT.zeroed(g.valueDim() * pad);
            this.p = P.zeroed(AttentionKernels.QUERY_BLOCK * pad);
            this.ds = DS.zeroed(AttentionKernels.QUERY_BLOCK * pad);
        }

        /** All gradients of head h (its dK and dV rows are this call's alone). */
        void head(int h) {
            int e = g.headDim(), ev = g.valueDim(), lk = g.lk();
            zeroRows(gk, gkr.head(h), gkr.rowStride(), lk, e);
            zeroRows(gv, gvr.head(h), gvr.rowStride(), lk, ev);
            transpose(k, kr.head(h), kr.rowStride(), lk, e, kt, pad);
            transpose(v, vr.head(h), vr.rowStride(), lk, ev, vt, pad);
            gradients(h);
        }

        /**
         * Head h's gradients once its dK and dV rows are zero and its K and V transposed: per block of
         * query rows, P and dS four rows at a time ({@link #fourRows}, {@link #oneRow} for the rest),
         * then the block's part of dK and dV. A method of its own, too large for C2 to inline into
         * {@link #head}: with the zeroing, the transposes and the rows' work in one method, C2 ran
         * past its node budget, left {@link Lanes#sum} out of line and boxed its vector (200 KB per
         * call).
         */
        private void gradients(int h) {
            int e = g.headDim(), ev = g.valueDim(), lq = g.lq();
            int qb0 = qr.head(h), qs = qr.rowStride(), gob0 = gor.head(h), gos = gor.rowStride();
            int gkb = gkr.head(h), gks = gkr.rowStride(), gvb = gvr.head(h), gvs = gvr.rowStride();
            float scale = (float) g.scale();
            for (int i0 = 0; i0 < lq; i0 += AttentionKernels.QUERY_BLOCK) {
                int rows = Math.min(AttentionKernels.QUERY_BLOCK, lq - i0);
                int keys = 0;  // the most keys a row of the block sees (the last row's, when causal)
                int r = 0;
                for (; r + 3 < rows; r += 4) {
                    keys = Math.max(keys, fourRows(h, i0 + r, r * pad, scale));
                }
                for (; r < rows; r++) {
                    keys = Math.max(keys, oneRow(h, i0 + r, r * pad, scale));
                }
                int qb = qb0 + i0 * qs, gob = gob0 + i0 * gos, j = 0;
                // The block's rows before `first` see none of keys j..j+3 (their P and dS are zero
                // there): under a causal mask the diagonal block's upper triangle, a fifth of dK's and
                // dV's products at 128 positions in blocks of 32.
                int first = 0;
                for (; j + 3 < keys; j += 4) {
                    while (first < rows && g.visibleKeys(i0 + first) <= j) {
                        first++;
                    }
                    int at = j + first * pad, n = rows - first;
                    FourRowProduct.multiplyAdd(ds, at, 1, pad, n, q, qb + first * qs, qs, e, gk, gkb + j * gks, gks);
                    FourRowProduct.multiplyAdd(p, at, 1, pad, n, go, gob + first * gos, gos, ev, gv, gvb + j * gvs, gvs);
                }
                for (; j < keys; j++) {
                    combine(ds, j, pad, rows, q, qb, qs, e, gk, gkb + j * gks, true);
                    combine(p, j, pad, rows, go, gob, gos, ev, gv, gvb + j * gvs, true);
                }
            }
        }

        /**
         * Query rows i to i + 3 of head h into P and scale·dS at rows {@code at0} of the scratch,
         * and their dQ: the four rows' scores and {@code dO·Vᵀ} at once ({@link #scoresFour}, as
         * the forward scores them, so P is exp of the very scores the forward saw), dQ for the four
         * at once ({@link FourRowProduct}). Row by row these were half of the backward. Returns the
         * most keys a row sees (0 when none sees any).
         */
        private int fourRows(int h, int i, int at0, float scale) {
            int e = g.headDim(), most = 0;
            for (int r = 0; r < 4; r++) {
                if (lse[lr.at(h, i + r)] != Float.NEGATIVE_INFINITY) {
                    most = Math.max(most, g.visibleKeys(i + r));
                }
            }
            if (most == 0) {
                for (int r = 0; r < 4; r++) {
                    noKeys(h, i + r, at0 + r * pad);
                }
                return 0;
            }
            scoresFour(q, qr.at(h, i), qr.rowStride(), e, kt, pad, most, scale, p, at0, pad);
            scoresFour(go, gor.at(h, i), gor.rowStride(), g.valueDim(), vt, pad, most, 1f, ds, at0, pad);
            for (int r = 0; r < 4; r++) {
                int at = at0 + r * pad, nk = g.visibleKeys(i + r);
                float rowLse = lse[lr.at(h, i + r)];
                if (nk == 0 || rowLse == Float.NEGATIVE_INFINITY) {
                    Arrays.fill(p, at, at + pad, 0f);
                    Arrays.fill(ds, at, at + pad, 0f);
                } else {
                    finishRow(h, i + r, at, nk, rowLse, scale);
                }
            }
            FourRowProduct.multiply(ds, at0, pad, most, k, kr.head(h), kr.rowStride(), e, gq, gqr.at(h, i), gqr.rowStride());
            return most;
        }

        /** {@link #fourRows} for the one query row i. */
        private int oneRow(int h, int i, int at, float scale) {
            int nk = g.visibleKeys(i);
            float rowLse = lse[lr.at(h, i)];
            if (nk == 0 || rowLse == Float.NEGATIVE_INFINITY) {
                noKeys(h, i, at);
                return 0;
            }
            scores(q, qr.at(h, i), g.headDim(), kt, pad, 0, nk, scale, p, at);
            scores(go, gor.at(h, i), g.valueDim(), vt, pad, 0, nk, 1f, ds, at);
            finishRow(h, i, at, nk, rowLse, scale);
            combine(ds, at, 1, nk, k, kr.head(h), kr.rowStride(), g.headDim(), gq, gqr.at(h, i), false);
            return nk;
        }

        /** A row that sees no key: zero dQ, and zero P and dS for the block's dK and dV. */
        private void noKeys(int h, int i, int at) {
            int gqb = gqr.at(h, i);
            Arrays.fill(gq, gqb, gqb + g.headDim(), 0f);
            Arrays.fill(p, at, at + pad, 0f);
            Arrays.fill(ds, at, at + pad, 0f);
        }

        /**
         * Row i's scores at {@code p[at]} and {@code dO·Vᵀ} at {@code ds[at]} (its nk keys) into
         * {@code P = exp(s − lse)} and {@code scale·dS = scale·P∘(dP − D)} with {@code D = dO·O},
         * both 0 past the row's keys up to pad.
         */
        private void finishRow(int h, int i, int at, int nk, float rowLse, float scale) {
            int ob = or.at(h, i), gob = gor.at(h, i);
            double di = 0;
            for (int c = 0; c < g.valueDim(); c++) {
                di += (double) go[gob + c] * o[ob + c];
            }
            expShifted(p, at, nk, rowLse);
            float d = (float) di;
            int end = (nk + L - 1) / L * L;
            for (int j = 0; j < end; j += L) {
                FloatVector pv = FloatVector.fromArray(S, p, at + j);
                pv.mul(FloatVector.fromArray(S, ds, at + j).sub(d)).mul(scale).intoArray(ds, at + j);
            }
            Arrays.fill(p, at + end, at + pad, 0f);
            Arrays.fill(ds, at + end, at + pad, 0f);
        }
    }
}
