package dev.fathom.theory;

import dev.fathom.Fathom;
import dev.fathom.LiveBuffers;
import dev.fathom.nn.Conv2d;
import dev.fathom.nn.Flatten;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Linear;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.nn.ReLU;
import dev.fathom.nn.Sequential;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.theory.LossLandscape.Normalization;
import dev.fathom.train.ParityDevices;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import static dev.fathom.theory.TheoryAssertions.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LossLandscapeTest {

    /** F64 parameters W [2, 3] and b [4], θ = cat(W.flatten(), b), and their values. */
    private record Quadratic(Parameter w, Parameter b, double[][] a, double[] g) {
        List<Parameter> parameters() {
            return List.of(w, b);
        }

        /** ½θᵀAθ + gᵀθ on the tensors. */
        Tensor loss() {
            Tensor theta = Tensor.cat(0, w.data().flatten(), b.data());
            Tensor aTheta = Tensor.of(HessianFixtures.flatten(a), 10, 10).matmul(theta.unsqueeze(1)).squeeze(1);
            return theta.mul(aTheta).sum().mul(0.5).add(Tensor.of(g, 10).mul(theta).sum());
        }

        /** The same in plain loops. */
        double at(double[] theta) {
            double q = 0;
            for (int i = 0; i < 10; i++) {
                q += g[i] * theta[i];
                for (int j = 0; j < 10; j++) {
                    q += 0.5 * theta[i] * a[i][j] * theta[j];
                }
            }
            return q;
        }

        static Quadratic random(Random rng) {
            double[][] m = HessianFixtures.gaussian(rng, 10, 10);
            double[][] a = new double[10][10];
            for (int i = 0; i < 10; i++) {
                for (int j = 0; j < 10; j++) {
                    a[i][j] = 0.5 * (m[i][j] + m[j][i]);
                }
            }
            Parameter w = new Parameter(HessianFixtures.gaussianTensor(rng, 2, 3), true);
            Parameter b = new Parameter(Tensor.of(HessianFixtures.gaussian(rng, 1, 4)[0], 4), true);
            return new Quadratic(w, b, a, HessianFixtures.gaussian(rng, 1, 10)[0]);
        }
    }

    private static double[] flat(List<Tensor> ts) {
        return HessianFixtures.concat(ts.stream().map(Tensor::toDoubleArray).toList());
    }

    private static List<Tensor> gaussianDirection(Random rng) {
        return List.of(HessianFixtures.gaussianTensor(rng, 2, 3), Tensor.of(HessianFixtures.gaussian(rng, 1, 4)[0], 4));
    }

    @Test
    void lineAndPlaneOfAQuadraticMatchTheClosedForm() {
        Random rng = new Random(5);
        try (Scope s = Scope.open()) {
            Quadratic q = Quadratic.random(rng);
            double[] theta = HessianFixtures.flatParameters(q.parameters());
            List<Tensor> d1 = gaussianDirection(rng), d2 = gaussianDirection(rng);
            double[] u = flat(d1), v = flat(d2);
            double[] alphas = LossLandscape.linspace(-1, 1, 5), betas = {-0.5, 0, 0.25, 2};

            LossLine line = LossLandscape.line(q::loss, q.parameters(), d1, alphas);
            assertArrayEquals(alphas, line.alphas());
            for (int i = 0; i < alphas.length; i++) {
                double expected = q.at(moved(theta, u, alphas[i], v, 0));
                assertEquals(expected, line.losses()[i], 1e-12 * (1 + Math.abs(expected)), "line at α = " + alphas[i]);
            }

            LossSurface plane = LossLandscape.plane(q::loss, q.parameters(), d1, d2, alphas, betas);
            assertEquals(alphas.length, plane.losses().length);
            for (int i = 0; i < alphas.length; i++) {
                assertEquals(betas.length, plane.losses()[i].length);
                for (int j = 0; j < betas.length; j++) {
                    double expected = q.at(moved(theta, u, alphas[i], v, betas[j]));
                    assertEquals(expected, plane.at(i, j), 1e-12 * (1 + Math.abs(expected)), "plane at (" + alphas[i] + ", " + betas[j] + ")");
                }
            }
            assertArrayEquals(theta, HessianFixtures.flatParameters(q.parameters()), "the parameters are θ* again");
        }
    }

    private static double[] moved(double[] theta, double[] u, double alpha, double[] v, double beta) {
        double[] out = new double[theta.length];
        for (int i = 0; i < theta.length; i++) {
            out[i] = theta[i] + alpha * u[i] + beta * v[i];
        }
        return out;
    }

    @Test
    void towardsReachesTheTargetAtAlphaOne() {
        Random rng = new Random(8);
        try (Scope s = Scope.open()) {
            Quadratic q = Quadratic.random(rng);
            double[] theta = HessianFixtures.flatParameters(q.parameters());
            List<Tensor> target = gaussianDirection(rng);
            double[] t = flat(target);
            LossLine line = LossLandscape.line(q::loss, q.parameters(), LossLandscape.towards(q.parameters(), target), new double[] {0, 0.5, 1});
            assertEquals(q.at(theta), line.losses()[0], 1e-12 * (1 + Math.abs(q.at(theta))));
            double[] half = new double[10];
            for (int i = 0; i < 10; i++) {
                half[i] = 0.5 * (theta[i] + t[i]);
            }
            assertEquals(q.at(half), line.losses()[1], 1e-12 * (1 + Math.abs(q.at(half))));
            assertEquals(q.at(t), line.losses()[2], 1e-12 * (1 + Math.abs(q.at(t))));
        }
    }

    /** The second difference of the line at 0 against dᵀHd from double backward, on a tanh MLP in F64. */
    @Test
    void curvatureAlongTheLineIsTheHessiansQuadraticForm() {
        Random rng = new Random(3);
        try (Scope s = Scope.open()) {
            Module model = HessianFixtures.tanhMlp(4, 6, 3, 17);
            Tensor x = HessianFixtures.gaussianTensor(rng, 9, 4), y = HessianFixtures.gaussianTensor(rng, 9, 3);
            Supplier<Tensor> loss = () -> Functional.mseLoss(model.forward(x), y);
            List<Tensor> d = LossLandscape.randomDirection(model.parameters(), Normalization.LAYER, new Generator(4));
            double h = 1e-3;
            double[] f = LossLandscape.line(loss, model.parameters(), d, new double[] {-h, 0, h}).losses();
            double secondDifference = (f[0] - 2 * f[1] + f[2]) / (h * h);
            double[] dv = flat(d);
            double[] hd = HessianVectorProduct.of(loss, model.parameters()).apply(dv);
            double quadraticForm = 0;
            for (int i = 0; i < dv.length; i++) {
                quadraticForm += dv[i] * hd[i];
            }
            assertTrue(Math.abs(quadraticForm) > 1e-2, "a direction with curvature: dᵀHd = " + quadraticForm);
            assertEquals(quadraticForm, secondDifference, 1e-5 * Math.abs(quadraticForm));
            double slope = (f[2] - f[0]) / (2 * h);
            model.parameters().forEach(Parameter::zeroGrad);
            loss.get().backward();
            double directional = 0;
            int at = 0;
            for (Parameter p : model.parameters()) {
                for (double gi : p.grad().toDoubleArray()) {
                    directional += gi * dv[at++];
                }
            }
            assertEquals(directional, slope, 1e-6 * (1 + Math.abs(directional)), "the slope at 0 is ∇L·d");
        }
    }

    private static Module smallConvNet(long seed) {
        Generator g = new Generator(seed);
        Conv2d conv = new Conv2d(2, 4, 3);
        Module m = new Sequential(conv, new ReLU(), new Flatten(), new Linear(4 * 3 * 3, 5, true, g));
        return m.eval();
    }

    @Test
    void filterNormalizationGivesEachFilterTheNormOfTheWeightsFilter() {
        try (Scope s = Scope.open()) {
            Module model = smallConvNet(1);
            List<Parameter> ps = model.parameters();
            List<Tensor> filter = LossLandscape.randomDirection(ps, Normalization.FILTER, new Generator(9));
            List<Tensor> layer = LossLandscape.randomDirection(ps, Normalization.LAYER, new Generator(9));
            List<Tensor> raw = LossLandscape.randomDirection(ps, Normalization.NONE, new Generator(9));
            assertEquals(ps.size(), filter.size());
            int weights = 0;
            for (int i = 0; i < ps.size(); i++) {
                Tensor p = ps.get(i).data();
                assertArrayEquals(p.shape(), filter.get(i).shape());
                assertEquals(p.dtype(), filter.get(i).dtype());
                double[] theta = p.toDoubleArray(), f = filter.get(i).toDoubleArray(), l = layer.get(i).toDoubleArray();
                double[] r = raw.get(i).toDoubleArray();
                assertEquals(norm(theta, 0, theta.length), norm(l, 0, l.length), 1e-5 * norm(theta, 0, theta.length), "LAYER: ‖d‖ = ‖θ‖");
                if (p.shape().length <= 1) {
                    assertEquals(0, norm(f, 0, f.length), "FILTER: a bias moves not at all");
                    continue;
                }
                weights++;
                int width = theta.length / p.shape()[0];
                for (int at = 0; at < theta.length; at += width) {
                    double nt = norm(theta, at, width), nr = norm(r, at, width);
                    assertEquals(nt, norm(f, at, width), 1e-5 * nt, "FILTER: filter " + at / width + " of parameter " + i);
                    for (int k = at; k < at + width; k++) {
                        assertEquals(r[k] * nt / nr, f[k], 1e-5 * Math.abs(f[k]) + 1e-7, "the same draws, scaled");
                    }
                }
            }
            assertEquals(2, weights, "the conv and linear weights");
            List<Tensor> again = LossLandscape.randomDirection(ps, Normalization.FILTER, new Generator(9));
            assertArrayEquals(flat(filter), flat(again), "one seed, one direction");
        }
    }

    /** A parameter with no elements (a [0, 3] weight) gets an empty direction under every normalization. */
    @Test
    void anEmptyParameterGetsAnEmptyDirection() {
        try (Scope s = Scope.open()) {
            List<Parameter> ps = List.of(new Parameter(Tensor.zeros(0, 3), true), new Parameter(Tensor.ones(2, 3), true));
            for (Normalization n : Normalization.values()) {
                List<Tensor> d = LossLandscape.randomDirection(ps, n, new Generator(1));
                assertArrayEquals(new int[] {0, 3}, d.get(0).shape(), n.name());
                assertArrayEquals(new int[] {2, 3}, d.get(1).shape(), n.name());
                if (n != Normalization.NONE) {
                    assertEquals(Math.sqrt(6), norm(d.get(1).toDoubleArray(), 0, 6), 1e-5, n + ": the other parameter's direction has its norm");
                }
            }
        }
    }

    private static double norm(double[] a, int at, int n) {
        double sum = 0;
        for (int i = at; i < at + n; i++) {
            sum += a[i] * a[i];
        }
        return Math.sqrt(sum);
    }

    @Test
    void parametersComeBackBitForBitAfterAPlaneAndAfterAThrowingLoss() {
        try (Scope s = Scope.open()) {
            Module model = smallConvNet(2);
            List<Parameter> ps = model.parameters();
            Tensor x = Tensor.rand(new Generator(3), DType.F32, 6, 2, 5, 5);
            Tensor y = Tensor.of(new long[] {0, 1, 2, 3, 4, 0}, 6);
            List<float[]> before = ps.stream().map(p -> p.data().toFloatArray()).toList();
            Generator g = new Generator(0);
            List<Tensor> d1 = LossLandscape.randomDirection(ps, Normalization.FILTER, g);
            List<Tensor> d2 = LossLandscape.randomDirection(ps, Normalization.FILTER, g);
            Supplier<Tensor> loss = () -> Functional.crossEntropy(model.forward(x), y);
            double center = loss.get().itemDouble();
            LossSurface surface = LossLandscape.plane(loss, ps, d1, d2, LossLandscape.linspace(-1, 1, 3), LossLandscape.linspace(-1, 1, 3));
            assertEquals(center, surface.at(1, 1), 0, "(0, 0) is θ* itself");
            assertTrue(surface.at(0, 0) != center, "a corner moved the loss");
            for (int i = 0; i < ps.size(); i++) {
                assertArrayEquals(before.get(i), ps.get(i).data().toFloatArray(), "parameter " + i + " after the plane");
            }
            int[] calls = {0};
            Supplier<Tensor> failing = () -> {
                if (++calls[0] == 3) {
                    throw new IllegalStateException("the third point fails");
                }
                return loss.get();
            };
            assertThrows(IllegalStateException.class, () -> LossLandscape.line(failing, ps, d1, LossLandscape.linspace(-1, 1, 5)));
            for (int i = 0; i < ps.size(); i++) {
                assertArrayEquals(before.get(i), ps.get(i).data().toFloatArray(), "parameter " + i + " after the loss threw");
            }
        }
    }

    /**
     * The same seeded plane through a small CNN on the CPU and on every other usable device
     * (cuda-emu in CI, a GPU where there is one): the same losses to F32 accuracy, and each
     * device's parameters back bit for bit. Skipped, with the reasons, where the CPU is alone.
     */
    @Test
    void theSamePlaneOnEveryDevice() {
        List<Device> devices = ParityDevices.cpuAndOthers();
        double[] grid = {-1, 0, 0.5};
        LossSurface reference = planeOn(devices.getFirst(), grid);
        for (Device device : devices.subList(1, devices.size())) {
            LossSurface surface = planeOn(device, grid);
            for (int i = 0; i < grid.length; i++) {
                for (int j = 0; j < grid.length; j++) {
                    double want = reference.at(i, j);
                    assertEquals(want, surface.at(i, j), 1e-4 * Math.abs(want), device + " at (" + grid[i] + ", " + grid[j] + ")");
                }
            }
        }
    }

    /** A seeded small CNN's plane on {@code device}, after checking that the device's parameters come back bit for bit. */
    private static LossSurface planeOn(Device device, double[] grid) {
        try (Scope s = Scope.open()) {
            Fathom.seed(11);
            Module model = smallConvNet(12).to(device);
            List<Parameter> ps = model.parameters();
            Tensor x = Tensor.rand(new Generator(3), DType.F32, 3, 2, 5, 5).to(device);
            Tensor y = Tensor.of(new long[] {0, 4, 2}, 3).to(device);
            List<float[]> before = ps.stream().map(p -> p.data().toFloatArray()).toList();
            Generator g = new Generator(21);
            List<Tensor> d1 = LossLandscape.randomDirection(ps, Normalization.FILTER, g);
            List<Tensor> d2 = LossLandscape.randomDirection(ps, Normalization.FILTER, g);
            LossSurface surface = LossLandscape.plane(() -> Functional.crossEntropy(model.forward(x), y), ps, d1, d2, grid, grid);
            for (int i = 0; i < ps.size(); i++) {
                assertArrayEquals(before.get(i), ps.get(i).data().toFloatArray(), device + ": parameter " + i + " after the plane");
            }
            return surface;
        }
    }

    @Test
    void aPlaneLeavesNoBufferBehind() {
        try (Scope s = Scope.open()) {
            Module model = smallConvNet(4);
            List<Parameter> ps = model.parameters();
            Tensor x = Tensor.rand(new Generator(5), DType.F32, 4, 2, 5, 5);
            Tensor y = Tensor.of(new long[] {1, 2, 3, 4}, 4);
            Supplier<Tensor> loss = () -> Functional.crossEntropy(model.forward(x), y);
            List<Tensor> d = LossLandscape.randomDirection(ps, Normalization.FILTER, new Generator(1));
            double[] grid = LossLandscape.linspace(-0.5, 0.5, 4);
            LossLandscape.plane(loss, ps, d, d, grid, grid);
            long before = LiveBuffers.settled();
            for (int i = 0; i < 5; i++) {
                LossLandscape.plane(loss, ps, d, d, grid, grid);
                LossLandscape.line(loss, ps, d, grid);
            }
            assertEquals(before, LiveBuffers.now(), "live CPU buffers before and after five planes and lines");
        }
    }

    @Test
    void linspaceIncludesBothEnds() {
        assertArrayEquals(new double[] {-1, -0.5, 0, 0.5, 1}, LossLandscape.linspace(-1, 1, 5));
        assertArrayEquals(new double[] {2}, LossLandscape.linspace(2, 3, 1));
        assertEquals(0.3, LossLandscape.linspace(0.1, 0.3, 3)[2], 0);
    }

    @Test
    void theLineAndSurfaceCopyTheirArrays() {
        double[] alphas = {0, 1}, losses = {2, Double.NaN};
        LossLine line = new LossLine(alphas, losses);
        alphas[0] = 7;
        line.losses()[0] = 9;
        assertEquals(0, line.alphas()[0]);
        assertEquals(2, line.losses()[0]);
        assertEquals(0, line.argmin(), "NaN is passed over");
        assertEquals(Double.NaN, new LossLine(new double[] {1}, new double[] {Double.NaN}).argmin());
        double[][] rows = {{1, 2}};
        LossSurface surface = new LossSurface(new double[] {0}, new double[] {0, 1}, rows);
        rows[0][0] = 5;
        surface.losses()[0][1] = 5;
        assertEquals(1, surface.at(0, 0));
        assertEquals(2, surface.at(0, 1));
        assertMessage(IllegalArgumentException.class, () -> new LossLine(new double[] {0, 1}, new double[] {0}), "2 alphas but 1 losses");
        assertMessage(IllegalArgumentException.class, () -> new LossSurface(new double[] {0}, new double[] {0, 1}, new double[][] {{1}}),
                "row 0 of losses has 1 entries but there are 2 betas");
    }

    @Test
    void badInputIsRejectedWithTheValues() {
        Random rng = new Random(2);
        try (Scope s = Scope.open()) {
            Quadratic q = Quadratic.random(rng);
            List<Parameter> ps = q.parameters();
            List<Tensor> d = gaussianDirection(rng);
            double[] grid = {0, 1};
            assertMessage(NullPointerException.class, () -> LossLandscape.line(null, ps, d, grid), "LossLandscape.line", "loss supplier is null");
            assertMessage(IllegalArgumentException.class, () -> LossLandscape.line(q::loss, List.of(), d, grid), "LossLandscape.line", "no parameters");
            assertMessage(IllegalArgumentException.class, () -> LossLandscape.line(q::loss, ps, d.subList(0, 1), grid),
                    "direction has 1 tensors but there are 2 parameters [[2, 3], [4]]");
            assertMessage(IllegalArgumentException.class, () -> LossLandscape.line(q::loss, ps, List.of(d.get(0), Tensor.zeros(5).to(DType.F64)), grid),
                    "direction[1] is", "[5]", "parameter 1 is", "[4]");
            assertMessage(IllegalArgumentException.class, () -> LossLandscape.line(q::loss, ps, List.of(d.get(0), d.get(1).to(DType.F32)), grid),
                    "direction[1]", "F32", "F64");
            assertMessage(IllegalArgumentException.class,
                    () -> LossLandscape.line(q::loss, ps, List.of(d.get(0), Tensor.of(new double[] {0, Double.NaN, 0, 0}, 4)), grid),
                    "direction[1]", "NaN or infinite");
            assertMessage(IllegalArgumentException.class, () -> LossLandscape.line(q::loss, ps, d, new double[0]), "alphas is empty");
            assertMessage(IllegalArgumentException.class, () -> LossLandscape.plane(q::loss, ps, d, d, grid, new double[] {0, Double.POSITIVE_INFINITY}),
                    "betas[1] is Infinity");
            assertMessage(IllegalArgumentException.class, () -> LossLandscape.line(() -> q.w.data().sum(0), ps, d, grid),
                    "the loss must be a floating scalar", "[3]");
            assertMessage(IllegalArgumentException.class, () -> LossLandscape.line(() -> null, ps, d, grid), "returned null at [0.0]");
            assertMessage(IllegalArgumentException.class, () -> LossLandscape.towards(ps, d.subList(1, 2)), "LossLandscape.towards", "target has 1 tensors");
            assertMessage(NullPointerException.class, () -> LossLandscape.randomDirection(ps, null, new Generator(0)), "normalization is null");
            assertMessage(NullPointerException.class, () -> LossLandscape.randomDirection(ps, Normalization.FILTER, null), "generator is null");
            assertMessage(IllegalArgumentException.class, () -> LossLandscape.linspace(0, 1, 0), "points must be at least 1, got 0");
            assertMessage(IllegalArgumentException.class, () -> LossLandscape.linspace(Double.NaN, 1, 3), "must be finite");
            List<Parameter> withLabels = new ArrayList<>(ps);
            withLabels.add(new Parameter(Tensor.of(new long[] {1, 2}, 2), false));
            assertMessage(IllegalArgumentException.class, () -> LossLandscape.randomDirection(withLabels, Normalization.NONE, new Generator(0)),
                    "parameter 2 is", "I64", "only floating parameters");
        }
    }
}
