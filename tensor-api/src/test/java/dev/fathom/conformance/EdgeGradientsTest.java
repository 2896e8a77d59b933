package dev.fathom.conformance;

import dev.fathom.nn.Functional;
import dev.fathom.nn.Reduction;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

/**
 * Gradients at the points where a composite's chain rule gives 0/0 or 0·∞ and PyTorch's backward
 * gives a number: bce at probabilities of exactly 0 or 1 (a sigmoid of 17 or more is 1 in F32), the
 * std of a constant row, and {@code x^0} at {@code x = 0}. Each was NaN, and a NaN gradient turns the
 * parameters NaN while the loss stays finite. References: PyTorch's formulas (FunctionsManual.cpp:
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
}
