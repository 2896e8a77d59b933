package dev.fathom.cpu;

import dev.fathom.spi.AttentionGeometry;
import dev.fathom.spi.Strided;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

import static dev.fathom.cpu.FusedOperands.floating;
import static dev.fathom.cpu.FusedOperands.off;

/**
 * Fused scaled-dot-product attention, forward and backward, as {@link dev.fathom.spi.Kernels}
 * defines it (FlashAttention-2, Dao 2023): the {@code [lq, lk]} scores are never stored.
 *
 * <p>Forward: per query row, the visible keys go in tiles of {@link #TILE}; a running max m and sum
 * l are rescaled by {@code exp(m_old − m_new)} when a tile raises the max (online softmax, Milakov
 * and Gimelshein 2018), the output accumulates {@code Σ p_j·v_j} the same way, and
 * {@code lse = m + log l} is saved. Backward: P is recomputed from the scores and lse, with
 * {@code D_i = rowsum(dO∘O)}; dQ row by row, dK and dV accumulated over the rows of their head.
 *
 * <p>F32 runs on the Vector API: K (and V in the backward) is transposed once per head into
 * {@code [D, lkPad]} scratch, so that a query's scores for L keys at a time are D lane-wise FMAs
 * with no horizontal sum; the rows of P·V, dQ, dK and dV are lane-wise axpys. F64 is
 * {@link AttentionF64}'s scalar loops. The forward splits (head, block of {@link #QUERY_BLOCK}
 * rows) units across the pool; the backward splits heads, each owning its dK and dV rows.
 */
final class AttentionKernels {
    static final int TILE = 128;
    static final int QUERY_BLOCK = 32;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private AttentionKernels() {
    }

    static void forward(AttentionGeometry g, Strided qs, Strided ks, Strided vs, Strided os, Strided lses) {
        String op = "attentionForward";
        CpuBuffer q = operand(op, "q", qs, g, g.queryShape()), k = operand(op, "k", ks, g, g.keyShape()),
                v = operand(op, "v", vs, g, g.valueShape()), o = operand(op, "out", os, g, g.outputShape()),
                lse = operand(op, "logsumexp", lses, g, g.logsumexpShape());
        int blocks = (g.lq() + QUERY_BLOCK - 1) / QUERY_BLOCK;
        long units = (long) g.batchHeads() * blocks;
        long work = Math.max(1, (long) QUERY_BLOCK * Math.max(1, g.lk()) * (g.headDim() + g.valueDim()));
        long grain = Math.max(1, ElementwiseKernels.GRAIN / work);
        int[] offs = {off(qs), off(ks), off(vs), off(os), off(lses)};
        Parallel.forRange(units, grain, (lo, hi) -> {
            if (q.f != null) {
                ForwardF32 f = new ForwardF32(g, q.f, k.f, v.f, o.f, lse.f, offs);
                for (long u = lo; u < hi; u++) {
                    f.block((int) (u / blocks), (int) (u % blocks) * QUERY_BLOCK);
                }
            } else {
                for (long u = lo; u < hi; u++) {
                    int row0 = (int) (u % blocks) * QUERY_BLOCK;
                    AttentionF64.forward(g, q.d, k.d, v.d, o.d, lse.d, offs, (int) (u / blocks), row0, Math.min(g.lq(), row0 + QUERY_BLOCK));
                }
            }
        });
    }

    static void backward(AttentionGeometry g, Strided qs, Strided ks, Strided vs, Strided os, Strided gos, Strided lses,
                         Strided gqs, Strided gks, Strided gvs) {
        String op = "attentionBackward";
        CpuBuffer q = operand(op, "q", qs, g, g.queryShape()), k = operand(op, "k", ks, g, g.keyShape()),
                v = operand(op, "v", vs, g, g.valueShape()), o = operand(op, "out", os, g, g.outputShape()),
                go = operand(op, "gradOut", gos, g, g.outputShape()), lse = operand(op, "logsumexp", lses, g, g.logsumexpShape()),
                gq = operand(op, "gradQ", gqs, g, g.queryShape()), gk = operand(op, "gradK", gks, g, g.keyShape()),
                gv = operand(op, "gradV", gvs, g, g.valueShape());
        long work = Math.max(1, (long) Math.max(1, g.lq()) * Math.max(1, g.lk()) * (g.headDim() + g.valueDim()));
        long grain = Math.max(1, ElementwiseKernels.GRAIN / work);
        int[] offs = {off(qs), off(ks), off(vs), off(os), off(gos), off(lses), off(gqs), off(gks), off(gvs)};
        Parallel.forRange(g.batchHeads(), grain, (lo, hi) -> {
            BackwardF32 b = q.f != null ? new BackwardF32(g, q.f, k.f, v.f, o.f, go.f, lse.f, gq.f, gk.f, gv.f, offs) : null;
            for (int h = (int) lo; h < hi; h++) {
                if (b != null) {
                    b.head(h);
                } else {
                    AttentionF64.backward(g, q.d, k.d, v.d, o.d, go.d, lse.d, gq.d, gk.d, gv.d, offs, h);
                }
            }
        });
    }

