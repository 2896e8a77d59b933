package dev.fathom.conformance;

import dev.fathom.conformance.OptimizerRef.Rule;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.optim.Adagrad;
import dev.fathom.optim.Adam;
import dev.fathom.optim.AdamW;
import dev.fathom.optim.Optimizer;
import dev.fathom.optim.RMSProp;
import dev.fathom.optim.SGD;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every update rule against the F64 loops of {@link OptimizerRef}, step by step, on a 3-element
 * parameter whose gradient comes from backward of {@code Σ ½·c·p² + d·p} (so it changes as the
 * parameter moves); a few steps against numbers worked out by hand; AdamW's decay against Adam's
 * L2 penalty; skipped parameters. State dicts, lifecycle, bad input and memory are in
 * {@link OptimizerStateTest}.
 */
class OptimizersTest extends ConformanceTest {
    static final double[] P0 = {0.5, -1.5, 2.0};
    static final double[] C = {1.0, 0.5, 2.0};
    static final double[] D = {0.3, -0.2, 0.1};

    /** An optimizer configuration and its reference. */
    record Variant(String name, Function<List<Parameter>, Optimizer> make, Supplier<Rule> ref) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Variant> variants() {
        return List.of(
                new Variant("SGD", ps -> new SGD(ps, 0.1), () -> OptimizerRef.sgd(0.1, 0, 0, false, 0)),
                new Variant("SGD momentum", ps -> new SGD(ps, SGD.Config.defaults().withLr(0.1).withMomentum(0.9)),
                        () -> OptimizerRef.sgd(0.1, 0.9, 0, false, 0)),
                new Variant("SGD momentum dampening weightDecay",
                        ps -> new SGD(ps, SGD.Config.defaults().withLr(0.1).withMomentum(0.8).withDampening(0.3).withWeightDecay(0.05)),
                        () -> OptimizerRef.sgd(0.1, 0.8, 0.3, false, 0.05)),
                new Variant("SGD nesterov weightDecay",
                        ps -> new SGD(ps, SGD.Config.defaults().withLr(0.1).withMomentum(0.9).withNesterov(true).withWeightDecay(0.01)),
                        () -> OptimizerRef.sgd(0.1, 0.9, 0, true, 0.01)),
                new Variant("Adam", ps -> new Adam(ps, 0.1), () -> OptimizerRef.adam(0.1, 0.9, 0.999, 1e-8, 0, false, false)),
                new Variant("Adam L2", ps -> new Adam(ps, Adam.Config.defaults().withLr(0.1).withWeightDecay(0.1)),
                        () -> OptimizerRef.adam(0.1, 0.9, 0.999, 1e-8, 0.1, false, false)),
                new Variant("Adam amsgrad", ps -> new Adam(ps, Adam.Config.defaults().withLr(0.3).withBetas(0.5, 0.6).withAmsgrad(true)),
                        () -> OptimizerRef.adam(0.3, 0.5, 0.6, 1e-8, 0, true, false)),
                new Variant("AdamW", ps -> new AdamW(ps, AdamW.Config.defaults().withLr(0.1).withWeightDecay(0.1)),
                        () -> OptimizerRef.adam(0.1, 0.9, 0.999, 1e-8, 0.1, false, true)),
                new Variant("AdamW amsgrad eps",
                        ps -> new AdamW(ps, AdamW.Config.defaults().withLr(0.3).withBetas(0.5, 0.6).withEps(1e-3).withAmsgrad(true)),
                        () -> OptimizerRef.adam(0.3, 0.5, 0.6, 1e-3, 0.01, true, true)),
                new Variant("RMSProp", ps -> new RMSProp(ps, RMSProp.Config.defaults()), () -> OptimizerRef.rmsprop(0.01, 0.99, 1e-8, 0, 0, false)),
                new Variant("RMSProp centered",
                        ps -> new RMSProp(ps, RMSProp.Config.defaults().withLr(0.05).withAlpha(0.9).withCentered(true)),
                        () -> OptimizerRef.rmsprop(0.05, 0.9, 1e-8, 0, 0, true)),
                new Variant("RMSProp momentum centered L2",
                        ps -> new RMSProp(ps, RMSProp.Config.defaults().withLr(0.05).withAlpha(0.9).withMomentum(0.7).withCentered(true)
                                .withWeightDecay(0.1)),
                        () -> OptimizerRef.rmsprop(0.05, 0.9, 1e-8, 0.1, 0.7, true)),
                new Variant("Adagrad", ps -> new Adagrad(ps, Adagrad.Config.defaults().withLr(0.1)), () -> OptimizerRef.adagrad(0.1, 0, 0, 0, 1e-10)),
                new Variant("Adagrad lrDecay L2 accumulator",
                        ps -> new Adagrad(ps, Adagrad.Config.defaults().withLr(0.1).withLrDecay(0.1).withWeightDecay(0.05)
                                .withInitialAccumulatorValue(0.5)),
                        () -> OptimizerRef.adagrad(0.1, 0.1, 0.05, 0.5, 1e-10)));
    }

