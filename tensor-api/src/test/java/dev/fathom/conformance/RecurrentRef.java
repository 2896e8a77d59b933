package dev.fathom.conformance;

import java.util.Map;

/**
 * A step-by-step F64 reference of PyTorch's RNN, LSTM and GRU (unidirectional, no dropout), written
 * from the formulas in PyTorch's documentation, one scalar at a time. Sequences are seq-first
 * {@code x[t][n][i]}; states {@code [layer][n][j]}; weights by PyTorch's names, row-major.
 */
final class RecurrentRef {
    enum Kind { RNN_TANH, RNN_RELU, LSTM, GRU }

    /** Output {@code [T][N][H]} and final states {@code [L][N][H]} (c null unless LSTM). */
    record Result(double[][][] out, double[][][] h, double[][][] c) {
    }

    private RecurrentRef() {
    }

    static int gates(Kind kind) {
        return switch (kind) {
            case RNN_TANH, RNN_RELU -> 1;
            case LSTM -> 4;
            case GRU -> 3;
        };
    }

    static Result run(Kind kind, Map<String, double[]> w, int layers, int hidden, double[][][] x, double[][][] h0, double[][][] c0) {
        int steps = x.length, batch = x[0].length;
        double[][][] h = new double[layers][batch][hidden];
        double[][][] c = new double[layers][batch][hidden];
        for (int k = 0; k < layers; k++) {
            for (int n = 0; n < batch; n++) {
                if (h0 != null) {
                    h[k][n] = h0[k][n].clone();
                }
                if (c0 != null) {
                    c[k][n] = c0[k][n].clone();
                }
            }
        }
        double[][][] seq = x;
        for (int k = 0; k < layers; k++) {
            int in = seq[0][0].length;
            double[] wih = w.get("weight_ih_l" + k), whh = w.get("weight_hh_l" + k);
            double[] bih = w.get("bias_ih_l" + k), bhh = w.get("bias_hh_l" + k);
            int rows = gates(kind) * hidden;
            double[][][] out = new double[steps][batch][hidden];
            for (int t = 0; t < steps; t++) {
                for (int n = 0; n < batch; n++) {
                    double[] gi = new double[rows], gh = new double[rows];
                    for (int r = 0; r < rows; r++) {
                        gi[r] = bih == null ? 0 : bih[r];
                        gh[r] = bhh == null ? 0 : bhh[r];
                        for (int i = 0; i < in; i++) {
                            gi[r] += wih[r * in + i] * seq[t][n][i];
                        }
                        for (int j = 0; j < hidden; j++) {
                            gh[r] += whh[r * hidden + j] * h[k][n][j];
                        }
                    }
                    double[] hn = new double[hidden], cn = new double[hidden];
                    for (int j = 0; j < hidden; j++) {
                        switch (kind) {
                            case RNN_TANH -> hn[j] = Math.tanh(gi[j] + gh[j]);
                            case RNN_RELU -> hn[j] = Math.max(0, gi[j] + gh[j]);
                            case LSTM -> {
                                double ig = sigmoid(gi[j] + gh[j]);
                                double fg = sigmoid(gi[hidden + j] + gh[hidden + j]);
                                double gg = Math.tanh(gi[2 * hidden + j] + gh[2 * hidden + j]);
                                double og = sigmoid(gi[3 * hidden + j] + gh[3 * hidden + j]);
                                cn[j] = fg * c[k][n][j] + ig * gg;
                                hn[j] = og * Math.tanh(cn[j]);
                            }
                            case GRU -> {
                                double r = sigmoid(gi[j] + gh[j]);
                                double z = sigmoid(gi[hidden + j] + gh[hidden + j]);
                                double nn = Math.tanh(gi[2 * hidden + j] + r * gh[2 * hidden + j]);
                                hn[j] = (1 - z) * nn + z * h[k][n][j];
                            }
                        }
                    }
                    h[k][n] = hn;
                    if (kind == Kind.LSTM) {
                        c[k][n] = cn;
                    }
                    out[t][n] = hn.clone();
                }
            }
            seq = out;
        }
        return new Result(seq, h, kind == Kind.LSTM ? c : null);
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    /** Row-major flattening of {@code a[i][j][k]}, or of its {@code [j][i][k]} transpose when {@code swap}. */
    static double[] flat(double[][][] a, boolean swap) {
        int d0 = a.length, d1 = a[0].length, d2 = a[0][0].length;
        double[] out = new double[d0 * d1 * d2];
        int p = 0;
        for (int i = 0; i < (swap ? d1 : d0); i++) {
            for (int j = 0; j < (swap ? d0 : d1); j++) {
                for (int k = 0; k < d2; k++) {
                    out[p++] = swap ? a[j][i][k] : a[i][j][k];
                }
            }
        }
        return out;
    }

    /** {@code [d0][d1][d2]} from row-major values. */
    static double[][][] shape(double[] v, int d0, int d1, int d2) {
        double[][][] a = new double[d0][d1][d2];
        for (int i = 0; i < d0; i++) {
            for (int j = 0; j < d1; j++) {
                System.arraycopy(v, (i * d1 + j) * d2, a[i][j], 0, d2);
            }
        }
        return a;
    }
}
