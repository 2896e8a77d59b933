package dev.fathom.theory;

import dev.fathom.LiveBuffers;
import dev.fathom.autograd.Autograd;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.fathom.theory.TheoryAssertions.assertMessage;
import static dev.fathom.theory.HessianFixtures.maxAbs;
import static dev.fathom.theory.HessianFixtures.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HessianVectorProductTest {

    /** ½θᵀAθ + bᵀθ with θ = cat(θ1.flatten(), θ2), θ1 [2, 3] and θ2 [4]: H = A (A symmetric). */
    private static Tensor quadratic(Tensor a, Tensor b, Tensor theta1, Tensor theta2) {
        Tensor theta = Tensor.cat(0, theta1.flatten(), theta2);
        Tensor aTheta = a.matmul(theta.unsqueeze(1)).squeeze(1);
        return theta.mul(aTheta).sum().mul(0.5).add(b.mul(theta).sum());
    }

    private static double[][] symmetric(Random rng, int n) {
        double[][] g = HessianFixtures.gaussian(rng, n, n);
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = 0.5 * (g[i][j] + g[j][i]);
            }
        }
        return a;
    }

    @Test
    void quadraticLossGivesExactlyAv() {
        Random rng = new Random(11);
        int n = 10;
        double[][] a = symmetric(rng, n);
        try (Scope s = Scope.open()) {
            Tensor at = Tensor.of(HessianFixtures.flatten(a), n, n);
            Tensor bt = Tensor.of(HessianFixtures.gaussian(rng, 1, n)[0], n);
            Tensor t1 = Tensor.of(HessianFixtures.gaussian(rng, 1, 6)[0], 2, 3).requiresGrad(true);
            Tensor t2 = Tensor.of(HessianFixtures.gaussian(rng, 1, 4)[0], 4).requiresGrad(true);
            HessianVectorProduct hvp = HessianVectorProduct.ofTensors(() -> quadratic(at, bt, t1, t2), List.of(t1, t2));
            assertEquals(n, hvp.dimension());
            double worst = 0;
            for (int trial = 0; trial < 3; trial++) {
                double[] v = HessianFixtures.gaussian(rng, 1, n)[0];
                double[] expected = HessianFixtures.multiply(a, v);
                double[] flat = hvp.apply(v);
                worst = Math.max(worst, maxAbsDiff(expected, flat));
                // The list form agrees with the flat one and keeps the leaves' shapes.
                List<Tensor> hv = hvp.apply(List.of(Tensor.of(Arrays.copyOf(v, 6), 2, 3), Tensor.of(Arrays.copyOfRange(v, 6, n), 4)));
                assertArrayEquals(new int[] {2, 3}, hv.get(0).shape());
                assertArrayEquals(new int[] {4}, hv.get(1).shape());
                assertEquals(DType.F64, hv.get(0).dtype());
                double[] joined = HessianFixtures.concat(List.of(hv.get(0).toDoubleArray(), hv.get(1).toDoubleArray()));
                assertTrue(maxAbsDiff(flat, joined) <= 1e-15, "list and flat forms agree");
            }
            assertTrue(worst <= 1e-12, "max |Hv - Av| = " + worst);
            assertTrue(t1.grad() == null && t2.grad() == null, "no .grad accumulated");
        }
    }

    @Test
    void lossLinearInTheParametersHasZeroHessian() {
        try (Scope s = Scope.open()) {
            Tensor theta = Tensor.of(new double[] {1, -2, 3}, 3).requiresGrad(true);
            Tensor b = Tensor.of(new double[] {0.5, 4, -1}, 3);
            HessianVectorProduct hvp = HessianVectorProduct.ofTensors(() -> b.mul(theta).sum(), List.of(theta));
            assertArrayEquals(new double[3], hvp.apply(new double[] {1, 2, 3}));
        }
    }

    @Test
    void tanhMlpMatchesCentralDifferencesOfGradients() {
        int d = 3;
        int h = 5;
        int k = 2;
        try (Scope s = Scope.open(); Module model = HessianFixtures.tanhMlp(d, h, k, 7)) {
            Random rng = new Random(5);
            Tensor x = HessianFixtures.gaussianTensor(rng, 6, d);
            Tensor y = HessianFixtures.gaussianTensor(rng, 6, k);
            List<Parameter> ps = model.parameters();
            HessianVectorProduct hvp = HessianVectorProduct.of(() -> Functional.mseLoss(model.forward(x), y), ps);
            int n = (int) hvp.dimension();
            assertEquals(d * h + h + h * k + k, n);
            double[] theta = HessianFixtures.flatParameters(ps);
            double eps = 1e-5;
            double worst = 0;
            for (int trial = 0; trial < 3; trial++) {
                double[] v = HessianFixtures.gaussian(rng, 1, n)[0];
                double[] hv = hvp.apply(v);
                double[] plus = gradientAt(model, ps, x, y, shifted(theta, v, eps));
                double[] minus = gradientAt(model, ps, x, y, shifted(theta, v, -eps));
                HessianFixtures.setFlatParameters(ps, theta);
                double[] fd = new double[n];
                for (int i = 0; i < n; i++) {
                    fd[i] = (plus[i] - minus[i]) / (2 * eps);
                }
                worst = Math.max(worst, maxAbsDiff(hv, fd) / maxAbs(fd));
            }
            assertTrue(worst <= 1e-7, "relative error " + worst);
        }
    }

    private static double[] shifted(double[] theta, double[] v, double eps) {
        double[] out = theta.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += eps * v[i];
        }
        return out;
    }

    /** ∇L at theta by one first-order backward (Parameter.set then Autograd.grad). */
    private static double[] gradientAt(Module model, List<Parameter> ps, Tensor x, Tensor y, double[] theta) {
        HessianFixtures.setFlatParameters(ps, theta);
        try (Scope s = Scope.open()) {
            Tensor[] leaves = ps.stream().map(Parameter::data).toArray(Tensor[]::new);
            Tensor[] g = Autograd.grad(new Tensor[] {Functional.mseLoss(model.forward(x), y)}, leaves, false);
            return HessianFixtures.concat(Arrays.stream(g).map(Tensor::toDoubleArray).toList());
        }
    }

    @Test
    void twoHundredProductsLeaveNoBuffersBehind() {
        try (Scope s = Scope.open(); Module model = HessianFixtures.tanhMlp(4, 8, 3, 2)) {
            Random rng = new Random(9);
            Tensor x = HessianFixtures.gaussianTensor(rng, 5, 4);
            Tensor y = HessianFixtures.gaussianTensor(rng, 5, 3);
            HessianVectorProduct hvp = HessianVectorProduct.of(() -> Functional.mseLoss(model.forward(x), y), model.parameters());
            double[] v = HessianFixtures.gaussian(rng, 1, (int) hvp.dimension())[0];
            List<Tensor> vs = new ArrayList<>();
            for (Parameter p : model.parameters()) {
                vs.add(Tensor.onesLike(p.data()));
            }
            hvp.apply(v);
            long before = LiveBuffers.settled();
            for (int i = 0; i < 100; i++) {
                hvp.apply(v);
                for (Tensor t : hvp.apply(vs)) {
                    t.close();
                }
            }
            long after = LiveBuffers.now();
            assertEquals(before, after, "live CPU buffers before and after 200 Hessian-vector products");
        }
    }

    @Test
    void aProductThatIsNotFiniteLeavesNoBuffersBehind() {
        long before = LiveBuffers.settled();
        try (Tensor w = Tensor.of(new double[] {0, 1}, 2).requiresGrad(true); Tensor v = Tensor.ones(DType.F64, 2)) {
            HessianVectorProduct h = HessianVectorProduct.ofTensors(() -> w.abs().sqrt().sum(), List.of(w));   // sqrt's curvature at 0 is infinite
            assertMessage(IllegalArgumentException.class, () -> h.apply(List.of(v)), "H·v for parameter 0", "is not finite");
        }
        assertEquals(before, LiveBuffers.now(), "live buffers after the refused product, outside any scope");
    }

    @Test
    void badInputIsRejectedWithTheValues() {
        try (Scope s = Scope.open()) {
            Tensor theta = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
            HessianVectorProduct ok = HessianVectorProduct.ofTensors(() -> theta.pow(3).sum(), List.of(theta));

            assertMessage(NullPointerException.class, () -> HessianVectorProduct.of(null, List.of()), "loss supplier is null");
            assertMessage(IllegalArgumentException.class, () -> HessianVectorProduct.of(() -> theta.sum(), List.of()), "no parameters");
            Parameter buffer = new Parameter(Tensor.zeros(DType.F64, 3), false);
            assertMessage(IllegalArgumentException.class, () -> HessianVectorProduct.of(() -> theta.sum(), List.of(buffer)),
                    "does not require grad");
            assertMessage(IllegalArgumentException.class, () -> ok.apply(new double[2]), "v has 2 entries but the parameters [[3]] have 3");
            assertMessage(IllegalArgumentException.class, () -> ok.apply(List.of(Tensor.zeros(DType.F64, 4))),
                    "v[0] is [4] F64 cpu but parameter 0 is [3] F64 cpu");
            assertMessage(IllegalArgumentException.class, () -> ok.apply(new double[] {0, Double.NaN, 0}),
                    "v is not finite: entry 1 is NaN");
            assertMessage(IllegalArgumentException.class, () -> HessianVectorProduct.ofTensors(() -> theta.mul(2), List.of(theta)).apply(new double[3]),
                    "the loss must be a scalar, got shape [3]");
            assertMessage(IllegalArgumentException.class, () -> HessianVectorProduct.ofTensors(() -> Tensor.scalar(1.0), List.of(theta)).apply(new double[3]),
                    "does not depend on the parameters");
            assertMessage(IllegalArgumentException.class, () -> HessianVectorProduct.ofTensors(() -> theta.mul(Double.NaN).sum(), List.of(theta)).apply(new double[3]),
                    "the loss is NaN");
            Tensor zero = Tensor.zeros(DType.F64, 2).requiresGrad(true);
            assertMessage(IllegalArgumentException.class, () -> HessianVectorProduct.ofTensors(() -> zero.sqrt().sum(), List.of(zero)).apply(new double[] {1, 1}),
                    "H·v is not finite");
            buffer.close();
        }
    }

}
