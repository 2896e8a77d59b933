package dev.fathom.theory;

import dev.fathom.Fathom;
import dev.fathom.models.Mlp;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;
import dev.fathom.theory.LevenbergMarquardt.JacobianMode;
import dev.fathom.theory.LevenbergMarquardt.Options;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import static dev.fathom.theory.TheoryAssertions.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Levenberg–Marquardt against closed-form least squares, exact nonlinear fits and Rosenbrock, in F64. */
class LevenbergMarquardtTest {

    /** Tight tolerances for the exactness checks (0 turns the cost test off: linear problems keep a nonzero cost). */
    private static final Options TIGHT = Options.defaults().withTolerances(1e-13, 1e-15, 0).withMaxIterations(200);

    @Test
    void linearLeastSquaresEqualsTheNormalEquationsSolution() {
        // r = A·w + b·1 − y over two parameter tensors (w [3] and a 0-d b); reference: (XᵀX)θ = Xᵀy with X = [A | 1],
        // solved here by Gaussian elimination with partial pivoting (not Cholesky, not the library's code).
        int m = 12;
        Random rnd = new Random(11);
        double[] a = new double[m * 3];
        double[] y = new double[m];
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextGaussian();
        }
        for (int i = 0; i < m; i++) {
            y[i] = rnd.nextGaussian() * 2 + 1;
        }
        double[][] x = new double[m][4];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < 3; j++) {
                x[i][j] = a[i * 3 + j];
            }
            x[i][3] = 1;
        }
        double[] expected = normalEquations(x, y);
        for (JacobianMode mode : JacobianMode.values()) {
            try (Tensor at = Tensor.of(a, m, 3); Tensor yt = Tensor.of(y, m);
                 Parameter w = new Parameter(Tensor.zeros(DType.F64, 3), true);
                 Parameter b = new Parameter(Tensor.scalar(0.0), true)) {
                LevenbergMarquardtResult res = LevenbergMarquardt.minimize(
                        () -> at.matmul(w.data().unsqueeze(1)).squeeze(1).add(b.data()).sub(yt), List.of(w, b), TIGHT.withJacobian(mode));
                double[] got = {w.data().toDoubleArray()[0], w.data().toDoubleArray()[1], w.data().toDoubleArray()[2], b.data().itemDouble()};
                double err = maxDiff(got, expected);
                assertTrue(err <= 1e-10, mode + ": " + java.util.Arrays.toString(got) + " vs " + java.util.Arrays.toString(expected));
                assertTrue(res.converged(), res.toString());
                double cost = 0;
                for (int i = 0; i < m; i++) {
                    double ri = -y[i];
                    for (int j = 0; j < 4; j++) {
                        ri += x[i][j] * expected[j];
                    }
                    cost += 0.5 * ri * ri;
                }
                assertEquals(cost, res.cost(), 1e-10 * cost);
            }
        }
    }

    @Test
    void aFitOutsideAnyScopeLeavesNoBuffersBehind() {
        long before = dev.fathom.LiveBuffers.settled();
        try (Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 4); Tensor y = Tensor.of(new double[] {2.1, 3.9, 6.2, 7.8}, 4);
             Parameter a = new Parameter(Tensor.scalar(1.0), true)) {
            LevenbergMarquardtResult r = LevenbergMarquardt.minimize(() -> x.mul(a.data()).sub(y), List.of(a));
            assertTrue(r.converged(), r.toString());
        }
        assertEquals(before, dev.fathom.LiveBuffers.now(), "live buffers after the fit and its parameter are closed");
    }

    @Test
    void exponentialFitRecoversTheGeneratingParameters() {
        // y = a·exp(b·x) on 20 exact points from (a, b) = (2.5, −1.3); start at (2, −1); default options.
        double a0 = 2.5;
        double b0 = -1.3;
        double[] xs = new double[20];
        double[] ys = new double[20];
        for (int i = 0; i < 20; i++) {
            xs[i] = i / 19.0 * 2;
            ys[i] = a0 * Math.exp(b0 * xs[i]);
        }
        for (JacobianMode mode : JacobianMode.values()) {
            try (Tensor x = Tensor.of(xs); Tensor y = Tensor.of(ys);
                 Parameter a = new Parameter(Tensor.scalar(2.0), true); Parameter b = new Parameter(Tensor.scalar(-1.0), true)) {
                LevenbergMarquardtResult res = LevenbergMarquardt.minimize(
                        () -> a.data().mul(x.mul(b.data()).exp()).sub(y), List.of(a, b), Options.defaults().withJacobian(mode));
                double ea = Math.abs(a.data().itemDouble() - a0);
                double eb = Math.abs(b.data().itemDouble() - b0);
                assertTrue(ea <= 1e-8 && eb <= 1e-8, mode + ": a " + a.data().itemDouble() + ", b " + b.data().itemDouble());
                assertTrue(res.cost() < 1e-16 * res.initialCost(), res.toString());
            }
        }
    }

    @Test
    void rosenbrockResidualsReachTheMinimum() {
        // r = (10(y − x²), 1 − x) from the classic start (−1.2, 1); the minimum is (1, 1) with cost 0.
        for (LevenbergMarquardt.Damping damping : LevenbergMarquardt.Damping.values()) {
            try (Parameter x = new Parameter(Tensor.scalar(-1.2), true); Parameter y = new Parameter(Tensor.scalar(1.0), true)) {
                Supplier<Tensor> r = () -> Tensor.stack(0, y.data().sub(x.data().mul(x.data())).mul(10), x.data().neg().add(1));
                LevenbergMarquardtResult res = LevenbergMarquardt.minimize(r, List.of(x, y), Options.defaults().withDamping(damping));
                double ex = Math.abs(x.data().itemDouble() - 1);
                double ey = Math.abs(y.data().itemDouble() - 1);
                assertTrue(ex <= 1e-8 && ey <= 1e-8, damping + ": " + x + ", " + y + " " + res);
                assertEquals(12.1, res.initialCost(), 1e-12);       // ½((10·(1 − 1.44))² + 2.2²) = ½(19.36 + 4.84)
            }
        }
    }

    @Test
    void jacobianMatchesTheAnalyticOneInBothModes() {
        // r_i = a·exp(b·x_i) − y_i: ∂r/∂a = exp(b·x), ∂r/∂b = a·x·exp(b·x).
        double av = 1.7;
        double bv = 0.4;
        double[] xs = {-1, -0.3, 0, 0.5, 2};
        try (Tensor x = Tensor.of(xs); Parameter a = new Parameter(Tensor.scalar(av), true); Parameter b = new Parameter(Tensor.scalar(bv), true)) {
            for (JacobianMode mode : JacobianMode.values()) {
                double[] j = LevenbergMarquardt.jacobian(() -> a.data().mul(x.mul(b.data()).exp()), List.of(a, b), mode);
                for (int i = 0; i < xs.length; i++) {
                    double e = Math.exp(bv * xs[i]);
                    assertEquals(e, j[i * 2], 1e-14 * e, mode + " ∂r" + i + "/∂a");
                    assertEquals(av * xs[i] * e, j[i * 2 + 1], 1e-14 * Math.abs(av * e * 2), mode + " ∂r" + i + "/∂b");
                }
            }
        }
    }

    @Test
    void fitsASmallMlpFromTheZoo() {
        // A real model (F32 parameters, P = 8 + 8 + 8 + 1 = 25) fitting y = sin(2x) on 32 points: the F64 solve works on
        // F32 parameters and reduces the cost by 100× within 60 iterations.
        Fathom.seed(3);
        double[] xs = new double[32];
        double[] ys = new double[32];
        for (int i = 0; i < 32; i++) {
            xs[i] = -1.5 + 3.0 * i / 31;
            ys[i] = Math.sin(2 * xs[i]);
        }
        try (Mlp mlp = new Mlp(1, 8, 1); Tensor x = Tensor.of(xs).to(DType.F32).reshape(32, 1); Tensor y = Tensor.of(ys).to(DType.F32)) {
            LevenbergMarquardtResult res = LevenbergMarquardt.minimize(() -> mlp.forward(x).reshape(32).sub(y), mlp.parameters(),
                    Options.defaults().withMaxIterations(60));
            assertTrue(res.cost() < res.initialCost() / 100, res.toString());
        }
    }

    @Test
    void badInputIsRejectedWithTheOpTheValuesAndAFix() {
        try (Parameter p = new Parameter(Tensor.scalar(1.0), true); Parameter buffer = new Parameter(Tensor.scalar(1.0), false);
             Parameter big = new Parameter(Tensor.zeros(DType.F64, 3000), true); Parameter mid = new Parameter(Tensor.zeros(DType.F64, 2000), true)) {
            Supplier<Tensor> r = () -> p.data().mul(2);
            assertThrows(NullPointerException.class, () -> LevenbergMarquardt.minimize(null, List.of(p)));
            assertThrows(NullPointerException.class, () -> LevenbergMarquardt.minimize(r, null));
            assertThrows(NullPointerException.class, () -> LevenbergMarquardt.minimize(r, List.of(p), null));
            assertMessage(IllegalArgumentException.class, () -> LevenbergMarquardt.minimize(r, List.of()),
                    "LevenbergMarquardt.minimize", "parameter list is empty");
            assertMessage(IllegalArgumentException.class, () -> LevenbergMarquardt.minimize(r, List.of(p, p)),
                    "parameter 1", "pass each parameter once");
            assertMessage(IllegalArgumentException.class, () -> LevenbergMarquardt.minimize(r, List.of(buffer)), "buffer", "trainable");
            assertMessage(IllegalArgumentException.class, () -> LevenbergMarquardt.minimize(() -> big.data().sum().unsqueeze(0), List.of(big)),
                    "3000 scalar parameters", "limit of 2048");
            assertMessage(IllegalArgumentException.class, () -> LevenbergMarquardt.minimize(() -> mid.data().sum().add(Tensor.zeros(DType.F64, 3000)), List.of(mid)),
                    "[M, P] = [3000, 2000]", "limit of 4194304", "fewer residuals");
            assertMessage(IllegalArgumentException.class, () -> LevenbergMarquardt.minimize(() -> p.data().log().sub(Tensor.of(new double[] {0, Double.NaN})), List.of(p)),
                    "residual 1 of 2 is NaN", "starting parameters");
            assertMessage(IllegalArgumentException.class, () -> LevenbergMarquardt.minimize(() -> p.data().detach().mul(2), List.of(p)),
                    "do not depend on the parameters");
            assertMessage(IllegalArgumentException.class, () -> LevenbergMarquardt.minimize(() -> Tensor.zeros(DType.F64, 0).add(p.data()), List.of(p)),
                    "residuals are empty", "[0]");
            assertMessage(IllegalArgumentException.class, () -> Options.defaults().withMaxIterations(0),
                    "maxIterations must be >= 1, got 0");
            assertMessage(IllegalArgumentException.class, () -> Options.defaults().withLambda(1e-3, 1, 10),
                    "lambdaUp and lambdaDown", "> 1, got 1.0 and 10.0");
            assertMessage(IllegalArgumentException.class, () -> Options.defaults().withTolerances(-1, 0, 0),
                    "tolerances must be >= 0", "gradient -1.0");
        }
    }


    /** Solves (XᵀX)θ = Xᵀy by Gaussian elimination with partial pivoting. */
    private static double[] normalEquations(double[][] x, double[] y) {
        int p = x[0].length;
        double[][] aug = new double[p][p + 1];
        for (double[] row : x) {
            for (int j = 0; j < p; j++) {
                for (int k = 0; k < p; k++) {
                    aug[j][k] += row[j] * row[k];
                }
            }
        }
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < p; j++) {
                aug[j][p] += x[i][j] * y[i];
            }
        }
        for (int c = 0; c < p; c++) {
            int piv = c;
            for (int r = c + 1; r < p; r++) {
                if (Math.abs(aug[r][c]) > Math.abs(aug[piv][c])) {
                    piv = r;
                }
            }
            double[] t = aug[c];
            aug[c] = aug[piv];
            aug[piv] = t;
            for (int r = c + 1; r < p; r++) {
                double f = aug[r][c] / aug[c][c];
                for (int k = c; k <= p; k++) {
                    aug[r][k] -= f * aug[c][k];
                }
            }
        }
        double[] sol = new double[p];
        for (int r = p - 1; r >= 0; r--) {
            double s = aug[r][p];
            for (int k = r + 1; k < p; k++) {
                s -= aug[r][k] * sol[k];
            }
            sol[r] = s / aug[r][r];
        }
        return sol;
    }

    private static double maxDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
