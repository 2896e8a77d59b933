package dev.fathom.conformance;

import dev.fathom.nn.Functional;
import dev.fathom.nn.Reduction;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

/**
 * Gradients at the points where a composite's chain rule gives 0/0 or 0·∞ and PyTorch's backward
 * gives a number: bce at probabilities of exactly 0 or 1 (a sigmoid of 17 or more is 1 in F32), the
 * std of a constant row, and {@code x^0} at {@code x = 0}. Each was NaN, and a NaN gradient turns the
 * parameters NaN while the loss stays finite. Also where a composite's kinks or ties gave another
 * number than PyTorch (ELU and bce-with-logits at 0, NaNs in max and maximum) and where
 * {@code Math.pow} parts from C99's. References: PyTorch's formulas (FunctionsManual.cpp:
 * binary_cross_entropy_backward, std_backward, pow_backward), evaluated by hand in F64.
 */
class EdgeGradientsTest extends ConformanceTest {

    @BackendTest
    void bceAtProbabilitiesOfZeroAndOne(TestBackends.Case backend) {
        use(backend);
        Tensor p = Tensor.of(new double[] {1, 0, 0.25, 1}, 4).requiresGrad(true);
        Tensor t = Tensor.of(new double[] {1, 1, 0, 0}, 4);
        Tensor loss = Functional.bce(p, t);
        // The loss clamps each log at -100: terms 0, 100, -ln 0.75, 100; mean over 4.
        Check.close("bce with p in {0, 1}", loss, Ref.scalar((100 - Math.log(0.75) + 100) / 4), DType.F64);
        loss.backward();
        // (p − t)/max(p(1 − p), 1e-12)/4
        Check.close("its gradient", p.grad(), Ref.of(new int[] {4}, 0, -1e12 / 4, 0.25 / 0.1875 / 4, 1e12 / 4), DType.F64);

        Tensor z = Tensor.of(new float[] {20, 0.5f, -3}, 3).requiresGrad(true);
        Functional.bce(z.sigmoid(), Tensor.of(new float[] {1, 1, 0}, 3), null, Reduction.SUM).backward();
        double s = 1 / (1 + Math.exp(-0.5)), s3 = 1 / (1 + Math.exp(3));
        Check.close("through a saturated sigmoid (sigmoid(20) is 1 in F32)", z.grad(), Ref.of(new int[] {3}, 0, s - 1, s3), DType.F32);

        Tensor w = Tensor.of(new double[] {2, 3, 4, 5}, 4);
        Tensor q = Tensor.of(new double[] {1, 0, 0.25, 1}, 4).requiresGrad(true);
        Functional.bce(q, t, w, Reduction.SUM).backward();
        Check.close("weighted", q.grad(), Ref.of(new int[] {4}, 0, -3e12, 4 * 0.25 / 0.1875, 5e12), DType.F64);
    }

    @BackendTest
    void stdOfAConstantRowHasAZeroGradient(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.of(new double[] {5, 5, 1, 2}, 2, 2).requiresGrad(true);
        x.std(new int[] {1}, 1, false).sum().backward();
        // Row [1, 2]: std = √0.5, d std/dx_i = (x_i − 1.5)/std.
        double r = Math.sqrt(0.5);
        Check.close("std(1) of [[5, 5], [1, 2]]", x.grad(), Ref.of(new int[] {2, 2}, 0, 0, -0.5 / r, 0.5 / r), DType.F64);
        Tensor c = Tensor.of(new float[] {2, 2, 2}, 3).requiresGrad(true);
        c.std().backward();
        Check.close("std() of a constant", c.grad(), Ref.of(new int[] {3}, 0, 0, 0), DType.F32);
    }

    @BackendTest
    void powWithExponentZeroAtZero(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.of(new double[] {0, 1, 2}, 3).requiresGrad(true);
        x.pow(0.0).sum().backward();
        Check.close("d/dx x^0", x.grad(), Ref.of(new int[] {3}, 0, 0, 0), DType.F64);
        Tensor y = Tensor.of(new double[] {0, 0, 2}, 3).requiresGrad(true);
        y.pow(Tensor.of(new double[] {0, 3, 3}, 3)).sum().backward();
        Check.close("d/dx x^b with b = [0, 3, 3]", y.grad(), Ref.of(new int[] {3}, 0, 0, 12), DType.F64);
    }

    @BackendTest
    void eluAtZeroHasTheSlopeOfItsNegativeBranch(TestBackends.Case backend) {
        use(backend);
        for (double alpha : new double[] {1, 0.5, 2}) {
            Tensor x = Tensor.of(new double[] {0, -1e-9, 1e-9}, 3).requiresGrad(true);
            Functional.elu(x, alpha).sum().backward();
            // PyTorch: α·eˣ for x <= 0, 1 above: min(x, 0) split the tie at 0 and gave α/2.
            Check.close("d elu/dx at 0, -1e-9, 1e-9, alpha " + alpha, x.grad(), Ref.of(new int[] {3}, alpha, alpha * Math.exp(-1e-9), 1), DType.F64);
        }
    }

