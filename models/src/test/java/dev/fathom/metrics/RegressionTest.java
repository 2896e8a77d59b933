package dev.fathom.metrics;

import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import org.apache.commons.math3.stat.regression.SimpleRegression;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegressionTest {
    private static final double EPS = 1e-12;

    @Test
    void handComputed() {
        /*
         * predictions 2.5 0 2 8, targets 3 -0.5 2 7: errors -0.5 0.5 0 1.
         * MSE = (0.25 + 0.25 + 0 + 1)/4 = 0.375; MAE = (0.5 + 0.5 + 0 + 1)/4 = 0.5.
         * mean target 2.875; Σ(t - mean)² = 0.125² + 3.375² + 0.875² + 4.125² = 29.1875; R² = 1 - 1.5/29.1875.
         */
        double[] p = {2.5, 0, 2, 8};
        double[] t = {3, -0.5, 2, 7};
        assertEquals(0.375, Regression.mse(p, t), EPS);
        assertEquals(Math.sqrt(0.375), Regression.rmse(p, t), EPS);
        assertEquals(0.5, Regression.mae(p, t), EPS);
        assertEquals(1 - 1.5 / 29.1875, Regression.r2(p, t), EPS);
        assertEquals(0.375, Regression.mse(new float[] {2.5f, 0, 2, 8}, new float[] {3, -0.5f, 2, 7}), EPS);
        // Predicting the mean scores 0; worse than the mean is negative.
        assertEquals(0, Regression.r2(new double[] {2, 2, 2}, new double[] {1, 2, 3}), EPS);
        // reversed: Σ(t - p)² = 4 + 0 + 4 = 8, Σ(t - mean)² = 2
        assertEquals(1 - 8.0 / 2, Regression.r2(new double[] {3, 2, 1}, new double[] {1, 2, 3}), EPS);
        // Constant targets: 1 if exact, else 0 (scikit-learn's force_finite).
        assertEquals(1, Regression.r2(new double[] {4, 4}, new double[] {4, 4}));
        assertTrue(Double.isNaN(Regression.r2(new double[] {3}, new double[] {3})), "one sample: undefined, as scikit-learn says");
        assertTrue(Double.isNaN(Regression.r2(new double[] {2}, new double[] {3})));
        assertEquals(0, Regression.r2(new double[] {4, 5}, new double[] {4, 4}));
    }

    /** The R² and residual mean square of an ordinary least-squares fit, from Commons Math, equal ours on its predictions. */
    @Test
    void matchesCommonsMathOnALeastSquaresFit() {
        Random r = new Random(5);
        for (int trial = 0; trial < 10; trial++) {
            int n = 3 + r.nextInt(100);
            double[] x = new double[n];
            double[] y = new double[n];
            SimpleRegression fit = new SimpleRegression();
            for (int i = 0; i < n; i++) {
                x[i] = r.nextGaussian() * 3;
                y[i] = 1.5 * x[i] - 2 + r.nextGaussian() * (1 + trial);
                fit.addData(x[i], y[i]);
            }
            double[] predicted = new double[n];
            DescriptiveStatistics absErrors = new DescriptiveStatistics();
            for (int i = 0; i < n; i++) {
                predicted[i] = fit.predict(x[i]);
                absErrors.addValue(Math.abs(predicted[i] - y[i]));
            }
            assertEquals(fit.getRSquare(), Regression.r2(predicted, y), 1e-10, "trial " + trial);
            assertEquals(fit.getSumSquaredErrors() / n, Regression.mse(predicted, y), 1e-10);
            assertEquals(Math.sqrt(fit.getSumSquaredErrors() / n), Regression.rmse(predicted, y), 1e-10);
            assertEquals(absErrors.getMean(), Regression.mae(predicted, y), 1e-12);
        }
    }

    @Test
    void tensorsOfAnyMatchingShape() {
        try (Scope s = Scope.open()) {
            Tensor p = Tensor.of(new float[] {2.5f, 0, 2, 8}, 2, 2);
            Tensor t = Tensor.of(new float[] {3, -0.5f, 2, 7}, 2, 2);
            assertEquals(0.375, Regression.mse(p, t), 1e-7);
            assertEquals(Math.sqrt(0.375), Regression.rmse(p, t), 1e-7);
            assertEquals(0.5, Regression.mae(p, t), 1e-7);
            assertEquals(1 - 1.5 / 29.1875, Regression.r2(p, t), 1e-7);
            String m = assertThrows(IllegalArgumentException.class, () -> Regression.mse(p, t.reshape(4))).getMessage();
            assertTrue(m.contains("same shape") && m.contains("[2, 2]") && m.contains("[4]"), m);
            m = assertThrows(IllegalArgumentException.class, () -> Regression.mae(Tensor.of(new long[] {1}), Tensor.of(new long[] {1})))
                    .getMessage();
            assertTrue(m.contains("F32 or F64"), m);
        }
    }

    @Test
    void badInputs() {
        assertEquals("mse: 1 predictions but 2 targets; give one per example",
                assertThrows(IllegalArgumentException.class, () -> Regression.mse(new double[] {1}, new double[] {1, 2})).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Regression.r2(new double[0], new double[0])).getMessage()
                .startsWith("r2: inputs are empty"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Regression.mae(new double[] {Double.NaN}, new double[] {1})).getMessage()
                .contains("predictions must be finite, got NaN at index 0"));
    }
}
