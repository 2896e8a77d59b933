package dev.fathom.cpu;

import dev.fathom.spi.AttentionGeometry;

import java.util.Arrays;

/**
 * The F64 path of {@link AttentionKernels}: the same algorithm (key tiles with a running max in the
 * forward, P recomputed from lse in the backward) in plain scalar loops. Operand offsets come in
 * {@link AttentionKernels}' order: q, k, v, out, logsumexp (forward); q, k, v, out, gradOut,
 * logsumexp, gradQ, gradK, gradV (backward), each as its {@link AttentionRows}.
 */
final class AttentionF64 {
    private AttentionF64() {
    }

    /** Query rows {@code [row0, row1)} of head h. */
    static void forward(AttentionGeometry g, double[] q, double[] k, double[] v, double[] o, double[] lse, AttentionRows[] rows, int h,
                        int row0, int row1) {
        int e = g.headDim(), ev = g.valueDim();
        int kb = rows[1].head(h), ks = rows[1].rowStride(), vb = rows[2].head(h), vs = rows[2].rowStride();
        double[] s = new double[AttentionKernels.TILE];
        double[] acc = new double[ev];
        for (int i = row0; i < row1; i++) {
            int nk = g.visibleKeys(i), qb = rows[0].at(h, i);
            Arrays.fill(acc, 0);
            double m = Double.NEGATIVE_INFINITY, l = 0;
            for (int j0 = 0; j0 < nk; j0 += AttentionKernels.TILE) {
                int n = Math.min(AttentionKernels.TILE, nk - j0);
                double tmax = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    s[j] = g.scale() * dot(q, qb, k, kb + (j0 + j) * ks, e);
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
                    int at = vb + (j0 + j) * vs;
                    for (int c = 0; c < ev; c++) {
                        acc[c] += p * v[at + c];
                    }
                }
            }
            int ob = rows[3].at(h, i);
            for (int c = 0; c < ev; c++) {
                o[ob + c] = l == 0 ? 0 : acc[c] / l;
            }
            lse[rows[4].at(h, i)] = l == 0 ? Double.NEGATIVE_INFINITY : m + Math.log(l);
        }
    }

    /** All gradients of head h (its dK and dV rows are this call's alone). */
    static void backward(AttentionGeometry g, double[] q, double[] k, double[] v, double[] o, double[] go, double[] lse, double[] gq,
                         double[] gk, double[] gv, AttentionRows[] rows, int h) {
        int e = g.headDim(), ev = g.valueDim(), lk = g.lk(), lq = g.lq();
        int kb = rows[1].head(h), ks = rows[1].rowStride(), vb = rows[2].head(h), vs = rows[2].rowStride();
        int gkb = rows[7].head(h), gks = rows[7].rowStride(), gvb = rows[8].head(h), gvs = rows[8].rowStride();
        for (int j = 0; j < lk; j++) {
            Arrays.fill(gk, gkb + j * gks, gkb + j * gks + e, 0);
            Arrays.fill(gv, gvb + j * gvs, gvb + j * gvs + ev, 0);
        }
        for (int i = 0; i < lq; i++) {
            int nk = g.visibleKeys(i);
            int qb = rows[0].at(h, i), ob = rows[3].at(h, i), gob = rows[4].at(h, i), gqb = rows[6].at(h, i);
            Arrays.fill(gq, gqb, gqb + e, 0);
            double rowLse = lse[rows[5].at(h, i)];
            if (nk == 0 || rowLse == Double.NEGATIVE_INFINITY) {
                continue;
            }
            double di = dot(go, gob, o, ob, ev);
            for (int j = 0; j < nk; j++) {
                double p = Math.exp(g.scale() * dot(q, qb, k, kb + j * ks, e) - rowLse);
                double ds = g.scale() * p * (dot(go, gob, v, vb + j * vs, ev) - di);
                for (int c = 0; c < e; c++) {
                    gq[gqb + c] += ds * k[kb + j * ks + c];
                    gk[gkb + j * gks + c] += ds * q[qb + c];
                }
                for (int c = 0; c < ev; c++) {
                    gv[gvb + j * gvs + c] += p * go[gob + c];
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
