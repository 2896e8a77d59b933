package dev.fathom.theory;

import dev.fathom.nn.Linear;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static dev.fathom.theory.TheoryAssertions.assertMessage;
import static dev.fathom.theory.HessianFixtures.maxAbs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmpiricalNtkTest {
    private static final int D = 3;
    private static final int H = 4;
    private static final int K = 2;

    /** J [N·K][P] of the test's own tanh MLP forward by central differences (no Fathom autograd). */
    private static double[][] finiteDifferenceJacobian(double[] theta, double[][] x) {
        double eps = 1e-6;
        int p = theta.length;
        double[][] j = new double[x.length * K][p];
        for (int q = 0; q < p; q++) {
            double[] plus = theta.clone();
            double[] minus = theta.clone();
            plus[q] += eps;
            minus[q] -= eps;
            double[][] fp = HessianFixtures.tanhMlpForward(plus, x, D, H, K);
            double[][] fm = HessianFixtures.tanhMlpForward(minus, x, D, H, K);
            for (int n = 0; n < x.length; n++) {
                for (int a = 0; a < K; a++) {
                    j[n * K + a][q] = (fp[n][a] - fm[n][a]) / (2 * eps);
                }
            }
        }
        return j;
    }

    /** (J1 J2ᵀ) laid out as [N1, N2, K, K], flattened. */
    private static double[] kernel(double[][] j1, double[][] j2, int n1, int n2) {
        double[] out = new double[n1 * n2 * K * K];
        for (int n = 0; n < n1; n++) {
            for (int m = 0; m < n2; m++) {
                for (int a = 0; a < K; a++) {
                    for (int b = 0; b < K; b++) {
                        out[((n * n2 + m) * K + a) * K + b] = Lanczos.dot(j1[n * K + a], j2[m * K + b]);
                    }
                }
            }
        }
        return out;
    }

    @Test
    void tanhMlpKernelIsJJtFromFiniteDifferencesAndSymmetricPsd() {
        Random rng = new Random(6);
        double[][] x1 = HessianFixtures.gaussian(rng, 3, D);
        double[][] x2 = HessianFixtures.gaussian(rng, 2, D);
        try (Scope s = Scope.open(); Module model = HessianFixtures.tanhMlp(D, H, K, 13)) {
            double[] theta = HessianFixtures.flatParameters(model.parameters());
            // The fixture's forward pass is the model's.
            Tensor out = model.forward(Tensor.of(HessianFixtures.flatten(x1), 3, D));
            assertTrue(HessianFixtures.maxAbsDiff(out.toDoubleArray(), HessianFixtures.flatten(HessianFixtures.tanhMlpForward(theta, x1, D, H, K))) <= 1e-14);

            double[][] j1 = finiteDifferenceJacobian(theta, x1);
            double[][] j2 = finiteDifferenceJacobian(theta, x2);
            Tensor t1 = Tensor.of(HessianFixtures.flatten(x1), 3, D);
            Tensor t2 = Tensor.of(HessianFixtures.flatten(x2), 2, D);
            Tensor self = EmpiricalNtk.compute(model, t1, t1);
            Tensor cross = EmpiricalNtk.compute(model, t1, t2);
            assertArrayEquals(new int[] {3, 3, K, K}, self.shape());
            assertArrayEquals(new int[] {3, 2, K, K}, cross.shape());
            assertEquals(DType.F64, self.dtype());
            double[] expectSelf = kernel(j1, j1, 3, 3);
            double[] expectCross = kernel(j1, j2, 3, 2);
            double errSelf = HessianFixtures.maxAbsDiff(self.toDoubleArray(), expectSelf) / maxAbs(expectSelf);
            double errCross = HessianFixtures.maxAbsDiff(cross.toDoubleArray(), expectCross) / maxAbs(expectCross);

            // As a [N·K, N·K] matrix: symmetric and positive semi-definite.
            double[] flat = self.permute(0, 2, 1, 3).reshape(3 * K, 3 * K).toDoubleArray();
            double[][] gram = new double[3 * K][3 * K];
            double asym = 0;
            for (int i = 0; i < 3 * K; i++) {
                for (int j = 0; j < 3 * K; j++) {
                    gram[i][j] = flat[i * 3 * K + j];
                }
            }
            for (int i = 0; i < 3 * K; i++) {
                for (int j = 0; j < 3 * K; j++) {
                    asym = Math.max(asym, Math.abs(gram[i][j] - gram[j][i]));
                }
            }
            double[] eig = HessianFixtures.jacobiEigenvalues(gram);
            assertTrue(errSelf <= 1e-8, "Θ(x1, x1) relative error " + errSelf);
            assertTrue(errCross <= 1e-8, "Θ(x1, x2) relative error " + errCross);
            assertTrue(asym <= 1e-13 * maxAbs(flat), "symmetric: " + asym);
            assertTrue(eig[0] >= -1e-12 * eig[eig.length - 1], "positive semi-definite: λmin = " + eig[0]);
            // A different x2 tensor with equal values gives the same kernel as the shortcut x2 == x1.
            Tensor again = EmpiricalNtk.compute(model, t1, Tensor.of(HessianFixtures.flatten(x1), 3, D));
            assertTrue(HessianFixtures.maxAbsDiff(again.toDoubleArray(), self.toDoubleArray()) <= 1e-13);
            for (Parameter p : model.parameters()) {
                assertTrue(p.grad() == null, "no .grad accumulated");
            }
        }
    }

    @Test
    void linearModelKernelIsTheClosedForm() {
        // f(x) = W x + b: ∂f_a/∂W_cj = δ_ac x_j, ∂f_a/∂b_c = δ_ac, so Θ[n, m, a, b] = δ_ab (x_n·x_m + 1).
        Random rng = new Random(1);
        double[][] x = HessianFixtures.gaussian(rng, 4, 5);
        try (Scope s = Scope.open(); Linear layer = new Linear(5, 3, true, new Generator(2))) {
            layer.to(DType.F64);
            Tensor theta = EmpiricalNtk.compute(layer, Tensor.of(HessianFixtures.flatten(x), 4, 5), Tensor.of(HessianFixtures.flatten(x), 4, 5));
            double[] got = theta.toDoubleArray();
            double worst = 0;
            for (int n = 0; n < 4; n++) {
                for (int m = 0; m < 4; m++) {
                    double expect = Lanczos.dot(x[n], x[m]) + 1;
                    for (int a = 0; a < 3; a++) {
                        for (int b = 0; b < 3; b++) {
                            worst = Math.max(worst, Math.abs(got[((n * 4 + m) * 3 + a) * 3 + b] - (a == b ? expect : 0)));
                        }
                    }
                }
            }
            assertTrue(worst <= 1e-13, "max error " + worst);
        }
    }

    @Test
    void badInputIsRejectedWithTheValues() {
        try (Scope s = Scope.open(); Linear layer = new Linear(2, 3, true, new Generator(2))) {
            layer.to(DType.F64);
            Tensor x = Tensor.zeros(DType.F64, 4, 2);
            assertMessage(NullPointerException.class, () -> EmpiricalNtk.compute(layer, null, x), "EmpiricalNtk.compute: x1 is null");
            assertMessage(NullPointerException.class, () -> EmpiricalNtk.compute((Module) null, x, x),
                    "EmpiricalNtk.compute: the model is null");
            assertMessage(IllegalArgumentException.class, () -> EmpiricalNtk.compute(layer::forward, List.of(), x, x), "no parameters");
            assertMessage(IllegalArgumentException.class, () -> EmpiricalNtk.compute(t -> layer.forward(t).sum(1), layer.parameters(), x, x),
                    "to outputs [N, K] with N = 4, got [4]; reshape a [N] output to [N, 1]");
            assertMessage(IllegalArgumentException.class, () -> EmpiricalNtk.compute(t -> t.mul(2), layer.parameters(), x, x),
                    "does not depend on the parameters");
            assertMessage(IllegalArgumentException.class, () -> EmpiricalNtk.compute(layer, x, Tensor.zeros(DType.F64, 0, 2)),
                    "x2 must be a batch [N, ...] with N >= 1, got [0, 2]");
            assertMessage(IllegalArgumentException.class, () -> EmpiricalNtk.compute(layer, x.add(Double.POSITIVE_INFINITY), x.add(1)),
                    "the kernel [4, 4, 3, 3] is not finite");
        }
    }
}
