package dev.fathom.conformance;

import dev.fathom.nn.Functional;
import dev.fathom.nn.Reduction;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static dev.fathom.conformance.NnSupport.close;
import static dev.fathom.conformance.NnSupport.closeScalar;
import static dev.fathom.conformance.NnSupport.f32;
import static dev.fathom.conformance.NnSupport.f64;
import static dev.fathom.conformance.NnSupport.gradcheck;
import static dev.fathom.conformance.NnSupport.leaf;
import static dev.fathom.conformance.NnSupport.rejects;
import static dev.fathom.conformance.NnSupport.rejectsData;

/** MSE, L1, Huber, BCE and BCE-with-logits against per-element F64 formulas, each reduction, with gradchecks. */
class ElementwiseLossesTest extends ConformanceTest {
    private final NnSupport s = new NnSupport(43);
    private static final int[] SHAPE = {3, 5};

    static Stream<Arguments> reductions() {
        return TestBackends.times((Object[]) Reduction.values());
    }

    private static double[] reduce(double[] per, Reduction r) {
        double sum = 0;
        for (double v : per) {
            sum += v;
        }
        return switch (r) {
            case NONE -> per;
            case SUM -> new double[] {sum};
            case MEAN -> new double[] {sum / per.length};
        };
    }

    private static int[] shape(Reduction r) {
        return r == Reduction.NONE ? SHAPE : new int[0];
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("reductions")
    void regressionLosses(TestBackends.Case backend, Reduction r) {
        use(backend);
        double[] x = s.values(15, -3, 3);
        double[] y = s.values(15, -3, 3);
        double[] sq = new double[15], ab = new double[15], hu = new double[15];
        double delta = 1.3;
        for (int i = 0; i < 15; i++) {
            double d = x[i] - y[i];
            sq[i] = d * d;
            ab[i] = Math.abs(d);
            hu[i] = Math.abs(d) < delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta);
        }
        close("mseLoss " + r, Functional.mseLoss(f64(x, SHAPE), f64(y, SHAPE), r), reduce(sq, r), shape(r), DType.F64, 1e-12);
        close("l1Loss " + r, Functional.l1Loss(f64(x, SHAPE), f64(y, SHAPE), r), reduce(ab, r), shape(r), DType.F64, 1e-12);
        close("huberLoss " + r, Functional.huberLoss(f64(x, SHAPE), f64(y, SHAPE), delta, r), reduce(hu, r), shape(r), DType.F64, 1e-12);
        close("mseLoss F32 " + r, Functional.mseLoss(f32(x, SHAPE), f32(y, SHAPE), r), reduce(sq, r), shape(r), DType.F32, 1e-5);
        gradcheck(a -> Functional.mseLoss(a[0], a[1], r), leaf(x, SHAPE), leaf(y, SHAPE));
        gradcheck(a -> Functional.l1Loss(a[0], a[1], r), leaf(x, SHAPE), leaf(y, SHAPE));
        gradcheck(a -> Functional.huberLoss(a[0], a[1], delta, r), leaf(x, SHAPE), leaf(y, SHAPE));
        double beta = 0.7;
        double[] sl = new double[15];
        for (int i = 0; i < 15; i++) {
            double d = Math.abs(x[i] - y[i]);
            sl[i] = d < beta ? 0.5 * d * d / beta : d - 0.5 * beta;
        }
        close("smoothL1Loss " + r, Functional.smoothL1Loss(f64(x, SHAPE), f64(y, SHAPE), beta, r), reduce(sl, r), shape(r), DType.F64, 1e-12);
        close("smoothL1Loss beta 0 = l1Loss " + r, Functional.smoothL1Loss(f64(x, SHAPE), f64(y, SHAPE), 0, r), reduce(ab, r), shape(r),
                DType.F64, 1e-12);
        gradcheck(a -> Functional.smoothL1Loss(a[0], a[1], beta, r), leaf(x, SHAPE), leaf(y, SHAPE));
        rejects(() -> Functional.smoothL1Loss(f64(x, SHAPE), f64(y, SHAPE), -1, r), "smoothL1Loss", "beta must be >= 0", "-1.0");
    }

