package dev.fathom.conformance;

/**
 * The optimizers' update rules as plain F64 loops over one parameter, transcribed from the papers
 * and the pseudo-code in PyTorch's {@code torch.optim} documentation; written without tensor ops so
 * that they are independent of what they check. Each call of {@link Rule#step} is one step,
 * updating {@code p} in place from {@code g} (which it does not change).
 */
final class OptimizerRef {
    private OptimizerRef() {
    }

    interface Rule {
        void step(double[] p, double[] g);
    }

    static Rule sgd(double lr, double momentum, double dampening, boolean nesterov, double wd) {
        return new Rule() {
            double[] buf;

            @Override
            public void step(double[] p, double[] g) {
                boolean first = buf == null;
                if (first) {
                    buf = new double[p.length];
                }
                for (int i = 0; i < p.length; i++) {
                    double d = g[i] + wd * p[i];
                    if (momentum != 0) {
                        buf[i] = first ? d : momentum * buf[i] + (1 - dampening) * d;
                        d = nesterov ? d + momentum * buf[i] : buf[i];
                    }
                    p[i] -= lr * d;
                }
            }
        };
    }

    /** Adam with L2 penalty {@code wd}, or, when {@code decoupled}, AdamW with decoupled decay {@code wd}. */
    static Rule adam(double lr, double b1, double b2, double eps, double wd, boolean amsgrad, boolean decoupled) {
        return new Rule() {
            double[] m, v, vmax;
            int t;

            @Override
            public void step(double[] p, double[] g) {
                if (m == null) {
                    m = new double[p.length];
                    v = new double[p.length];
                    vmax = new double[p.length];
                }
                t++;
                for (int i = 0; i < p.length; i++) {
                    double gi = g[i];
                    if (decoupled) {
                        p[i] *= 1 - lr * wd;
                    } else {
                        gi += wd * p[i];
                    }
                    m[i] = b1 * m[i] + (1 - b1) * gi;
                    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                    vmax[i] = Math.max(vmax[i], v[i]);
                    double mHat = m[i] / (1 - Math.pow(b1, t));
                    double vHat = (amsgrad ? vmax[i] : v[i]) / (1 - Math.pow(b2, t));
                    p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
                }
            }
        };
    }

    static Rule rmsprop(double lr, double alpha, double eps, double wd, double momentum, boolean centered) {
        return new Rule() {
            double[] sq, avg, buf;

            @Override
            public void step(double[] p, double[] g) {
                if (sq == null) {
                    sq = new double[p.length];
                    avg = new double[p.length];
                    buf = new double[p.length];
                }
                for (int i = 0; i < p.length; i++) {
                    double gi = g[i] + wd * p[i];
                    sq[i] = alpha * sq[i] + (1 - alpha) * gi * gi;
                    double denom;
                    if (centered) {
                        avg[i] = alpha * avg[i] + (1 - alpha) * gi;
                        denom = Math.sqrt(sq[i] - avg[i] * avg[i]) + eps;
                    } else {
                        denom = Math.sqrt(sq[i]) + eps;
                    }
                    if (momentum > 0) {
                        buf[i] = momentum * buf[i] + gi / denom;
                        p[i] -= lr * buf[i];
                    } else {
                        p[i] -= lr * gi / denom;
                    }
                }
            }
        };
    }

    static Rule adagrad(double lr, double lrDecay, double wd, double initialAccumulator, double eps) {
        return new Rule() {
            double[] sum;
            int t;

            @Override
            public void step(double[] p, double[] g) {
                if (sum == null) {
                    sum = new double[p.length];
                    java.util.Arrays.fill(sum, initialAccumulator);
                }
                t++;
                double clr = lr / (1 + (t - 1) * lrDecay);
                for (int i = 0; i < p.length; i++) {
                    double gi = g[i] + wd * p[i];
                    sum[i] += gi * gi;
                    p[i] -= clr * gi / (Math.sqrt(sum[i]) + eps);
                }
            }
        };
    }
}
