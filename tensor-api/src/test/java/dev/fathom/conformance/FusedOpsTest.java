package dev.fathom.conformance;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.Gradcheck;
import dev.fathom.conformance.OptimizerRef.Rule;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Parameter;
import dev.fathom.optim.Adam;
import dev.fathom.optim.AdamW;
import dev.fathom.optim.Optimizer;
import dev.fathom.optim.SGD;
import dev.fathom.spi.Kernels;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;

import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ops that run on the fused kernels where a backend has them (softmax, log-softmax, layer norm,
 * training-mode batch norm, the SGD/Adam/AdamW steps), through the tensor API: values and
 * gradients of non-contiguous inputs against {@link FusedRef}; first- and second-order gradchecks
 * (the second order takes the composite backward that a createGraph pass records); optimizer
 * steps on a parameter long enough for vector loops and tails, contiguous and transposed, against
 * {@link OptimizerRef}; and a training loop whose live buffers stay flat.
 */
class FusedOpsTest extends ConformanceTest {
    private final Inputs in = new Inputs(4242);

    private Tensor leaf(double lo, double hi, int... shape) {
        return Inputs.upload(in.values(shape, DType.F64, lo, hi), DType.F64).requiresGrad(true);
    }

    @BackendTest
    void softmaxOfAPermutedInputAndItsGradient(TestBackends.Case backend) {
        use(backend);
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            for (boolean log : new boolean[] {false, true}) {
                // Logical (4, 5, 3) over dim 1, stored as (3, 4, 5): the op must make it contiguous first.
                Ref stored = in.values(new int[] {3, 4, 5}, dtype, -3, 3);
                Tensor x = Inputs.upload(stored, dtype).permute(1, 2, 0).requiresGrad(true);
                double[] logical = x.detach().toDoubleArray();
                Tensor y = log ? x.logSoftmax(1) : x.softmax(1);
                double[] ref = FusedRef.softmax(logical, 4, 5, 3, log);
                double tol = dtype == DType.F64 ? 1e-12 : 2e-6;
                String what = (log ? "logSoftmax" : "softmax") + " permuted";
                Check.close(what, y, new Ref(new int[] {4, 5, 3}, ref), dtype, tol, tol);
                Ref gy = in.values(new int[] {4, 5, 3}, dtype, -1, 1);
                y.backward(Inputs.upload(gy, dtype));
                double[] dx = FusedRef.softmaxBackward(y.detach().toDoubleArray(), gy.data, 4, 5, 3, log);
                Check.close(what + " dx", x.grad(), new Ref(new int[] {4, 5, 3}, dx), dtype, 10 * tol, 10 * tol);
            }
        }
    }

    @BackendTest
    void softmaxAndLogSoftmaxGradcheckToSecondOrder(TestBackends.Case backend) {
        use(backend);
        Tensor a = leaf(-2, 2, 3, 4, 5), b = leaf(-2, 2, 2, 7);
        assertTrue(Gradcheck.check(t -> t[0].softmax(1), a).passed());
        assertTrue(Gradcheck.check(t -> t[0].logSoftmax(-1), b).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> t[0].softmax(1), a).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> t[0].logSoftmax(0), b).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> t[0].logSoftmax(-1).mul(t[0]), b).passed());
        Tensor target = Tensor.of(new long[] {3, 0}, 2);
        assertTrue(Gradcheck.checkSecondOrder(t -> Functional.crossEntropy(t[0], target), b).passed());
    }

    @BackendTest
    void layerNormGradcheckToSecondOrder(TestBackends.Case backend) {
        use(backend);
        Tensor x = leaf(-2, 2, 3, 2, 5), w = leaf(0.5, 1.5, 2, 5), b = leaf(-1, 1, 2, 5);
        int[] shape = {2, 5};
        Function<Tensor[], Tensor> affine = t -> Functional.layerNorm(t[0], shape, t[1], t[2], 1e-5);
        assertTrue(Gradcheck.check(affine, x, w, b).passed());
        assertTrue(Gradcheck.checkSecondOrder(affine, x, w, b).passed());
        Tensor x2 = leaf(-2, 2, 4, 6), w2 = leaf(0.5, 1.5, 6);
        Function<Tensor[], Tensor> weightOnly = t -> Functional.layerNorm(t[0], new int[] {6}, t[1], null, 1e-5).tanh();
        assertTrue(Gradcheck.check(weightOnly, x2, w2).passed());
        assertTrue(Gradcheck.checkSecondOrder(weightOnly, x2, w2).passed());
        Function<Tensor[], Tensor> plain = t -> Functional.layerNorm(t[0], new int[] {6}, null, null, 1e-5).mul(t[0]);
        assertTrue(Gradcheck.checkSecondOrder(plain, x2).passed());
    }

    @BackendTest
    void batchNormGradcheckToSecondOrder(TestBackends.Case backend) {
        use(backend);
        Tensor x = leaf(-2, 2, 3, 2, 2, 3), w = leaf(0.5, 1.5, 2), b = leaf(-1, 1, 2);
        Function<Tensor[], Tensor> affine = t -> Functional.batchNorm(t[0], null, null, t[1], t[2], true, 0.1, 1e-5);
        assertTrue(Gradcheck.check(affine, x, w, b).passed());
        assertTrue(Gradcheck.checkSecondOrder(affine, x, w, b).passed());
        Tensor x2 = leaf(-2, 2, 5, 3);
        Function<Tensor[], Tensor> plain = t -> Functional.batchNorm(t[0], null, null, null, null, true, 0.1, 1e-5).tanh();
        assertTrue(Gradcheck.check(plain, x2).passed());
        assertTrue(Gradcheck.checkSecondOrder(plain, x2).passed());
        // A weight that does not require grad: only x's gradient is asked of the kernel.
        Tensor fixedW = Tensor.of(new double[] {0.7, 1.3, 0.9}, 3);
        assertTrue(Gradcheck.check(t -> Functional.batchNorm(t[0], null, null, fixedW, null, true, 0.1, 1e-5), x2).passed());
    }

    /**
     * A createGraph pass takes the composite backward, a plain one the backward kernel; both must give
     * the same gradient. (checkSecondOrder alone would not notice a wrong composite: it differentiates
     * the createGraph gradient, whatever its value, against finite differences of itself.)
     */
    @BackendTest
    void createGraphGradientsEqualThePlainOnes(TestBackends.Case backend) {
        use(backend);
        Tensor x = leaf(-2, 2, 4, 3, 5), w = leaf(0.5, 1.5, 3), b = leaf(-1, 1, 3), wl = leaf(0.5, 1.5, 5), bl = leaf(-1, 1, 5);
        sameGradients("softmax", t -> t[0].softmax(1), x);
        sameGradients("logSoftmax", t -> t[0].logSoftmax(2), x);
        sameGradients("layerNorm affine", t -> Functional.layerNorm(t[0], new int[] {5}, t[1], t[2], 1e-5), x, wl, bl);
        sameGradients("layerNorm plain", t -> Functional.layerNorm(t[0], new int[] {3, 5}, null, null, 1e-5), x);
        sameGradients("batchNorm affine", t -> Functional.batchNorm(t[0], null, null, t[1], t[2], true, 0.1, 1e-5), x, w, b);
        sameGradients("batchNorm plain", t -> Functional.batchNorm(t[0], null, null, null, null, true, 0.1, 1e-5), x);
    }

    private void sameGradients(String what, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        Tensor y = fn.apply(inputs);
        Tensor gy = Inputs.upload(in.values(y.shape(), DType.F64, -1, 1), DType.F64);
        Tensor[] created = Autograd.grad(new Tensor[] {y}, new Tensor[] {gy}, inputs, true, true);
        Tensor[] plain = Autograd.grad(new Tensor[] {fn.apply(inputs)}, new Tensor[] {gy}, inputs, false, false);
        for (int i = 0; i < inputs.length; i++) {
            Check.close(what + " input " + i + " createGraph vs plain", created[i], new Ref(plain[i].shape(), plain[i].toDoubleArray()), DType.F64,
                    1e-12, 1e-10);
        }
    }

    @BackendTest
    void hessianVectorProductOfLayerNormMatchesFiniteDifferencesOfTheGradient(TestBackends.Case backend) {
        use(backend);
        double[] x0 = in.values(new int[] {12}, DType.F64, -2, 2).data, v = in.values(new int[] {12}, DType.F64, -1, 1).data;
        double[] hv = hessianVector(x0, v);
        double h = 1e-5;
        double[] plus = x0.clone(), minus = x0.clone();
        for (int i = 0; i < 12; i++) {
            plus[i] += h * v[i];
            minus[i] -= h * v[i];
        }
        double[] gp = gradient(plus), gm = gradient(minus);
        for (int i = 0; i < 12; i++) {
            assertEquals((gp[i] - gm[i]) / (2 * h), hv[i], 1e-6, "Hv[" + i + "]");
        }
    }

    /** f(x) = Σ layerNorm(x)³ over rows of 4 (cubed, so the Hessian is not trivial). */
    private static Tensor f(Tensor x) {
        return Functional.layerNorm(x.reshape(3, 4), new int[] {4}, null, null, 1e-5).pow(3).sum();
    }

    private static double[] gradient(double[] x0) {
        Tensor x = Tensor.of(x0.clone(), 12).requiresGrad(true);
        return Autograd.grad(new Tensor[] {f(x)}, new Tensor[] {x}, false)[0].toDoubleArray();
    }

    private static double[] hessianVector(double[] x0, double[] v) {
        Tensor x = Tensor.of(x0.clone(), 12).requiresGrad(true);
        Tensor g = Autograd.grad(new Tensor[] {f(x)}, new Tensor[] {x}, true)[0];
        return Autograd.grad(new Tensor[] {g.mul(Tensor.of(v.clone(), 12)).sum()}, new Tensor[] {x}, false)[0].toDoubleArray();
    }

    record Variant(String name, Function<List<Parameter>, Optimizer> make, Supplier<Rule> ref) {
    }

    static List<Variant> variants() {
        return List.of(
                new Variant("SGD", ps -> new SGD(ps, 0.1), () -> OptimizerRef.sgd(0.1, 0, 0, false, 0)),
                new Variant("SGD momentum dampening L2",
                        ps -> new SGD(ps, SGD.Config.defaults().withLr(0.1).withMomentum(0.8).withDampening(0.3).withWeightDecay(0.05)),
                        () -> OptimizerRef.sgd(0.1, 0.8, 0.3, false, 0.05)),
                new Variant("SGD nesterov L2",
                        ps -> new SGD(ps, SGD.Config.defaults().withLr(0.1).withMomentum(0.9).withNesterov(true).withWeightDecay(0.01)),
                        () -> OptimizerRef.sgd(0.1, 0.9, 0, true, 0.01)),
                new Variant("Adam L2", ps -> new Adam(ps, Adam.Config.defaults().withLr(0.05).withWeightDecay(0.1)),
                        () -> OptimizerRef.adam(0.05, 0.9, 0.999, 1e-8, 0.1, false, false)),
                new Variant("Adam amsgrad", ps -> new Adam(ps, Adam.Config.defaults().withLr(0.3).withBetas(0.5, 0.6).withAmsgrad(true)),
                        () -> OptimizerRef.adam(0.3, 0.5, 0.6, 1e-8, 0, true, false)),
                new Variant("AdamW", ps -> new AdamW(ps, AdamW.Config.defaults().withLr(0.05).withWeightDecay(0.1)),
                        () -> OptimizerRef.adam(0.05, 0.9, 0.999, 1e-8, 0.1, false, true)),
                new Variant("AdamW amsgrad", ps -> new AdamW(ps, AdamW.Config.defaults().withLr(0.3).withBetas(0.5, 0.6).withAmsgrad(true)),
                        () -> OptimizerRef.adam(0.3, 0.5, 0.6, 1e-8, 0.01, true, true)));
    }

    @BackendTest
    void optimizerStepsOnLongParametersMatchTheF64Rule(TestBackends.Case backend) {
        use(backend);
        int rows = 5, cols = 13;
        for (Variant variant : variants()) {
            for (DType dtype : new DType[] {DType.F64, DType.F32}) {
                for (boolean transposed : new boolean[] {false, true}) {
                    String what = variant.name() + " " + dtype + (transposed ? " transposed" : "");
                    double[] p0 = in.values(new int[] {rows * cols}, dtype, -2, 2).data;
                    // A transposed parameter is not contiguous: the step cannot be fused in place and takes the composite.
                    Tensor data = transposed ? Tensor.of(transpose(p0, rows, cols), cols, rows).to(dtype).t() : Tensor.of(p0.clone(), rows, cols).to(dtype);
                    try (Parameter p = new Parameter(Scope.escape(data), true); Optimizer opt = variant.make().apply(List.of(p))) {
                        Rule ref = variant.ref().get();
                        double[] expected = p0.clone();
                        for (int step = 1; step <= 5; step++) {
                            double scale = 1.0 / step;
                            double[] g = in.values(new int[] {rows * cols}, dtype, -scale, scale).data;
                            p.data().setGrad(Tensor.of(g.clone(), rows, cols).to(dtype));
                            opt.step();
                            opt.zeroGrad();
                            ref.step(expected, g);
                            double tol = dtype == DType.F64 ? 1e-12 : 2e-5;
                            Check.values(what + " step " + step, p.data().toDoubleArray(), new Ref(new int[] {rows, cols}, expected), tol, tol);
                        }
                    }
                }
            }
        }
    }

    private static double[] transpose(double[] a, int rows, int cols) {
        double[] t = new double[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }

    @BackendTest
    void aTrainingLoopOnTheFusedOpsKeepsLiveBuffersFlat(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        Parameter w = new Parameter(Scope.escape(Tensor.rand(6, 8).sub(0.5)), true);
        Parameter gamma = new Parameter(Scope.escape(Tensor.ones(8)), true), beta = new Parameter(Scope.escape(Tensor.zeros(8)), true);
        Tensor runMean = Scope.escape(Tensor.zeros(8)), runVar = Scope.escape(Tensor.ones(8));
        Tensor x = Scope.escape(Tensor.rand(10, 6));
        Tensor target = Scope.escape(Tensor.of(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 0, 1}, 10));
        List<Parameter> params = List.of(w, gamma, beta);
        try (Optimizer adam = new Adam(params, 0.01); Optimizer sgd = new SGD(params, SGD.Config.defaults().withLr(0.01).withMomentum(0.9))) {
            long start = 0;
            double first = Double.NaN, last = Double.NaN;
            for (int step = 0; step < 300; step++) {
                if (step == 3) {
                    // After the optimizers have made their state.
                    start = settledLiveBuffers(device);
                }
                try (Scope s = Scope.open()) {
                    Tensor h = Functional.batchNorm(x.matmul(w.data()), runMean, runVar, gamma.data(), beta.data(), true, 0.1, 1e-5);
                    h = Functional.layerNorm(h, new int[] {8}, gamma.data(), beta.data(), 1e-5);
                    Tensor loss = Functional.crossEntropy(h, target).add(h.softmax(1).pow(2).mean());
                    loss.backward();
                    (step % 2 == 0 ? adam : sgd).step();
                    adam.zeroGrad();
                    if (step == 0) {
                        first = loss.itemDouble();
                    }
                    last = loss.itemDouble();
                }
            }
            assertEquals(start, k.memoryStats().liveBuffers(), "live buffers after 297 more steps of batch norm, layer norm, softmax, Adam and SGD");
            assertTrue(last < first, "the loop trained: loss " + first + " -> " + last);
        } finally {
            for (Tensor t : new Tensor[] {runMean, runVar, x, target}) {
                t.close();
            }
            w.close();
            gamma.close();
            beta.close();
        }
    }

    @BackendTest
    void theCpuBackendRunsTheFusedKernels(TestBackends.Case backend) {
        Device device = use(backend);
        org.junit.jupiter.api.Assumptions.assumeTrue(device.type().equals("cpu"), "the CPU backend is known to have the fused kernels");
        Tensor x = Tensor.rand(4, 6).requiresGrad(true);
        assertEquals("softmax", x.softmax(1).gradFn().op());
        assertEquals("log_softmax", x.logSoftmax(0).gradFn().op());
        assertEquals("layer_norm", Functional.layerNorm(x, new int[] {6}, null, null, 1e-5).gradFn().op());
        assertEquals("batch_norm", Functional.batchNorm(x, null, null, null, null, true, 0.1, 1e-5).gradFn().op());
    }
}
