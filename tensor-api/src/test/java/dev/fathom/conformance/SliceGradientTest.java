package dev.fathom.conformance;

import dev.fathom.autograd.Autograd;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

/**
 * Gradients of many views ({@code select}, {@code narrow}, strided {@code slice}) of one non-leaf
 * tensor, which the backward pass sums by adding each view's gradient into the running sum in place
 * (what an RNN's per-step selects of its input projection need): checked against the sum written
 * out element by element in F64, whatever reaches the sum first (a view or a direct use), with
 * overlapping and repeated views, with createGraph (the recorded path) and with a caller-given
 * output gradient, which must come back untouched.
 */
class SliceGradientTest extends ConformanceTest {
    private static final int T = 5;
    private static final int R = 3;
    private static final int C = 4;

    private static double coef(int salt, int i) {
        return Math.sin(0.7 * i + 1.3 * salt) + 0.1 * salt;
    }

    private static Tensor coefs(int salt, int... shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = coef(salt, i);
        }
        return Tensor.of(v, shape);
    }

    private static Tensor input() {
        return coefs(9, T, R, C).requiresGrad(true);
    }

    /**
     * L = Σ_t Σ k_t ⊙ y[t] + Σ a ⊙ y[1] (again) + Σ b ⊙ y[:, 1:3, :] + Σ e ⊙ y[:, :, 0::2]
     * + (directly when {@code direct}) Σ d ⊙ y, with y = 2x.
     */
    private static Tensor loss(Tensor x, boolean directFirst) {
        Tensor y = x.mul(2);
        DType dt = x.dtype();
        Tensor l = directFirst ? y.mul(coefs(5, T, R, C).to(dt)).sum() : null;
        for (int t = 0; t < T; t++) {
            Tensor term = y.select(0, t).mul(coefs(10 + t, R, C).to(dt)).sum();
            l = l == null ? term : l.add(term);
        }
        l = l.add(y.select(0, 1).mul(coefs(2, R, C).to(dt)).sum());
        l = l.add(y.narrow(1, 1, 2).mul(coefs(3, T, 2, C).to(dt)).sum());
        l = l.add(y.slice(2, 0, C, 2).mul(coefs(4, T, R, 2).to(dt)).sum());
        if (!directFirst) {
            l = l.add(y.mul(coefs(5, T, R, C).to(dt)).sum());
        }
        return l;
    }

    /** dL/dx, written out: 2 × the coefficient of every y element, summed over the terms that read it. */
    private static Ref expected() {
        double[] g = new double[T * R * C];
        for (int t = 0; t < T; t++) {
            for (int r = 0; r < R; r++) {
                for (int c = 0; c < C; c++) {
                    int i = (t * R + r) * C + c;
                    double s = coef(10 + t, r * C + c) + coef(5, i);
                    if (t == 1) {
                        s += coef(2, r * C + c);
                    }
                    if (r >= 1 && r < 3) {
                        s += coef(3, (t * 2 + r - 1) * C + c);
                    }
                    if (c % 2 == 0) {
                        s += coef(4, (t * R + r) * 2 + c / 2);
                    }
                    g[i] = 2 * s;
                }
            }
        }
        return Ref.of(new int[] {T, R, C}, g);
    }

    @BackendTest
    void gradientsOfManyViewsOfOneTensorSum(TestBackends.Case backend) {
        use(backend);
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            for (boolean directFirst : new boolean[] {false, true}) {
                Tensor x = input().detach().to(dtype).requiresGrad(true);
                loss(x, directFirst).backward();
                Check.close("dL/dx, direct use " + (directFirst ? "first" : "last"), x.grad(), expected(), dtype);
            }
        }
    }

    @BackendTest
    void retainedGraphGivesTheSameSumTwice(TestBackends.Case backend) {
        use(backend);
        Tensor x = input();
        Tensor l = loss(x, false);
        l.backward(true);
        l.backward(true);
        Ref once = expected();
        double[] twice = once.data.clone();
        for (int i = 0; i < twice.length; i++) {
            twice[i] *= 2;
        }
        Check.close("two backward passes", x.grad(), Ref.of(once.shape, twice), DType.F64);
    }

    @BackendTest
    void createGraphRecordsTheSum(TestBackends.Case backend) {
        use(backend);
        Tensor x = input();
        Tensor gx = Autograd.grad(new Tensor[] {loss(x, false)}, new Tensor[] {x}, true)[0];
        Check.close("dL/dx through the recorded pass", gx, expected(), DType.F64);
    }

    @BackendTest
    void callerGivenGradientIsNotWrittenInto(TestBackends.Case backend) {
        use(backend);
        Tensor x = input();
        Tensor y = x.mul(2);
        Tensor given = coefs(6, T, R, C);
        Ref before = Ref.of(new int[] {T, R, C}, given.toDoubleArray());
        Tensor[] outs = {y, y.select(0, 2), y.select(0, 4)};
        Tensor[] gouts = {given, coefs(7, R, C), coefs(8, R, C)};
        Tensor gx = Autograd.grad(outs, gouts, new Tensor[] {x}, false, false)[0];
        double[] want = new double[T * R * C];
        for (int i = 0; i < want.length; i++) {
            int t = i / (R * C);
            double s = coef(6, i) + (t == 2 ? coef(7, i % (R * C)) : 0) + (t == 4 ? coef(8, i % (R * C)) : 0);
            want[i] = 2 * s;
        }
        Check.close("dx with an output gradient for y itself", gx, Ref.of(new int[] {T, R, C}, want), DType.F64);
        Check.exact("the caller's gradient tensor", given, before, DType.F64);
    }
}
