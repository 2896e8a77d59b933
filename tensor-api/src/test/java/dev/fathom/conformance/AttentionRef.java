package dev.fathom.conformance;

/**
 * Attention written naively in F64, independent of the tensor code: the unfused formula
 * {@code softmax(q·kᵀ/√E + mask)·v} as loops, and PyTorch's {@code nn.MultiheadAttention} on top
 * of it (packed in-projection, heads, out-projection). A query row with every key ignored gets
 * zero weights (Fathom's documented choice, Note [fully masked rows] in {@code Attention}).
 */
final class AttentionRef {
    private AttentionRef() {
    }

    /** Which keys a query may not see: [rows][L][S]. */
    interface Ignored {
        boolean at(int row, int i, int j);
    }

    /**
     * q [rows, L, E], k [rows, S, E], v [rows, S, Ev] (rows = all leading dims), additive [L, S] or
     * null; the weights [rows, L, S] go to {@code weightsOut} when it is not null.
     */
    static double[] sdpa(double[] q, double[] k, double[] v, Ignored ignored, double[] additive, int rows, int l, int s, int e, int ev,
                         double[] weightsOut) {
        double[] out = new double[rows * l * ev];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < l; i++) {
                double[] p = new double[s];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < s; j++) {
                    if (ignored != null && ignored.at(r, i, j)) {
                        continue;
                    }
                    double dot = 0;
                    for (int c = 0; c < e; c++) {
                        dot += q[(r * l + i) * e + c] * k[(r * s + j) * e + c];
                    }
                    p[j] = dot / Math.sqrt(e) + (additive == null ? 0 : additive[i * s + j]);
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j < s; j++) {
                    boolean off = ignored != null && ignored.at(r, i, j);
                    p[j] = off ? 0 : Math.exp(p[j] - max);
                    sum += p[j];
                }
                for (int j = 0; j < s; j++) {
                    p[j] = sum == 0 ? 0 : p[j] / sum;
                    if (weightsOut != null) {
                        weightsOut[(r * l + i) * s + j] = p[j];
                    }
                    for (int c = 0; c < ev; c++) {
                        out[(r * l + i) * ev + c] += p[j] * v[(r * s + j) * ev + c];
                    }
                }
            }
        }
        return out;
    }

    /** y [rows, out] = x [rows, in]·w[rowOffset.., :]ᵀ + b[rowOffset..]. */
    static double[] project(double[] x, int rows, int in, double[] w, double[] b, int rowOffset, int out) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double acc = b == null ? 0 : b[rowOffset + o];
                for (int c = 0; c < in; c++) {
                    acc += x[r * in + c] * w[(rowOffset + o) * in + c];
                }
                y[r * out + o] = acc;
            }
        }
        return y;
    }

    /**
     * nn.MultiheadAttention on batch-first query [N, L, E], key and value [N, S, E]; keyPadding
     * [N][S] and attnMask [L][S] (true = ignore) may be null; causal aligns the last L keys.
     */
    static double[] mha(double[] query, double[] key, double[] value, int n, int l, int s, int e, int heads, double[] inW, double[] inB,
                        double[] outW, double[] outB, boolean[][] keyPadding, boolean[][] attnMask, boolean causal) {
        int dh = e / heads;
        double[] q = project(query, n * l, e, inW, inB, 0, e);
        double[] k = project(key, n * s, e, inW, inB, e, e);
        double[] v = project(value, n * s, e, inW, inB, 2 * e, e);
        // [N, T, H, Dh] -> [N·H, T, Dh]
        double[] qh = split(q, n, l, heads, dh);
        double[] kh = split(k, n, s, heads, dh);
        double[] vh = split(v, n, s, heads, dh);
        Ignored ignored = (row, i, j) -> (keyPadding != null && keyPadding[row / heads][j]) || (attnMask != null && attnMask[i][j])
                || (causal && j > i + s - l);
        double[] o = sdpa(qh, kh, vh, ignored, null, n * heads, l, s, dh, dh, null);
        double[] merged = new double[n * l * e];
        for (int b = 0; b < n; b++) {
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < l; t++) {
                    for (int c = 0; c < dh; c++) {
                        merged[(b * l + t) * e + h * dh + c] = o[((b * heads + h) * l + t) * dh + c];
                    }
                }
            }
        }
        return project(merged, n * l, e, outW, outB, 0, e);
    }

    private static double[] split(double[] x, int n, int t, int heads, int dh) {
        double[] out = new double[x.length];
        for (int b = 0; b < n; b++) {
            for (int h = 0; h < heads; h++) {
                for (int p = 0; p < t; p++) {
                    for (int c = 0; c < dh; c++) {
                        out[((b * heads + h) * t + p) * dh + c] = x[(b * t + p) * heads * dh + h * dh + c];
                    }
                }
            }
        }
        return out;
    }

    /** [A, B, C] -> [B, A, C] (sequence-first <-> batch-first). */
    static double[] swap01(double[] x, int a, int b, int c) {
        double[] out = new double[x.length];
        for (int i = 0; i < a; i++) {
            for (int j = 0; j < b; j++) {
                System.arraycopy(x, (i * b + j) * c, out, (j * a + i) * c, c);
            }
        }
        return out;
    }
}
