package dev.fathom.cpu;

import dev.fathom.spi.AttentionGeometry;

import java.util.Arrays;

/**
 * The F64 path of {@link AttentionKernels}: the same algorithm (key tiles with a running max in the
 * forward, P recomputed from lse in the backward) in plain scalar loops. Operand offsets come in
 * {@link AttentionKernels}' order: q, k, v, out, logsumexp (forward); q, k, v, out, gradOut,
 * logsumexp, gradQ, gradK, gradV (backward).
 */
final class AttentionF64 {
    private AttentionF64() {
    }

    /** Query rows {@code [row0, row1)} of head h. */
    static void forward(AttentionGeometry g, double[] q, double[] k, double[] v, double[] o, double[] lse, int[] offs, int h, int row0,
                        int row1) {
        int e = g.headDim(), ev = g.valueDim(), lk = g.lk();
        int kb = offs[1] + h * lk * e, vb = offs[2] + h * lk * ev;
        double[] s = new double[AttentionKernels.TILE];
        double[] acc = new double[ev];
        for (int i = row0; i < row1; i++) {
            int row = h * g.lq() + i, nk = g.visibleKeys(i), qb = offs[0] + row * e;
            Arrays.fill(acc, 0);
            double m = Double.NEGATIVE_INFINITY, l = 0;
            for (int j0 = 0; j0 < nk; j0 += AttentionKernels.TILE) {
                int n = Math.min(AttentionKernels.TILE, nk - j0);
                double tmax = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    s[j] = g.scale() * dot(q, qb, k, kb + (j0 + j) * e, e);
                    tmax = Math.max(tmax, s[j]);
                }
                double mNew = Math.max(m, tmax);
                if (mNew == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                if (mNew != m) {
                    double alpha = Math.exp(m - mNew);
                    l *= alpha;
                    for (int c = 0; c < ev; c++) {
                        acc[c] *= alpha;
                    }
                    m = mNew;
                }
                for (int j = 0; j < n; j++) {
                    double p = Math.exp(s[j] - m);
                    l += p;
                    int at = vb + (j0 + j) * ev;
                    for (int c = 0; c < ev; c++) {
                        acc[c] += p * v[at + c];
                    }
                }
            }
            int ob = offs[3] + row * ev;
            for (int c = 0; c < ev; c++) {
                o[ob + c] = l == 0 ? 0 : acc[c] / l;
            }
            lse[offs[4] + row] = l == 0 ? Double.NEGATIVE_INFINITY : m + Math.log(l);
        }
    }

    /** All gradients of head h (its dK and dV rows are this call's alone). */
    static void backward(AttentionGeometry g, double[] q, double[] k, double[] v, double[] o, double[] go, double[] lse, double[] gq,
                         double[] gk, double[] gv, int[] offs, int h) {
        int e = g.headDim(), ev = g.valueDim(), lk = g.lk(), lq = g.lq();
        int kb = offs[1] + h * lk * e, vb = offs[2] + h * lk * ev, gkb = offs[7] + h * lk * e, gvb = offs[8] + h * lk * ev;
        Arrays.fill(gk, gkb, gkb + lk * e, 0);
        Arrays.fill(gv, gvb, gvb + lk * ev, 0);
        for (int i = 0; i < lq; i++) {
            int row = h * lq + i, nk = g.visibleKeys(i);
            int qb = offs[0] + row * e, ob = offs[3] + row * ev, gob = offs[4] + row * ev, gqb = offs[6] + row * e;
            Arrays.fill(gq, gqb, gqb + e, 0);
            double rowLse = lse[offs[5] + row];
            if (nk == 0 || rowLse == Double.NEGATIVE_INFINITY) {
                continue;
            }
            double di = dot(go, gob, o, ob, ev);
            for (int j = 0; j < nk; j++) {
                double p = Math.exp(g.scale() * dot(q, qb, k, kb + j * e, e) - rowLse);
                double ds = g.scale() * p * (dot(go, gob, v, vb + j * ev, ev) - di);
                for (int c = 0; c < e; c++) {
                    gq[gqb + c] += ds * k[kb + j * e + c];
                    gk[gkb + j * e + c] += ds * q[qb + c];
                }
                for (int c = 0; c < ev; c++) {
                    gv[gvb + j * ev + c] += p * go[gob + c];
                }
            }
        }
    }

    private static double dot(double[] a, int ao, double[] b, int bo, int n) {
        double s = 0;
        for (int c = 0; c < n; c++) {
            s += a[ao + c] * b[bo + c];
        }
        return s;
    }
}
