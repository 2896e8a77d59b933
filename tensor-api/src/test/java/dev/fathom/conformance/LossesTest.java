package dev.fathom.conformance;

import dev.fathom.nn.Functional;
import dev.fathom.nn.Reduction;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import static dev.fathom.conformance.NnSupport.close;
import static dev.fathom.conformance.NnSupport.closeScalar;
import static dev.fathom.conformance.NnSupport.f32;
import static dev.fathom.conformance.NnSupport.f64;
import static dev.fathom.conformance.NnSupport.gradcheck;
import static dev.fathom.conformance.NnSupport.i64;
import static dev.fathom.conformance.NnSupport.leaf;
import static dev.fathom.conformance.NnSupport.rejects;
import static dev.fathom.conformance.NnSupport.rejectsData;

/**
 * The class losses (cross-entropy, NLL) against a per-element F64 loop that follows PyTorch's
 * definitions (weights, ignore index, label smoothing, weighted mean), a hand-computed case, and
 * gradchecks; the same for the elementwise losses in {@link ElementwiseLossesTest}.
 */
class LossesTest extends ConformanceTest {
    private final NnSupport s = new NnSupport(41);

    /**
     * Cross-entropy of x [N, C, D] (D = trailing size) against t [N, D], PyTorch's way: per element
     * nll = −w_t·lp_t and smooth = −Σ_c w_c·lp_c (both 0 where ignored); the mean divides both by
     * Σ w_t over the elements not ignored. With {@code logits} false, x already holds log-probabilities.
     */
    static double[] crossEntropyRef(double[] x, long[] t, int n, int c, int d, double[] w, long ignore, double eps, boolean logits,
                                    Reduction reduction) {
        double[] per = new double[n * d];
        double nllSum = 0, smoothSum = 0, weightSum = 0;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                double[] lp = new double[c];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < c; j++) {
                    max = Math.max(max, x[(i * c + j) * d + k]);
                }
                double sum = 0;
                for (int j = 0; j < c; j++) {
                    sum += Math.exp(x[(i * c + j) * d + k] - max);
                }
                for (int j = 0; j < c; j++) {
                    lp[j] = logits ? x[(i * c + j) * d + k] - max - Math.log(sum) : x[(i * c + j) * d + k];
                }
                long target = t[i * d + k];
                if (target == ignore) {
                    continue;
                }
                double wt = w == null ? 1 : w[(int) target];
                double nll = -wt * lp[(int) target];
                double smooth = 0;
                for (int j = 0; j < c; j++) {
                    smooth -= (w == null ? 1 : w[j]) * lp[j];
                }
                per[i * d + k] = (1 - eps) * nll + eps / c * smooth;
                nllSum += nll;
                smoothSum += smooth;
                weightSum += wt;
            }
        }
        return switch (reduction) {
            case NONE -> per;
            case SUM -> new double[] {(1 - eps) * nllSum + eps / c * smoothSum};
            case MEAN -> new double[] {((1 - eps) * nllSum + eps / c * smoothSum) / weightSum};
        };
    }

    private static int[] outShape(Reduction r, int... perElement) {
        return r == Reduction.NONE ? perElement : new int[0];
    }

    @BackendTest
    void crossEntropyAgainstReference(TestBackends.Case backend) {
        use(backend);
        int n = 5, c = 4;
        double[] x = s.values(n * c, -3, 3);
        long[] t = {3, 0, 2, 1, 2};
        long[] tIgnored = {3, -1, 2, 1, -1};
        double[] w = {0.5, 2, 1, 1.5};
        for (Reduction r : Reduction.values()) {
            close("crossEntropy " + r, Functional.crossEntropy(f64(x, n, c), i64(t, n), null, Functional.DEFAULT_IGNORE_INDEX, 0, r),
                    crossEntropyRef(x, t, n, c, 1, null, -100, 0, true, r), outShape(r, n), DType.F64, 1e-12);
            close("crossEntropy weighted, ignore, smoothing " + r,
                    Functional.crossEntropy(f64(x, n, c), i64(tIgnored, n), f64(w, c), -1, 0.2, r),
                    crossEntropyRef(x, tIgnored, n, c, 1, w, -1, 0.2, true, r), outShape(r, n), DType.F64, 1e-12);
            close("crossEntropy F32 " + r, Functional.crossEntropy(f32(x, n, c), i64(tIgnored, n), f32(w, c), -1, 0.1, r),
                    crossEntropyRef(x, tIgnored, n, c, 1, w, -1, 0.1, true, r), outShape(r, n), DType.F32, 1e-5);
        }
        closeScalar("crossEntropy default", Functional.crossEntropy(f64(x, n, c), i64(t, n)),
                crossEntropyRef(x, t, n, c, 1, null, -100, 0, true, Reduction.MEAN)[0], DType.F64, 1e-12);
        gradcheck(a -> Functional.crossEntropy(a[0], i64(tIgnored, n), f64(w, c), -1, 0.2, Reduction.MEAN), leaf(x, n, c));
        gradcheck(a -> Functional.crossEntropy(a[0], i64(t, n), null, -100, 0, Reduction.NONE), leaf(x, n, c));
    }

    @BackendTest
    void crossEntropyOverSpatialDims(TestBackends.Case backend) {
        use(backend);
        int n = 2, c = 3, d = 5;
        double[] x = s.values(n * c * d, -2, 2);
        long[] t = {0, 2, 1, 1, 7, 2, 0, 0, 7, 1};
        double[] w = {1, 0.5, 3};
        for (Reduction r : Reduction.values()) {
            close("crossEntropy [N, C, d] " + r, Functional.crossEntropy(f64(x, n, c, d), i64(t, n, d), f64(w, c), 7, 0.3, r),
                    crossEntropyRef(x, t, n, c, d, w, 7, 0.3, true, r), outShape(r, n, d), DType.F64, 1e-12);
        }
        gradcheck(a -> Functional.crossEntropy(a[0], i64(t, n, d), f64(w, c), 7, 0.3, Reduction.MEAN), leaf(x, n, c, d));
    }

    /**
     * Cross-entropy of x [N, C, D] against class probabilities y of the same shape, PyTorch's way:
     * y smoothed to (1−ε)·y + ε/C, per element −Σ_c w_c·y_c·lp_c, the mean over the N·D elements.
     */
    static double[] softCrossEntropyRef(double[] x, double[] y, int n, int c, int d, double[] w, double eps, Reduction reduction) {
        double[] per = new double[n * d];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                double max = Double.NEGATIVE_INFINITY, z = 0, l = 0;
                for (int j = 0; j < c; j++) {
                    max = Math.max(max, x[(i * c + j) * d + k]);
                }
                for (int j = 0; j < c; j++) {
                    z += Math.exp(x[(i * c + j) * d + k] - max);
                }
                for (int j = 0; j < c; j++) {
                    double lp = x[(i * c + j) * d + k] - max - Math.log(z);
                    double target = (1 - eps) * y[(i * c + j) * d + k] + eps / c;
                    l -= (w == null ? 1 : w[j]) * target * lp;
                }
                per[i * d + k] = l;
                sum += l;
            }
        }
        return switch (reduction) {
            case NONE -> per;
            case SUM -> new double[] {sum};
            case MEAN -> new double[] {sum / (n * d)};
        };
    }

    @BackendTest
    void crossEntropyAgainstClassProbabilities(TestBackends.Case backend) {
        use(backend);
        int n = 3, c = 4, d = 2;
        double[] x = s.values(n * c * d, -3, 3);
        double[] y = new double[n * c * d];
        double[] raw = s.values(n * c * d, 0.1, 1);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                double total = 0;
                for (int j = 0; j < c; j++) {
                    total += raw[(i * c + j) * d + k];
                }
                for (int j = 0; j < c; j++) {
                    y[(i * c + j) * d + k] = raw[(i * c + j) * d + k] / total;
                }
            }
        }
        double[] w = {0.5, 2, 1, 1.5};
        for (Reduction r : Reduction.values()) {
            close("soft crossEntropy " + r, Functional.crossEntropy(f64(x, n, c, d), f64(y, n, c, d), null, Functional.DEFAULT_IGNORE_INDEX, 0, r),
                    softCrossEntropyRef(x, y, n, c, d, null, 0, r), outShape(r, n, d), DType.F64, 1e-12);
            close("soft crossEntropy weighted, smoothing " + r, Functional.crossEntropy(f64(x, n, c, d), f64(y, n, c, d), f64(w, c), -1, 0.2, r),
                    softCrossEntropyRef(x, y, n, c, d, w, 0.2, r), outShape(r, n, d), DType.F64, 1e-12);
            close("soft crossEntropy F32 " + r, Functional.crossEntropy(f32(x, n, c, d), f32(y, n, c, d), f32(w, c), -1, 0.1, r),
                    softCrossEntropyRef(x, y, n, c, d, w, 0.1, r), outShape(r, n, d), DType.F32, 1e-5);
        }
        // One-hot probabilities give the class-index loss (unweighted: PyTorch's index mean divides by the weights).
        double[] oneHot = new double[n * c];
        long[] t = {2, 0, 3};
        for (int i = 0; i < n; i++) {
            oneHot[i * c + (int) t[i]] = 1;
        }
        double[] x2 = java.util.Arrays.copyOf(x, n * c);
        closeScalar("one-hot probabilities = class indices", Functional.crossEntropy(f64(x2, n, c), f64(oneHot, n, c)),
                Functional.crossEntropy(f64(x2, n, c), i64(t, n)).itemDouble(), DType.F64, 1e-12);
        gradcheck(a -> Functional.crossEntropy(a[0], a[1], f64(w, c), -1, 0.2, Reduction.MEAN), leaf(x, n, c, d), leaf(y, n, c, d));
        rejects(() -> Functional.crossEntropy(f64(x, n, c, d), f64(y, n * c * d)), "crossEntropy", "class probabilities",
                "[3, 4, 2]", "[24] F64", "I64 target");
        rejects(() -> Functional.crossEntropy(f64(x, n, c, d), f32(y, n, c, d)), "crossEntropy", "target", "dtype of input");
    }

    @BackendTest
    void crossEntropyHandComputed(TestBackends.Case backend) {
        use(backend);
        // Logits that are log-probabilities already, so log-softmax returns them unchanged.
        double[][] p = {{0.2, 0.3, 0.5}, {0.1, 0.6, 0.3}, {0.25, 0.25, 0.5}};
        double[] x = new double[9];
        for (int i = 0; i < 9; i++) {
            x[i] = Math.log(p[i / 3][i % 3]);
        }
        // Targets 2, 0 and 1 (ignored), class weights 2, 1, 0.5, smoothing 0.3.
        double nll = (0.5 * -Math.log(0.5) + 2 * -Math.log(0.1)) / (0.5 + 2);
        double smooth = (-(2 * Math.log(0.2) + Math.log(0.3) + 0.5 * Math.log(0.5))
                - (2 * Math.log(0.1) + Math.log(0.6) + 0.5 * Math.log(0.3))) / (0.5 + 2);
        double expected = 0.7 * nll + 0.3 / 3 * smooth;
        Tensor loss = Functional.crossEntropy(f64(x, 3, 3), i64(new long[] {2, 0, 1}, 3), f64(new double[] {2, 1, 0.5}, 3), 1, 0.3,
                Reduction.MEAN);
        closeScalar("hand-computed cross-entropy", loss, expected, DType.F64, 1e-12);
        closeScalar("check of the arithmetic", f64(new double[] {expected}, 1).sum(), 1.8059849, DType.F64, 1e-6);
    }

    @BackendTest
    void nllLoss(TestBackends.Case backend) {
        use(backend);
        int n = 4, c = 3;
        double[] lp = s.values(n * c, -4, 0);
        long[] t = {2, 2, 0, 1};
        double[] w = {0.3, 1.2, 2};
        for (Reduction r : Reduction.values()) {
            close("nllLoss " + r, Functional.nllLoss(f64(lp, n, c), i64(t, n), f64(w, c), 0, r),
                    crossEntropyRef(lp, t, n, c, 1, w, 0, 0, false, r), outShape(r, n), DType.F64, 1e-12);
        }
        closeScalar("nllLoss default", Functional.nllLoss(f64(lp, n, c), i64(t, n)),
                crossEntropyRef(lp, t, n, c, 1, null, -100, 0, false, Reduction.MEAN)[0], DType.F64, 1e-12);
        gradcheck(a -> Functional.nllLoss(a[0], i64(t, n), f64(w, c), 0, Reduction.MEAN), leaf(lp, n, c));
    }

    @BackendTest
    void classLossesRejectBadInput(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.zeros(4, 3);
        rejectsData(() -> Functional.crossEntropy(x, i64(new long[] {0, 1, 3, 0}, 4)), "crossEntropy", "target 3", "[0, 3)", "[4, 3]");
        rejects(() -> Functional.crossEntropy(x, Tensor.zeros(4)), "crossEntropy", "target", "I64");
        rejects(() -> Functional.crossEntropy(x, i64(new long[] {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}, 4, 3)), "crossEntropy",
                "[4]", "[4, 3]", "not one-hot");
        rejects(() -> Functional.crossEntropy(x, i64(new long[] {0, 1, 2, 0}, 4), Tensor.ones(4), -100, 0, Reduction.MEAN),
                "crossEntropy", "class weights", "[3]", "[4]");
        rejects(() -> Functional.crossEntropy(x, i64(new long[] {0, 1, 2, 0}, 4), null, -100, 1.5, Reduction.MEAN),
                "crossEntropy", "label smoothing", "1.5");
        rejects(() -> Functional.nllLoss(Tensor.zeros(3), i64(new long[] {0}, 1)), "nllLoss", "[N, C]", "[3]");
    }
}