    static Stream<Arguments> cases() {
        return TestBackends.times(variants().toArray());
    }

    /** A trainable parameter holding {@code values} in {@code dtype}, owned by the caller. */
    static Parameter param(DType dtype, double... values) {
        return new Parameter(Tensor.of(values.clone(), values.length).to(dtype), true);
    }

    /** Backward of {@code Σ ½·c·p² + d·p}: the parameter's gradient becomes {@code c·p + d}. */
    static void backwardOfQuadratic(Parameter p) {
        Tensor w = p.data();
        Tensor c = Tensor.of(C.clone(), 3).to(w.dtype()), d = Tensor.of(D.clone(), 3).to(w.dtype());
        w.mul(w).mul(c).mul(0.5).add(w.mul(d)).sum().backward();
    }

    static double[] quadraticGrad(double[] p) {
        double[] g = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            g[i] = C[i] * p[i] + D[i];
        }
        return g;
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("cases")
    void updateMatchesTheReferenceStepByStep(TestBackends.Case backend, Variant variant) {
        use(backend);
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            double tol = dtype == DType.F64 ? 1e-12 : 2e-5;
            try (Parameter p = param(dtype, P0); Optimizer opt = variant.make().apply(List.of(p))) {
                Rule ref = variant.ref().get();
                double[] expected = P0.clone();
                for (int step = 1; step <= 6; step++) {
                    backwardOfQuadratic(p);
                    opt.step();
                    opt.zeroGrad();
                    ref.step(expected, quadraticGrad(expected));
                    Check.values(variant + " " + dtype + " after step " + step, p.data().toDoubleArray(), Ref.of(new int[] {3}, expected), tol, tol);
                }
                assertTrue(Math.abs(expected[0] - P0[0]) > 1e-3, variant + ": the parameter moved, so the comparison means something");
            }
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void amsgradChangesTheTrajectoryOfTheseTestCases(TestBackends.Case backend) {
        use(backend);
        // Guards the amsgrad variants above: on this problem the second moment shrinks, so max(v) matters.
        double[] plain = P0.clone(), ams = P0.clone();
        Rule a = OptimizerRef.adam(0.3, 0.5, 0.6, 1e-8, 0, false, false), b = OptimizerRef.adam(0.3, 0.5, 0.6, 1e-8, 0, true, false);
        for (int i = 0; i < 6; i++) {
            a.step(plain, quadraticGrad(plain));
            b.step(ams, quadraticGrad(ams));
        }
        assertTrue(Math.abs(plain[0] - ams[0]) > 1e-3, "amsgrad and plain Adam differ: " + plain[0] + " vs " + ams[0]);
    }

    /** A constant gradient {@code g}, set directly. */
    private static void setGrad(Parameter p, double... g) {
        p.data().setGrad(Tensor.of(g.clone(), g.length).to(p.data().dtype()));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void momentumStepsWorkedOutByHand(TestBackends.Case backend) {
        use(backend);
        // Gradient 1, lr 0.1, momentum 0.9. Heavy ball: b = 1, 1.9, 2.71 → p = 0.9, 0.71, 0.439.
        // Nesterov: b as above, step g + 0.9·b = 1.9, 2.71, 3.439 → p = 0.81, 0.539, 0.1951.
        double[][] expected = {{0.9, 0.71, 0.439}, {0.81, 0.539, 0.1951}};
        for (int k = 0; k < 2; k++) {
            try (Parameter p = param(DType.F64, 1.0);
                    SGD opt = new SGD(List.of(p), SGD.Config.defaults().withLr(0.1).withMomentum(0.9).withNesterov(k == 1))) {
                for (int step = 0; step < 3; step++) {
                    setGrad(p, 1.0);
                    opt.step();
                    assertEquals(expected[k][step], p.data().itemDouble(), 1e-12, (k == 1 ? "Nesterov" : "heavy ball") + " step " + (step + 1));
                }
            }
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void adamsFirstStepIsLrTimesTheSignOfTheGradient(TestBackends.Case backend) {
        use(backend);
        // Bias correction makes m̂ = g and v̂ = g² at step 1, so the step is lr·g/(|g| + eps).
        try (Parameter p = param(DType.F64, 1, 1, 1); Adam opt = new Adam(List.of(p), 0.01)) {
            setGrad(p, 1e-3, -5, 40);
            opt.step();
            double[] got = p.data().toDoubleArray();
            assertArrayEquals(new double[] {1 - 0.01 * 1e-3 / (1e-3 + 1e-8), 1 + 0.01 * 5 / (5 + 1e-8), 1 - 0.01 * 40 / (40 + 1e-8)}, got, 1e-12);
            assertArrayEquals(new double[] {0.99, 1.01, 0.99}, got, 1e-6, "≈ lr·sign(g), whatever the gradient's size");
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void adamWDecaysEveryWeightAtTheSameRateWhileAdamsL2IsNormalized(TestBackends.Case backend) {
        use(backend);
        // Zero gradient: AdamW's moments stay 0, so only the decay acts: p·(1 - lr·wd) exactly.
        try (Parameter p = param(DType.F64, 2, -0.5); AdamW opt = new AdamW(List.of(p), AdamW.Config.defaults().withLr(0.1).withWeightDecay(0.5))) {
            setGrad(p, 0, 0);
            opt.step();
            assertArrayEquals(new double[] {2 * 0.95, -0.5 * 0.95}, p.data().toDoubleArray(), 1e-15);
        }
        // Adam's L2 penalty becomes the gradient wd·p, which the first step normalizes to lr·sign(p) whatever the size of p.
        try (Parameter p = param(DType.F64, 2, -0.5); Adam opt = new Adam(List.of(p), Adam.Config.defaults().withLr(0.1).withWeightDecay(0.5))) {
            setGrad(p, 0, 0);
            opt.step();
            assertArrayEquals(new double[] {1.9, -0.4}, p.data().toDoubleArray(), 1e-7);
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void parametersWithoutAGradientAreSkipped(TestBackends.Case backend) {
        use(backend);
        try (Parameter a = param(DType.F64, 1, 2); Parameter b = param(DType.F64, 3); Adam opt = new Adam(List.of(a, b), 0.1)) {
            setGrad(a, 1, 1);
            opt.step();
            opt.step();
            assertArrayEquals(new double[] {3}, b.data().toDoubleArray(), "b has no gradient and is not touched");
            assertNull(b.grad());
            try (var state = opt.stateDict()) {
                assertEquals(2L, state.scalars().get("0.step"));
                assertEquals(0L, state.scalars().get("1.step"));
                assertEquals(List.of("0.exp_avg", "0.exp_avg_sq"), List.copyOf(state.tensors().keySet()), "no state for b");
            }
            setGrad(b, 1);
            opt.step();
            assertEquals(3 - 0.1, b.data().itemDouble(), 1e-6, "b's first update uses step 1's bias correction");
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void aReplacedParameterTensorIsTheOneUpdated(TestBackends.Case backend) {
        use(backend);
        try (Parameter p = param(DType.F64, 1, 2); SGD opt = new SGD(List.of(p), SGD.Config.defaults().withLr(0.5).withMomentum(0.5))) {
            setGrad(p, 1, 1);
            opt.step();
            p.set(Tensor.of(new double[] {10, 20}, 2));
            setGrad(p, 1, 1);
            opt.step();
            // Momentum buffer 1 then 0.5·1 + 1 = 1.5, applied to the new tensor.
            assertArrayEquals(new double[] {10 - 0.75, 20 - 0.75}, p.data().toDoubleArray(), 1e-12);
        }
    }

    /** {@code y = x·w + b} for x of shape [n, 2]: the smallest module with two parameters. */
    private static final class Affine extends Module {
        final Parameter w = parameter("w", Tensor.zeros(2, 1));
        final Parameter b = parameter("b", Tensor.zeros(1));

        @Override
        public Tensor forward(Tensor x) {
            return x.matmul(w.data()).add(b.data());
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void trainsAModuleToTheLeastSquaresSolution(TestBackends.Case backend) {
        use(backend);
        // Targets from w* = [2, -3], b* = 0.5 without noise, so the least-squares solution is exactly (w*, b*).
        float[] xs = {1, 0, 0, 1, 1, 1, -1, 2, 0.5f, -1, 2, 2};
        float[] ys = new float[6];
        for (int i = 0; i < 6; i++) {
            ys[i] = 2 * xs[2 * i] - 3 * xs[2 * i + 1] + 0.5f;
        }
        try (Affine model = new Affine(); Adam opt = new Adam(model.parameters(), 0.05)) {
            Tensor x = Tensor.of(xs, 6, 2), y = Tensor.of(ys, 6, 1);
            for (int step = 0; step < 1500; step++) {
                try (Scope s = Scope.open()) {
                    Tensor err = model.forward(x).sub(y);
                    err.mul(err).mean().backward();
                    opt.step();
                    model.zeroGrad();
                }
            }
            assertArrayEquals(new float[] {2, -3}, model.w.data().toFloatArray(), 1e-3f);
            assertEquals(0.5f, model.b.data().item(), 1e-3f);
        }
    }
}