    private static CpuBuffer operand(String op, String name, Strided s, AttentionGeometry g, int[] shape) {
        if (s == null) {
            throw new IllegalArgumentException("cpu " + op + ": " + name + " is null; pass a contiguous " + Arrays.toString(shape) + " operand");
        }
        CpuBuffer b = floating(op, s);
        if (b.dtype != g.dtype() || s.numel() != dev.fathom.tensor.Shape.numel(shape) || !s.isContiguous()) {
            throw new IllegalArgumentException("cpu " + op + ": " + name + " must be contiguous " + Arrays.toString(shape) + " " + g.dtype()
                    + " for " + g + ", got " + s);
        }
        return b;
    }

    /** K (or V) of head h transposed into {@code t[d·pad + j]}, zero-padded to {@code pad} keys. */
    static void transpose(float[] src, int base, int rows, int cols, float[] t, int pad) {
        for (int j = 0; j < rows; j++) {
            for (int d = 0; d < cols; d++) {
                t[d * pad + j] = src[base + j * cols + d];
            }
        }
    }

    /** {@code s[0..n) = scale·Σ_d x[d]·t[d·pad + j0 + j]}, lanes beyond n computed on the padding. */
    static void scores(float[] x, int xo, int dims, float[] t, int pad, int j0, int n, float scale, float[] s) {
        for (int j = 0; j < n; j += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int d = 0; d < dims; d++) {
                acc = FloatVector.fromArray(S, t, d * pad + j0 + j).fma(FloatVector.broadcast(S, x[xo + d]), acc);
            }
            acc.mul(scale).intoArray(s, j);
        }
    }

    /** {@code y[yo..yo+n) += a·x[xo..xo+n)}. */
    static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        int c = 0;
        if (n >= L) {
            FloatVector av = FloatVector.broadcast(S, a);
            for (; c <= n - L; c += L) {
                FloatVector.fromArray(S, x, xo + c).fma(av, FloatVector.fromArray(S, y, yo + c)).intoArray(y, yo + c);
            }
        }
        for (; c < n; c++) {
            y[yo + c] += a * x[xo + c];
        }
    }

    static int padded(int n) {
        return Math.max(L, (n + L - 1) / L * L);
    }

    /** One task's scratch for the F32 forward. */
    private static final class ForwardF32 {
        private final AttentionGeometry g;
        private final float[] q, k, v, o, lse;
        private final int[] offs;
        private final int pad;
        private final float[] kt, s, acc;
        private int transposed = -1;

        ForwardF32(AttentionGeometry g, float[] q, float[] k, float[] v, float[] o, float[] lse, int[] offs) {
            this.g = g;
            this.q = q;
            this.k = k;
            this.v = v;
            this.o = o;
            this.lse = lse;
            this.offs = offs;
            this.pad = padded(g.lk());
            this.kt = new float[g.headDim() * pad];
            this.s = new float[padded(TILE)];
            this.acc = new float[g.valueDim()];
        }

        void block(int h, int row0) {
            int e = g.headDim(), ev = g.valueDim(), lk = g.lk();
            if (transposed != h) {
                transpose(k, offs[1] + h * lk * e, lk, e, kt, pad);
                transposed = h;
            }
            float scale = (float) g.scale();
            int vb = offs[2] + h * lk * ev;
            for (int i = row0; i < Math.min(g.lq(), row0 + QUERY_BLOCK); i++) {
                int row = h * g.lq() + i, nk = g.visibleKeys(i);
                Arrays.fill(acc, 0);
                float m = Float.NEGATIVE_INFINITY;
                double l = 0;
                for (int j0 = 0; j0 < nk; j0 += TILE) {
                    int n = Math.min(TILE, nk - j0);
                    scores(q, offs[0] + row * e, e, kt, pad, j0, n, scale, s);
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
                    int j = 0;
                    FloatVector sum = FloatVector.zero(S);
                    for (; j <= n - L; j += L) {
                        FloatVector p = FloatVector.fromArray(S, s, j).sub(m).lanewise(VectorOperators.EXP);
                        p.intoArray(s, j);
                        sum = sum.add(p);
                    }
                    double tsum = sum.reduceLanes(VectorOperators.ADD);
                    for (; j < n; j++) {
                        s[j] = (float) Math.exp(s[j] - m);
                        tsum += s[j];
                    }
                    l += tsum;
                    for (j = 0; j < n; j++) {
                        axpy(s[j], v, vb + (j0 + j) * ev, acc, 0, ev);
                    }
                }
                int ob = offs[3] + row * ev;
                if (l == 0) {
                    Arrays.fill(o, ob, ob + ev, 0f);
                    lse[offs[4] + row] = Float.NEGATIVE_INFINITY;
                } else {
                    float inv = (float) (1 / l);
                    for (int c = 0; c < ev; c++) {
                        o[ob + c] = acc[c] * inv;
                    }
                    lse[offs[4] + row] = (float) (m + Math.log(l));
                }
            }
        }
    }

    /** One task's scratch for the F32 backward of whole heads. */
    private static final class BackwardF32 {
        private final AttentionGeometry g;
        private final float[] q, k, v, o, go, lse, gq, gk, gv;
        private final int[] offs;
        private final int pad;
        private final float[] kt, vt, p, dp;

        BackwardF32(AttentionGeometry g, float[] q, float[] k, float[] v, float[] o, float[] go, float[] lse, float[] gq, float[] gk,
                    float[] gv, int[] offs) {
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
            this.offs = offs;
            this.pad = padded(g.lk());
            this.kt = new float[g.headDim() * pad];
            this.vt = new float[g.valueDim() * pad];
            this.p = new float[pad];
            this.dp = new float[pad];
        }

        void head(int h) {
            int e = g.headDim(), ev = g.valueDim(), lk = g.lk(), lq = g.lq();
            int kb = offs[1] + h * lk * e, vb = offs[2] + h * lk * ev;
            int gkb = offs[7] + h * lk * e, gvb = offs[8] + h * lk * ev;
            Arrays.fill(gk, gkb, gkb + lk * e, 0f);
            Arrays.fill(gv, gvb, gvb + lk * ev, 0f);
            transpose(k, kb, lk, e, kt, pad);
            transpose(v, vb, lk, ev, vt, pad);
            float scale = (float) g.scale();
            for (int i = 0; i < lq; i++) {
                int row = h * lq + i, nk = g.visibleKeys(i);
                int qb = offs[0] + row * e, ob = offs[3] + row * ev, gob = offs[4] + row * ev, gqb = offs[6] + row * e;
                Arrays.fill(gq, gqb, gqb + e, 0f);
                float rowLse = lse[offs[5] + row];
                if (nk == 0 || rowLse == Float.NEGATIVE_INFINITY) {
                    continue;
                }
                double di = 0;
                for (int c = 0; c < ev; c++) {
                    di += (double) go[gob + c] * o[ob + c];
                }
                scores(q, qb, e, kt, pad, 0, nk, scale, p);
                scores(go, gob, ev, vt, pad, 0, nk, 1f, dp);
                int j = 0;
                float dv = (float) di;
                for (; j <= nk - L; j += L) {
                    FloatVector pv = FloatVector.fromArray(S, p, j).sub(rowLse).lanewise(VectorOperators.EXP);
                    pv.intoArray(p, j);
                    pv.mul(FloatVector.fromArray(S, dp, j).sub(dv)).mul(scale).intoArray(dp, j);
                }
                for (; j < nk; j++) {
                    p[j] = (float) Math.exp(p[j] - rowLse);
                    dp[j] = p[j] * (dp[j] - dv) * scale;
                }
                // dp now holds scale·dS.
                for (j = 0; j < nk; j++) {
                    axpy(dp[j], k, kb + j * e, gq, gqb, e);
                    axpy(dp[j], q, qb, gk, gkb + j * e, e);
                    axpy(p[j], go, gob, gv, gvb + j * ev, ev);
                }
            }
        }
    }
}
