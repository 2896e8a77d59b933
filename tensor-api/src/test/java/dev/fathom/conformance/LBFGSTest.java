package dev.fathom.conformance;

import dev.fathom.nn.Parameter;
import dev.fathom.optim.LBFGS;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * L-BFGS against torch 1.13's {@code torch.optim.LBFGS} (no line search) on the Rosenbrock
 * function in F64, step by step: the returned losses, the parameters, and the iteration and
 * evaluation counts; the parameters split over two tensors; no buffers left after close.
 */
class LBFGSTest extends ConformanceTest {

    /** (1 − x)² + 100·(y − x²)². */
    private static Tensor rosenbrock(Tensor x, Tensor y) {
        return x.neg().add(1).pow(2).add(y.sub(x.pow(2)).pow(2).mul(100)).sum();
    }

    @BackendTest
    void followsPyTorchOnRosenbrock(TestBackends.Case backend) {
        Device device = use(backend);
        long live = Backends.kernels(device).memoryStats().liveBuffers();
        // torch: p = [-1.5, 2.0] (float64), LBFGS([p], lr=1, max_iter=20, history_size=100), three step(closure) calls.
        double[][] expected = {{-0.781122729831648, 0.6131352916809746}, {0.08303252319322772, 0.005052944696990406},
            {1.054969018030194, 0.8137053551938505}};
        double[] losses = {12.5, 3.173287752667091, 0.8411684492507328};
        try (Parameter p = new Parameter(Tensor.of(new double[] {-1.5, 2.0}, 2), true);
             LBFGS lbfgs = new LBFGS(List.of(p), LBFGS.Config.defaults())) {
            for (int i = 0; i < 3; i++) {
                double loss = lbfgs.step(() -> rosenbrock(p.data().narrow(0, 0, 1), p.data().narrow(0, 1, 1)));
                // Rosenbrock's valley amplifies rounding about 1e4-fold a step: torch itself moves by 8e-8 in step 3 when its loss
                // formula is merely reordered, so the tolerance grows from 1e-12 to 2e-6 over the three steps.
                double tolerance = new double[] {1e-12, 1e-9, 2e-6}[i];
                assertEquals(losses[i], loss, tolerance * losses[i], "step " + i + ": the loss at its start");
                assertArrayEquals(expected[i], p.data().toDoubleArray(), tolerance, "step " + i);
                assertEquals(20L * (i + 1), lbfgs.iterations());
                assertEquals(20L * (i + 1), lbfgs.evaluations());
            }
        }
        // lr 0.5, 7 iterations (8 evaluations), history 3, with x and y in two parameters.
        double[][] second = {{-1.4206165498638803, 2.0325928176157646}, {-1.4044115150168057, 1.96007330267403},
            {-0.8311483092348031, 0.6655092601339825}, {-0.07977580778660065, -0.04049423393954732}};
        try (Parameter x = new Parameter(Tensor.scalar(-1.5), true); Parameter y = new Parameter(Tensor.scalar(2.0), true);
             LBFGS lbfgs = new LBFGS(List.of(x, y), LBFGS.Config.defaults().withLr(0.5).withMaxIterations(7).withHistorySize(3))) {
            for (double[] e : second) {
                lbfgs.step(() -> rosenbrock(x.data(), y.data()));
                assertArrayEquals(e, new double[] {x.data().itemDouble(), y.data().itemDouble()}, 1e-9);
            }
        }
        assertEquals(live, Backends.kernels(device).memoryStats().liveBuffers(), "closing frees the history");
    }

    @BackendTest
    void stopsAtAStationaryPointAndRefusesBadInput(TestBackends.Case backend) {
        use(backend);
        try (Parameter p = new Parameter(Tensor.of(new double[] {1, 1}, 2), true); LBFGS lbfgs = new LBFGS(List.of(p), LBFGS.Config.defaults())) {
            assertEquals(0, lbfgs.step(() -> rosenbrock(p.data().narrow(0, 0, 1), p.data().narrow(0, 1, 1))), 0);
            assertEquals(0, lbfgs.iterations(), "the minimum already: no iteration");
            Check.fails(IllegalArgumentException.class, () -> lbfgs.step(() -> p.data().mul(2)), "LBFGS.step", "one number", "[2]");
        }
        try (Parameter a = new Parameter(Tensor.zeros(DType.F32, 2), true); Parameter b = new Parameter(Tensor.zeros(DType.F64, 2), true)) {
            Check.fails(IllegalArgumentException.class, () -> new LBFGS(List.of(a, b), LBFGS.Config.defaults()), "LBFGS", "parameter 1 is [2] F64",
                    "parameter 0's dtype and device");
        }
        Check.fails(IllegalArgumentException.class, () -> LBFGS.Config.defaults().withLr(0), "LBFGS", "lr > 0");
        assertTrue(LBFGS.Config.defaults().maxEvaluations() == 25);
    }
}