    @BackendTest
    void bceWithLogitsAtALogitOfZero(TestBackends.Case backend) {
        use(backend);
        // d/dx = w·((1 + (pw − 1)·t)·σ(x) − pw·t), σ(0) = 1/2 (PyTorch's binary_cross_entropy_with_logits_backward).
        Tensor t = Tensor.of(new double[] {1, 0.5}, 2);
        Tensor x = Tensor.zeros(DType.F64, 2).requiresGrad(true);
        Functional.bceWithLogits(x, t, Tensor.of(new double[] {1, 1}, 2), null, Reduction.SUM).backward();
        Check.close("weighted", x.grad(), Ref.of(new int[] {2}, -0.5, 0), DType.F64);
        Tensor y = Tensor.zeros(DType.F64, 2).requiresGrad(true);
        Functional.bceWithLogits(y, t, null, Tensor.of(new double[] {2, 2}, 2), Reduction.SUM).backward();
        Check.close("with posWeight 2", y.grad(), Ref.of(new int[] {2}, -1, -0.25), DType.F64);
        Tensor soft = Tensor.of(new double[] {1, 0.5}, 2).requiresGrad(true);
        Tensor z = Tensor.of(new double[] {0, 3}, 2).requiresGrad(true);
        Functional.bceWithLogits(z, soft, null, null, Reduction.SUM).backward();
        Check.close("a target that needs a gradient too", z.grad(), Ref.of(new int[] {2}, -0.5, 1 / (1 + Math.exp(-3)) - 0.5), DType.F64);
        Check.close("the target's gradient, −x", soft.grad(), Ref.of(new int[] {2}, 0, -3), DType.F64);
    }

    @BackendTest
    void powFollowsC99AtOneAndMinusOne(TestBackends.Case backend) {
        use(backend);
        double nan = Double.NaN, inf = Double.POSITIVE_INFINITY;
        Tensor a = Tensor.of(new double[] {1, 1, -1}, 3).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {nan, inf, -inf}, 3).requiresGrad(true);
        Tensor y = a.pow(b);
        Check.exact("1^NaN, 1^∞, (−1)^−∞ are 1 (C99's pow and PyTorch's; Math.pow gives NaN)", y, Ref.of(new int[] {3}, 1, 1, 1), DType.F64);
        y.sum().backward();
        Check.close("d/db = y·ln a", b.grad(), Ref.of(new int[] {3}, 0, 0, nan), DType.F64);
        Check.close("d/da = b·a^(b−1)", a.grad(), Ref.of(new int[] {3}, nan, inf, -inf), DType.F64);
        Check.exact("F32, scalar exponent", Tensor.of(new float[] {1}, 1).pow(nan), Ref.of(new int[] {1}, 1), DType.F32);
    }

    @BackendTest
    void maxOfANanGivesTheGradientToTheNans(TestBackends.Case backend) {
        use(backend);
        double nan = Double.NaN;
        Tensor m = Tensor.of(new double[] {1, nan, 3}, 3).requiresGrad(true);
        m.max().backward();
        Check.close("max of [1, NaN, 3]", m.grad(), Ref.of(new int[] {3}, 0, 1, 0), DType.F64);
        Tensor r = Tensor.of(new double[] {nan, 2, nan, 4, 5, 5}, 2, 3).requiresGrad(true);
        r.min(1).sum().backward();
        // Row 0's NaNs share its gradient (PyTorch's evenly_distribute_backward); row 1's minimum is 4.
        Check.close("min(1) of [[NaN, 2, NaN], [4, 5, 5]]", r.grad(), Ref.of(new int[] {2, 3}, 0.5, 0, 0.5, 1, 0, 0), DType.F64);
    }

    @BackendTest
    void maximumWithANanGivesTheGradientToBothSides(TestBackends.Case backend) {
        use(backend);
        double nan = Double.NaN;
        Tensor a = Tensor.of(new double[] {nan, 1, 3, 2}, 4).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {2, nan, 1, 2}, 4).requiresGrad(true);
        a.maximum(b).sum().backward();
        // PyTorch: each side gets g unless the other is larger, half on a tie; NaN compares false, so both get it.
        Check.close("d maximum/da", a.grad(), Ref.of(new int[] {4}, 1, 1, 1, 0.5), DType.F64);
        Check.close("d maximum/db", b.grad(), Ref.of(new int[] {4}, 1, 1, 0, 0.5), DType.F64);
        Tensor c = Tensor.of(new double[] {nan, 1, 3}, 3).requiresGrad(true);
        Tensor d = Tensor.of(new double[] {2, 2, 1}, 3).requiresGrad(true);
        c.minimum(d).sum().backward();
        Check.close("d minimum/dc", c.grad(), Ref.of(new int[] {3}, 1, 1, 0), DType.F64);
        Check.close("d minimum/dd", d.grad(), Ref.of(new int[] {3}, 1, 0, 1), DType.F64);
    }
}