    /**
     * KL divergence, PyTorch's {@code kl_div}: {@code t·(log t − x)} with 0 where t = 0, and
     * {@code eᵗ·(t − x)} for log targets, each reduction; gradchecks in both arguments.
     */
    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("reductions")
    void klDivergence(TestBackends.Case backend, Reduction r) {
        use(backend);
        double[] x = s.values(15, -4, 0);
        double[] t = s.values(15, 0.05, 1);
        t[3] = 0;
        t[11] = 0;
        double[] kl = new double[15], klLog = new double[15];
        for (int i = 0; i < 15; i++) {
            kl[i] = t[i] == 0 ? 0 : t[i] * (Math.log(t[i]) - x[i]);
            double lt = Math.log(t[i] == 0 ? 0.5 : t[i]);
            klLog[i] = Math.exp(lt) * (lt - x[i]);
        }
        close("klDiv " + r, Functional.klDiv(f64(x, SHAPE), f64(t, SHAPE), false, r), reduce(kl, r), shape(r), DType.F64, 1e-12);
        close("klDiv F32 " + r, Functional.klDiv(f32(x, SHAPE), f32(t, SHAPE), false, r), reduce(kl, r), shape(r), DType.F32, 1e-5);
        double[] logT = NnSupport.map(t, v -> Math.log(v == 0 ? 0.5 : v));
        close("klDiv log target " + r, Functional.klDiv(f64(x, SHAPE), f64(logT, SHAPE), true, r), reduce(klLog, r), shape(r), DType.F64, 1e-12);
        double[] positive = t.clone();
        positive[3] = 0.3;
        positive[11] = 0.6;
        gradcheck(a -> Functional.klDiv(a[0], a[1], false, r), leaf(x, SHAPE), leaf(positive, SHAPE));
        gradcheck(a -> Functional.klDiv(a[0], a[1], true, r), leaf(x, SHAPE), leaf(logT, SHAPE));
        Tensor at = f64(t, SHAPE).requiresGrad(true);
        Functional.klDiv(f64(x, SHAPE), at, false, Reduction.SUM).backward();
        double[] g = at.grad().toDoubleArray();
        org.junit.jupiter.api.Assertions.assertTrue(Double.isFinite(g[3]) && Double.isFinite(g[11]), "a zero target's gradient is finite: "
                + java.util.Arrays.toString(g));
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("reductions")
    void binaryCrossEntropy(TestBackends.Case backend, Reduction r) {
        use(backend);
        double[] p = s.values(15, 0.05, 0.95);
        double[] t = s.values(15, 0, 1);
        double[] w = s.values(5, 0.5, 2);
        double[] plain = new double[15], weighted = new double[15];
        for (int i = 0; i < 15; i++) {
            plain[i] = -(t[i] * Math.log(p[i]) + (1 - t[i]) * Math.log(1 - p[i]));
            weighted[i] = w[i % 5] * plain[i];
        }
        close("bce " + r, Functional.bce(f64(p, SHAPE), f64(t, SHAPE), null, r), reduce(plain, r), shape(r), DType.F64, 1e-12);
        close("bce weighted " + r, Functional.bce(f64(p, SHAPE), f64(t, SHAPE), f64(w, 5), r), reduce(weighted, r), shape(r), DType.F64, 1e-12);
        gradcheck(a -> Functional.bce(a[0], a[1], f64(w, 5), r), leaf(p, SHAPE), leaf(t, SHAPE));
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("reductions")
    void binaryCrossEntropyWithLogits(TestBackends.Case backend, Reduction r) {
        use(backend);
        double[] x = s.values(15, -4, 4);
        double[] t = s.values(15, 0, 1);
        double[] pw = s.values(5, 0.5, 3);
        double[] w = s.values(5, 0.5, 2);
        double[] plain = new double[15], full = new double[15];
        for (int i = 0; i < 15; i++) {
            double sig = 1 / (1 + Math.exp(-x[i]));
            plain[i] = -(t[i] * Math.log(sig) + (1 - t[i]) * Math.log(1 - sig));
            full[i] = -w[i % 5] * (pw[i % 5] * t[i] * Math.log(sig) + (1 - t[i]) * Math.log(1 - sig));
        }
        close("bceWithLogits " + r, Functional.bceWithLogits(f64(x, SHAPE), f64(t, SHAPE), null, null, r), reduce(plain, r), shape(r), DType.F64, 1e-12);
        close("bceWithLogits weight, posWeight " + r, Functional.bceWithLogits(f64(x, SHAPE), f64(t, SHAPE), f64(w, 5), f64(pw, 5), r),
                reduce(full, r), shape(r), DType.F64, 1e-12);
        gradcheck(a -> Functional.bceWithLogits(a[0], a[1], null, null, r), leaf(x, SHAPE), leaf(t, SHAPE));
        gradcheck(a -> Functional.bceWithLogits(a[0], a[1], f64(w, 5), a[2], r), leaf(x, SHAPE), leaf(t, SHAPE), leaf(pw, 5));
        // Only the logits need a gradient (a GAN's losses): one recorded node, (σ(x) − t)·g.
        gradcheck(a -> Functional.bceWithLogits(a[0], f64(t, SHAPE), null, null, r), leaf(x, SHAPE));
    }

    /** At a logit of exactly 0 the gradient is σ(0) − t = 0.5 − t, PyTorch's, not a one-sided slope. */
    @BackendTest
    void bceWithLogitsGradientAtZero(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.of(new double[] {0, 0, 2}, 3).requiresGrad(true);
        Tensor t = Tensor.of(new double[] {0, 1, 0.25}, 3);
        Functional.bceWithLogits(x, t, null, null, Reduction.SUM).backward();
        close("d/dx at 0, 0 and 2", x.grad(), new double[] {0.5, -0.5, 1 / (1 + Math.exp(-2)) - 0.25}, new int[] {3}, DType.F64, 1e-15);
    }

    @BackendTest
    void extremesStayFinite(TestBackends.Case backend) {
        use(backend);
        // Logits of ±100 in F32: a naive log(sigmoid) would give log(0) = -inf.
        Tensor x = Tensor.of(new float[] {100, -100, 100, -100}, 4);
        Tensor t = Tensor.of(new float[] {0, 1, 1, 0}, 4);
        close("bceWithLogits at ±100", Functional.bceWithLogits(x, t, null, null, Reduction.NONE), new double[] {100, 100, 0, 0},
                new int[] {4}, DType.F32, 1e-6);
        // Probabilities of exactly 0 and 1: PyTorch clamps the logs at -100.
        Tensor p = Tensor.of(new float[] {0, 0, 1, 1}, 4);
        close("bce at 0 and 1", Functional.bce(p, t, null, Reduction.NONE), new double[] {0, 100, 0, 100}, new int[] {4}, DType.F32, 1e-6);
        closeScalar("huber default mean", Functional.huberLoss(Tensor.of(new float[] {0, 3}, 2), Tensor.zeros(2), 1), (0 + 2.5) / 2, DType.F32, 1e-6);
    }

    @BackendTest
    void rejectsBadInput(TestBackends.Case backend) {
        use(backend);
        rejects(() -> Functional.mseLoss(Tensor.zeros(2, 3), Tensor.zeros(3, 2)), "mseLoss", "[2, 3]", "[3, 2]", "same shape");
        rejects(() -> Functional.l1Loss(Tensor.zeros(2), Tensor.of(new long[] {1, 2})), "l1Loss", "target", "I64");
        rejects(() -> Functional.huberLoss(Tensor.zeros(2), Tensor.zeros(2), 0), "huberLoss", "delta", "0.0");
        rejectsData(() -> Functional.bce(Tensor.of(new float[] {0.5f, 1.5f}, 2), Tensor.zeros(2)), "bce", "[0, 1]", "1.5", "bceWithLogits");
        rejectsData(() -> Functional.bce(Tensor.of(new double[] {0.25, Double.NaN, -2}, 3), Tensor.zeros(dev.fathom.tensor.DType.F64, 3)), "bce", "got NaN", "F64");
        rejects(() -> Functional.bceWithLogits(Tensor.zeros(2, 3), Tensor.zeros(2, 3), null, Tensor.ones(2), Reduction.MEAN),
                "bceWithLogits", "posWeight", "[2]", "[2, 3]");
        rejects(() -> Functional.mseLoss(Tensor.zeros(2), Tensor.zeros(2), null), "mseLoss", "reduction");
    }
}
