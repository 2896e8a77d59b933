package dev.fathom.conformance;

import dev.fathom.nn.BatchNorm1d;
import dev.fathom.nn.BatchNorm2d;
import dev.fathom.nn.Functional;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import static dev.fathom.conformance.NnSupport.close;
import static dev.fathom.conformance.NnSupport.f32;
import static dev.fathom.conformance.NnSupport.f64;
import static dev.fathom.conformance.NnSupport.gradcheck;
import static dev.fathom.conformance.NnSupport.leaf;
import static dev.fathom.conformance.NnSupport.rejects;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Batch norm: training with batch statistics, the running-statistic updates (unbiased variance,
 * momentum), evaluation with running statistics, against per-channel loops and hand-computed
 * values; gradchecks in both modes; the modules' buffers and counters.
 */
class NnBatchNormTest extends ConformanceTest {
    private final NnSupport s = new NnSupport(23);

    /** Per-channel {mean, biased var} of x [N, C, S] (S = spatial size, 1 for [N, C]). */
    private static double[][] stats(double[] x, int n, int c, int sp) {
        double[][] out = new double[2][c];
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < sp; k++) {
                    sum += x[(i * c + ch) * sp + k];
                }
            }
            double mean = sum / (n * sp), var = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < sp; k++) {
                    double d = x[(i * c + ch) * sp + k] - mean;
                    var += d * d;
                }
            }
            out[0][ch] = mean;
            out[1][ch] = var / (n * sp);
        }
        return out;
    }

    private static double[] normalize(double[] x, int n, int c, int sp, double[] mean, double[] var, double[] w, double[] b, double eps) {
        double[] y = new double[x.length];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int k = 0; k < sp; k++) {
                    int f = (i * c + ch) * sp + k;
                    y[f] = (x[f] - mean[ch]) / Math.sqrt(var[ch] + eps) * w[ch] + b[ch];
                }
            }
        }
        return y;
    }

    @BackendTest
    void trainingAndEvalAgainstLoops(TestBackends.Case backend) {
        use(backend);
        int[][] shapes = {{5, 3}, {2, 3, 7}, {2, 3, 2, 3}};
        for (int[] shape : shapes) {
            int n = shape[0], c = shape[1], sp = (int) (Ref.numel(shape) / (n * c));
            double[] x = s.values((int) Ref.numel(shape), -2, 3);
            double[] w = s.values(c, 0.5, 1.5), b = s.values(c, -1, 1);
            double[] rm = s.values(c, -0.5, 0.5), rv = s.values(c, 0.5, 2);
            double momentum = 0.2, eps = 1e-5;
            Tensor runMean = f64(rm, c), runVar = f64(rv, c);
            Tensor y = Functional.batchNorm(f64(x, shape), runMean, runVar, f64(w, c), f64(b, c), true, momentum, eps);
            double[][] st = stats(x, n, c, sp);
            close("batchNorm train " + Ref.numel(shape), y, normalize(x, n, c, sp, st[0], st[1], w, b, eps), shape, DType.F64, 1e-12);
            int count = n * sp;
            double[] expMean = new double[c], expVar = new double[c];
            for (int ch = 0; ch < c; ch++) {
                expMean[ch] = (1 - momentum) * rm[ch] + momentum * st[0][ch];
                expVar[ch] = (1 - momentum) * rv[ch] + momentum * st[1][ch] * count / (count - 1);
            }
            close("running mean", runMean, expMean, new int[] {c}, DType.F64, 1e-12);
            close("running var (unbiased)", runVar, expVar, new int[] {c}, DType.F64, 1e-12);
            double[] before = runMean.toDoubleArray();
            Tensor e = Functional.batchNorm(f64(x, shape), runMean, runVar, f64(w, c), f64(b, c), false, momentum, eps);
            close("batchNorm eval", e, normalize(x, n, c, sp, expMean, expVar, w, b, eps), shape, DType.F64, 1e-12);
            assertArrayEquals(before, runMean.toDoubleArray(), "eval leaves the running mean");
            Tensor f = Functional.batchNorm(f32(x, shape), null, null, null, null, true, momentum, eps);
            close("batchNorm F32 no affine", f, normalize(x, n, c, sp, st[0], st[1], ones(c), new double[c], eps), shape, DType.F32, 1e-5);
        }
    }

    private static double[] ones(int c) {
        double[] o = new double[c];
        java.util.Arrays.fill(o, 1);
        return o;
    }

    @BackendTest
    void handComputedStep(TestBackends.Case backend) {
        use(backend);
        // One channel holding 1, 2, 3, 6: mean 3, biased variance 14/4, unbiased 14/3.
        Tensor rm = Tensor.zeros(1), rv = Tensor.ones(1);
        Tensor y = Functional.batchNorm(Tensor.of(new float[] {1, 2, 3, 6}, 4, 1), rm, rv, null, null, true, 0.1, 1e-5);
        double sd = Math.sqrt(3.5 + 1e-5);
        close("normalized", y, new double[] {-2 / sd, -1 / sd, 0, 3 / sd}, new int[] {4, 1}, DType.F32, 1e-6);
        close("running mean", rm, new double[] {0.3}, new int[] {1}, DType.F32, 1e-7);
        close("running var", rv, new double[] {0.9 + 0.1 * 14 / 3.0}, new int[] {1}, DType.F32, 1e-7);
    }

    @BackendTest
    void gradcheckTrainingAndEval(TestBackends.Case backend) {
        use(backend);
        int[] shape = {3, 2, 2, 3};
        double[] x = s.values(36, -2, 2);
        double[] w = s.values(2, 0.5, 1.5), b = s.values(2, -1, 1);
        gradcheck(t -> Functional.batchNorm(t[0], null, null, t[1], t[2], true, 0.1, 1e-5), leaf(x, shape), leaf(w, 2), leaf(b, 2));
        gradcheck(t -> Functional.batchNorm(t[0], null, null, t[1], t[2], true, 0.1, 1e-5), leaf(s.values(10, -2, 2), 5, 2), leaf(s.values(2, 0.5, 1), 2),
                leaf(s.values(2, 0, 1), 2));
        Tensor rm = f64(new double[] {0.1, -0.2}, 2), rv = f64(new double[] {1.5, 0.7}, 2);
        gradcheck(t -> Functional.batchNorm(t[0], rm, rv, t[1], t[2], false, 0.1, 1e-5), leaf(x, shape), leaf(w, 2), leaf(b, 2));
    }

    @BackendTest
    void modulesTrackRunningStatistics(TestBackends.Case backend) {
        use(backend);
        BatchNorm2d bn = new BatchNorm2d(3);
        assertEquals(java.util.List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked"),
                java.util.List.copyOf(bn.stateDict().keySet()));
        assertEquals("BatchNorm2d(3, eps=1.0E-5, momentum=0.1, affine=true, track_running_stats=true)", bn.toString());
        double[] x = s.values(2 * 3 * 2 * 2, -1, 2);
        int[] shape = {2, 3, 2, 2};
        double[][] st = stats(x, 2, 3, 4);
        bn.forward(f32(x, shape));
        bn.forward(f32(x, shape));
        double[] expMean = new double[3], expVar = new double[3];
        for (int ch = 0; ch < 3; ch++) {
            double m = 0, v = 1;
            for (int step = 0; step < 2; step++) {
                m = 0.9 * m + 0.1 * st[0][ch];
                v = 0.9 * v + 0.1 * st[1][ch] * 8 / 7;
            }
            expMean[ch] = m;
            expVar[ch] = v;
        }
        close("running_mean", bn.runningMean().data(), expMean, new int[] {3}, DType.F32, 1e-6);
        close("running_var", bn.runningVar().data(), expVar, new int[] {3}, DType.F32, 1e-6);
        assertEquals(2, bn.numBatchesTracked().data().itemLong());
        bn.eval();
        Tensor y = bn.forward(f32(x, shape));
        close("eval output", y, normalize(x, 2, 3, 4, expMean, expVar, ones(3), new double[3], 1e-5), shape, DType.F32, 1e-5);
        assertEquals(2, bn.numBatchesTracked().data().itemLong(), "eval does not count batches");
        rejects(() -> bn.forward(Tensor.zeros(2, 3)), "BatchNorm2d", "4-D", "[2, 3]");
        rejects(() -> bn.forward(Tensor.zeros(2, 4, 2, 2)), "BatchNorm2d", "4 channels", "expected 3");
        BatchNorm1d bn1 = new BatchNorm1d(4);
        rejects(() -> bn1.forward(Tensor.zeros(1, 4)), "batchNorm", "more than 1 value per channel", "[1, 4]");
        bn1.eval();
        assertArrayEquals(new int[] {1, 4}, bn1.forward(Tensor.zeros(1, 4)).shape(), "a single sample is fine in eval");
        bn.close();
        bn1.close();
    }

    @BackendTest
    void rejectsBadParameters(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.zeros(4, 3);
        rejects(() -> Functional.batchNorm(x, Tensor.zeros(2), Tensor.ones(2), null, null, true, 0.1, 1e-5), "batchNorm", "runningMean",
                "[3]", "[2]");
        rejects(() -> Functional.batchNorm(x, null, null, null, null, true, 1.5, 1e-5), "batchNorm", "momentum", "1.5");
        rejects(() -> Functional.batchNorm(Tensor.zeros(4), null, null, null, null, true, 0.1, 1e-5), "batchNorm", "[N, C]", "[4]");
    }
}
