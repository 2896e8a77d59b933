package dev.fathom.conformance;

import dev.fathom.nn.Parameter;
import dev.fathom.optim.Adagrad;
import dev.fathom.optim.Adam;
import dev.fathom.optim.AdamW;
import dev.fathom.optim.CosineAnnealingLR;
import dev.fathom.optim.GradClip;
import dev.fathom.optim.Optimizer;
import dev.fathom.optim.OptimizerState;
import dev.fathom.optim.RMSProp;
import dev.fathom.optim.SGD;
import dev.fathom.spi.Kernels;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.fathom.conformance.Check.fails;
import static dev.fathom.conformance.OptimizersTest.backwardOfQuadratic;
import static dev.fathom.conformance.OptimizersTest.param;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Optimizer state dicts (a fresh optimizer loaded with the state continues bit-identically; strict
 * checks with clear messages), the call order, bad hyperparameters, toString, and no growth of
 * the backend's live buffers over 1000 steps.
 */
class OptimizerStateTest extends ConformanceTest {

    static Stream<Arguments> cases() {
        return TestBackends.times(OptimizersTest.variants().toArray());
    }

    private static void train(Parameter p, Optimizer opt, int steps) {
        for (int i = 0; i < steps; i++) {
            backwardOfQuadratic(p);
            opt.step();
            opt.zeroGrad();
        }
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("cases")
    void aFreshOptimizerLoadedWithTheStateContinuesBitIdentically(TestBackends.Case backend, OptimizersTest.Variant variant) {
        use(backend);
        try (Parameter p = param(DType.F32, OptimizersTest.P0); Optimizer opt = variant.make().apply(List.of(p))) {
            train(p, opt, 3);
            opt.setLr(opt.lr() * 0.5);
            Parameter q = param(DType.F32, p.data().toDoubleArray());
            try (q; Optimizer fresh = variant.make().apply(List.of(q)); OptimizerState state = opt.stateDict()) {
                fresh.loadStateDict(state);
                assertEquals(opt.lr(), fresh.lr(), "the learning rate a schedule set is part of the state");
                assertEquals(3, fresh.stepCount());
                train(p, opt, 3);
                train(q, fresh, 3);
                assertArrayEquals(p.data().toFloatArray(), q.data().toFloatArray(), variant + ": 3 more steps after loading the state");
            }
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void mismatchedStateIsRejectedWithEveryProblemNamed(TestBackends.Case backend) {
        use(backend);
        try (Parameter a = param(DType.F32, 1, 2, 3); Parameter b = param(DType.F32, 1, 2); Parameter c = param(DType.F64, 1, 2, 3);
                Adam adam = new Adam(List.of(a), 0.1); Adam two = new Adam(List.of(a, b), 0.1); Adam f64 = new Adam(List.of(c), 0.1);
                Adam ams = new Adam(List.of(a), Adam.Config.defaults().withAmsgrad(true)); SGD sgd = new SGD(List.of(a), 0.1)) {
            backwardOfQuadratic(a);
            adam.step();
            OptimizerState state = adam.stateDict();
            fails(IllegalArgumentException.class, () -> sgd.loadStateDict(state), "SGD.loadStateDict", "written by Adam, not SGD");
            fails(IllegalArgumentException.class, () -> two.loadStateDict(state), "Adam.loadStateDict", "for 1 parameters, this optimizer has 2");
            fails(IllegalArgumentException.class, () -> ams.loadStateDict(state), "missing \"0.max_exp_avg_sq\"");
            fails(IllegalArgumentException.class, () -> f64.loadStateDict(state), "\"0.exp_avg\" is F32, but parameter 0 is F64");
            Map<String, Tensor> wrongShape = new LinkedHashMap<>(state.tensors());
            wrongShape.put("0.exp_avg", Tensor.zeros(4));
            fails(IllegalArgumentException.class, () -> adam.loadStateDict(new OptimizerState("Adam", wrongShape, state.scalars())),
                    "\"0.exp_avg\" has shape [4], but parameter 0 has [3]");
            Map<String, Tensor> extra = new LinkedHashMap<>(state.tensors());
            extra.put("0.momentum_buffer", Tensor.zeros(3));
            fails(IllegalArgumentException.class, () -> adam.loadStateDict(new OptimizerState("Adam", extra, state.scalars())),
                    "unexpected \"0.momentum_buffer\"");
            Map<String, Number> noStep = new HashMap<>(state.scalars());
            noStep.remove("0.step");
            fails(IllegalArgumentException.class, () -> adam.loadStateDict(new OptimizerState("Adam", state.tensors(), noStep)),
                    "scalar \"0.step\" is missing");
            Map<String, Number> infiniteLr = new HashMap<>(state.scalars());
            infiniteLr.put("lr", Double.POSITIVE_INFINITY);
            fails(IllegalArgumentException.class, () -> adam.loadStateDict(new OptimizerState("Adam", state.tensors(), infiniteLr)),
                    "Adam.loadStateDict", "lr is Infinity");
            Map<String, Number> negativeStep = new HashMap<>(state.scalars());
            negativeStep.put("step", -7L);
            fails(IllegalArgumentException.class, () -> adam.loadStateDict(new OptimizerState("Adam", state.tensors(), negativeStep)),
                    "Adam.loadStateDict", "step is -7");
            assertEquals(0.1, adam.lr(), "a refused state leaves the optimizer as it was");
            double[] before = a.data().toDoubleArray();
            adam.loadStateDict(state);
            assertArrayEquals(before, a.data().toDoubleArray(), "loading state does not touch the parameters");
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void theCallOrderIsEnforced(TestBackends.Case backend) {
        use(backend);
        try (Parameter p = param(DType.F32, 1, 2, 3)) {
            SGD opt = new SGD(List.of(p), 0.1);
            fails(IllegalStateException.class, opt::step, "SGD.step", "none of the 1 parameters has a gradient", "backward()");
            backwardOfQuadratic(p);
            opt.step();
            opt.zeroGrad();
            assertEquals(null, p.grad(), "zeroGrad drops the gradients");
            fails(IllegalStateException.class, opt::step, "call loss.backward() before step()");
            opt.close();
            backwardOfQuadratic(p);
            fails(IllegalStateException.class, opt::step, "SGD.step", "closed");
            fails(IllegalStateException.class, opt::zeroGrad, "closed");
            fails(IllegalStateException.class, () -> opt.setLr(1), "closed");
            fails(IllegalStateException.class, opt::stateDict, "closed");
            opt.close();
        }
        Parameter q = param(DType.F32, 1, 2, 3);
        try (SGD opt = new SGD(List.of(q), 0.1)) {
            backwardOfQuadratic(q);
            q.close();
            fails(IllegalStateException.class, opt::step, "SGD.step", "parameter 0 ([3]) is closed");
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void badHyperparametersAndParameterListsAreRejected(TestBackends.Case backend) {
        use(backend);
        try (Parameter p = param(DType.F32, 1, 2, 3); Parameter buffer = new Parameter(Tensor.zeros(2), false)) {
            List<Parameter> ps = List.of(p);
            fails(IllegalArgumentException.class, () -> new SGD(ps, -0.1), "SGD", "lr", "-0.1", ">= 0");
            fails(IllegalArgumentException.class, () -> Adam.Config.defaults().withBetas(1.0, 0.999), "Adam", "beta1", "[0, 1)", "1.0");
            fails(IllegalArgumentException.class, () -> AdamW.Config.defaults().withBetas(0.9, -0.1), "AdamW", "beta2", "-0.1");
            fails(IllegalArgumentException.class, () -> Adam.Config.defaults().withEps(Double.NaN), "Adam", "eps", "NaN");
            fails(IllegalArgumentException.class, () -> SGD.Config.defaults().withNesterov(true), "SGD", "nesterov", "momentum > 0");
            fails(IllegalArgumentException.class, () -> SGD.Config.defaults().withMomentum(0.9).withDampening(0.1).withNesterov(true),
                    "dampening == 0", "dampening=0.1");
            fails(IllegalArgumentException.class, () -> RMSProp.Config.defaults().withAlpha(1.5), "RMSProp", "alpha", "1.5");
            fails(IllegalArgumentException.class, () -> Adagrad.Config.defaults().withLrDecay(-1), "Adagrad", "lrDecay", "-1");
            fails(IllegalArgumentException.class, () -> new SGD(List.of(), 0.1), "SGD", "empty parameter list");
            fails(IllegalArgumentException.class, () -> new SGD(List.of(p, p), 0.1), "SGD", "parameter 1", "more than once");
            fails(IllegalArgumentException.class, () -> new SGD(List.of(buffer), 0.1), "SGD", "buffer");
            try (SGD opt = new SGD(ps, 0.1)) {
                fails(IllegalArgumentException.class, () -> opt.setLr(Double.NaN), "SGD", "learning rate", "NaN");
                fails(IllegalArgumentException.class, () -> opt.setLr(-1), "SGD", "learning rate", "-1");
                fails(IllegalArgumentException.class, () -> opt.loadStateDict(null), "SGD.loadStateDict", "null");
            }
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dev.fathom.conformance.TestBackends#backends")
    void toStringPrintsEveryHyperparameter(TestBackends.Case backend) {
        use(backend);
        try (Parameter p = param(DType.F32, 1, 2, 3);
                Adam adam = new Adam(List.of(p), Adam.Config.defaults().withLr(0.02).withBetas(0.8, 0.95).withEps(1e-6).withWeightDecay(0.3)
                        .withAmsgrad(true))) {
            adam.setLr(0.01);
            String s = adam.toString();
            for (String f : new String[] {"Adam(", "lr=0.01", "lr=0.02", "beta1=0.8", "beta2=0.95", "eps=1.0E-6", "weightDecay=0.3", "amsgrad=true",
                    "params=1"}) {
                assertTrue(s.contains(f), "toString should contain " + f + ": " + s);
            }
        }
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("cases")
    void aThousandStepsInScopesGrowNoBuffers(TestBackends.Case backend, OptimizersTest.Variant variant) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        long empty = settledLiveBuffers(device);
        Parameter p;
        try (Scope s = Scope.open()) {
            p = param(DType.F32, OptimizersTest.P0);
        }
        Optimizer opt = variant.make().apply(List.of(p));
        CosineAnnealingLR schedule = new CosineAnnealingLR(opt, 10, 1001, 0);
        try (Scope s = Scope.open()) {
            train(p, opt, 1);   // creates the state
        }
        long start = settledLiveBuffers(device);
        for (int i = 0; i < 1000; i++) {
            try (Scope s = Scope.open()) {
                backwardOfQuadratic(p);
                GradClip.clipGradNorm(List.of(p), 1.0);
                opt.step();
                opt.zeroGrad();
                schedule.step();
            }
        }
        assertEquals(start, k.memoryStats().liveBuffers(), variant + ": live buffers after 1000 steps, each in its own scope");
        opt.close();
        p.close();
        assertEquals(empty, k.memoryStats().liveBuffers(), variant + ": close() releases the optimizer's state");
    }
}
