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
    void withTheStrongWolfeLineSearchFollowsPyTorch(TestBackends.Case backend) {
        Device device = use(backend);
        long live = Backends.kernels(device).memoryStats().liveBuffers();
        // torch: LBFGS([p], line_search_fn="strong_wolfe") on Rosenbrock from [-1.5, 2], three steps: position, evaluations, iterations.
        double[][] expected = {{-0.08511855589860293, -0.028757058413769698}, {0.9995835472529905, 0.9991550319577943},
            {0.9999979943196398, 0.9999973438921637}};
        long[][] counts = {{25, 19}, {50, 38}, {53, 41}};
        try (Parameter p = new Parameter(Tensor.of(new double[] {-1.5, 2.0}, 2), true);
             LBFGS lbfgs = new LBFGS(List.of(p), LBFGS.Config.defaults().withStrongWolfe(true))) {
            for (int i = 0; i < 3; i++) {
                lbfgs.step(() -> rosenbrock(p.data().narrow(0, 0, 1), p.data().narrow(0, 1, 1)));
                assertArrayEquals(expected[i], p.data().toDoubleArray(), new double[] {1e-12, 1e-9, 1e-7}[i], "step " + i);
                assertEquals(counts[i][0], lbfgs.evaluations(), "evaluations after step " + i);
                assertEquals(counts[i][1], lbfgs.iterations(), "iterations after step " + i);
            }
        }
        // A quadratic ½xᵀAx − bᵀx: torch stops after 9 iterations at these values (the exact minimum A⁻¹b is 1e-5 away).
        double[] a = {4, 1, 0, 0, 0, 1, 3, 1, 0, 0, 0, 1, 5, 1, 0, 0, 0, 1, 2, 0.5, 0, 0, 0, 0.5, 1};
        try (Tensor matrix = Tensor.of(a, 5, 5); Tensor b = Tensor.of(new double[] {1, -2, 3, 0.5, -1}, 5);
             Parameter x = new Parameter(Tensor.zeros(DType.F64, 5), true);
             LBFGS lbfgs = new LBFGS(List.of(x), LBFGS.Config.defaults().withStrongWolfe(true))) {
            lbfgs.step(() -> x.data().matmul(matrix.matmul(x.data())).mul(0.5).sub(b.matmul(x.data())));
            assertArrayEquals(new double[] {0.5271511844833591, -1.1086219165854292, 0.7987221726801704, 0.11503783814602278, -1.0575217261587904},
                    x.data().toDoubleArray(), 1e-12);
            assertEquals(9, lbfgs.iterations());
        }
        assertEquals(live, Backends.kernels(device).memoryStats().liveBuffers(), "the line search leaves nothing behind");
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
