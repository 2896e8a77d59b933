package dev.fathom.conformance;

/**
 * The fused kernels' meaning as naive F64 loops (softmax over {@code (outer, n, inner)}, layer norm
 * over rows of n, batch norm over {@code (N, C, S)}), written from the definitions in
 * {@link dev.fathom.spi.Kernels} without tensor ops. Each returns fresh arrays.
 */
final class FusedRef {
    private FusedRef() {
    }

    static double[] softmax(double[] x, int outer, int n, int inner, boolean log) {
        double[] out = new double[x.length];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < n; k++) {
                    max = Math.max(max, x[base + k * inner]);
                }
                double shift = Double.isFinite(max) ? max : 0;
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    sum += Math.exp(x[base + k * inner] - shift);
                }
                for (int k = 0; k < n; k++) {
                    double v = x[base + k * inner] - shift;
                    out[base + k * inner] = log ? v - Math.log(sum) : Math.exp(v) / sum;
                }
            }
        }
        return out;
    }

    static double[] softmaxBackward(double[] y, double[] gy, int outer, int n, int inner, boolean log) {
        double[] gx = new double[y.length];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                double s = 0;
                for (int k = 0; k < n; k++) {
                    int at = base + k * inner;
                    s += log ? gy[at] : gy[at] * y[at];
                }
                for (int k = 0; k < n; k++) {
                    int at = base + k * inner;
                    gx[at] = log ? gy[at] - Math.exp(y[at]) * s : y[at] * (gy[at] - s);
                }
            }
        }
        return gx;
    }

    /** {out, mean, rstd}; w and b may be null. */
    static double[][] layerNorm(double[] x, int rows, int n, double[] w, double[] b, double eps) {
        double[] out = new double[x.length], mean = new double[rows], rstd = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < n; j++) {
                s += x[r * n + j];
            }
            mean[r] = s / n;
            double ss = 0;
            for (int j = 0; j < n; j++) {
                double d = x[r * n + j] - mean[r];
                ss += d * d;
            }
            rstd[r] = 1 / Math.sqrt(ss / n + eps);
            for (int j = 0; j < n; j++) {
                out[r * n + j] = (x[r * n + j] - mean[r]) * rstd[r] * (w == null ? 1 : w[j]) + (b == null ? 0 : b[j]);
            }
        }
        return new double[][] {out, mean, rstd};
    }

    /** {gx, gw, gb} from the given statistics. */
    static double[][] layerNormBackward(double[] gy, double[] x, double[] mean, double[] rstd, double[] w, int rows, int n) {
        double[] gx = new double[x.length], gw = new double[n], gb = new double[n];
        for (int r = 0; r < rows; r++) {
            double mg = 0, mgx = 0;
            for (int j = 0; j < n; j++) {
                double xhat = (x[r * n + j] - mean[r]) * rstd[r], g = gy[r * n + j] * (w == null ? 1 : w[j]);
                mg += g / n;
                mgx += g * xhat / n;
                gw[j] += gy[r * n + j] * xhat;
                gb[j] += gy[r * n + j];
            }
            for (int j = 0; j < n; j++) {
                double xhat = (x[r * n + j] - mean[r]) * rstd[r], g = gy[r * n + j] * (w == null ? 1 : w[j]);
                gx[r * n + j] = rstd[r] * (g - mg - xhat * mgx);
            }
        }
        return new double[][] {gx, gw, gb};
    }

    private static int at(int i, int ch, int s, int c, int sp) {
        return (i * c + ch) * sp + s;
    }

    /** {out, mean, invstd} of x (N, C, S). */
    static double[][] batchNorm(double[] x, int n, int c, int sp, double[] w, double[] b, double eps) {
        double[] out = new double[x.length], mean = new double[c], inv = new double[c];
        double m = (double) n * sp;
        for (int ch = 0; ch < c; ch++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < sp; k++) {
                    s += x[at(i, ch, k, c, sp)];
                }
            }
            mean[ch] = s / m;
            double ss = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < sp; k++) {
                    double d = x[at(i, ch, k, c, sp)] - mean[ch];
                    ss += d * d;
                }
            }
            inv[ch] = 1 / Math.sqrt(ss / m + eps);
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < sp; k++) {
                    int a = at(i, ch, k, c, sp);
                    out[a] = (x[a] - mean[ch]) * inv[ch] * (w == null ? 1 : w[ch]) + (b == null ? 0 : b[ch]);
                }
            }
        }
        return new double[][] {out, mean, inv};
    }

    /** {gx, gw, gb} from the given statistics. */
    static double[][] batchNormBackward(double[] gy, double[] x, double[] mean, double[] inv, double[] w, int n, int c, int sp) {
        double[] gx = new double[x.length], gw = new double[c], gb = new double[c];
        double m = (double) n * sp;
        for (int ch = 0; ch < c; ch++) {
            double wc = w == null ? 1 : w[ch], mg = 0, mgx = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < sp; k++) {
                    int a = at(i, ch, k, c, sp);
                    double xhat = (x[a] - mean[ch]) * inv[ch];
                    mg += gy[a] * wc / m;
                    mgx += gy[a] * wc * xhat / m;
                    gw[ch] += gy[a] * xhat;
                    gb[ch] += gy[a];
                }
            }
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < sp; k++) {
                    int a = at(i, ch, k, c, sp);
                    double xhat = (x[a] - mean[ch]) * inv[ch];
                    gx[a] = inv[ch] * (gy[a] * wc - mg - xhat * mgx);
                }
            }
        }
        return new double[][] {gx, gw, gb};
    }
}
