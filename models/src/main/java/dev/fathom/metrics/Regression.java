package dev.fathom.metrics;

import dev.fathom.tensor.Tensor;

/**
 * Regression metrics of {@code predictions} against {@code targets}, accumulated in double:
 * mean squared error, its root, mean absolute error and the coefficient of determination R².
 * Tensor overloads take any two F32/F64 tensors of the same shape, all elements counting.
 */
public final class Regression {
    private Regression() {
    }

    /** {@code mean((p - t)²)}. */
    public static double mse(double[] predictions, double[] targets) {
        check("mse", predictions, targets);
        double sum = 0;
        for (int i = 0; i < targets.length; i++) {
            double d = predictions[i] - targets[i];
            sum += d * d;
        }
        return sum / targets.length;
    }

    /** {@code sqrt(mse)}. */
    public static double rmse(double[] predictions, double[] targets) {
        return Math.sqrt(mse(predictions, targets));
    }

    /** {@code mean(|p - t|)}. */
    public static double mae(double[] predictions, double[] targets) {
        check("mae", predictions, targets);
        double sum = 0;
        for (int i = 0; i < targets.length; i++) {
            sum += Math.abs(predictions[i] - targets[i]);
        }
        return sum / targets.length;
    }

    /**
     * {@code 1 - Σ(t - p)² / Σ(t - mean(t))²} (scikit-learn's {@code r2_score}); negative when the
     * predictions are worse than the mean. For constant targets, where the ratio is undefined: 1 when
     * the predictions are exact, else 0 (scikit-learn's {@code force_finite=True}). With one sample it
     * is not defined: NaN, as scikit-learn returns (there the constant-target rule would say 0 or 1).
     */
    public static double r2(double[] predictions, double[] targets) {
        check("r2", predictions, targets);
        if (targets.length < 2) {
            return Double.NaN;
        }
        double mean = 0;
        for (double t : targets) {
            mean += t;
        }
        mean /= targets.length;
        double residual = 0;
        double total = 0;
        for (int i = 0; i < targets.length; i++) {
            double r = targets[i] - predictions[i];
            double d = targets[i] - mean;
            residual += r * r;
            total += d * d;
        }
        if (total == 0) {
            return residual == 0 ? 1 : 0;
        }
        return 1 - residual / total;
    }

    public static double mse(float[] predictions, float[] targets) {
        return mse(Inputs.toDouble(predictions), Inputs.toDouble(targets));
    }

    public static double rmse(float[] predictions, float[] targets) {
        return rmse(Inputs.toDouble(predictions), Inputs.toDouble(targets));
    }

    public static double mae(float[] predictions, float[] targets) {
        return mae(Inputs.toDouble(predictions), Inputs.toDouble(targets));
    }

    public static double r2(float[] predictions, float[] targets) {
        return r2(Inputs.toDouble(predictions), Inputs.toDouble(targets));
    }

    public static double mse(Tensor predictions, Tensor targets) {
        double[][] pt = Inputs.pair("mse", predictions, targets);
        return mse(pt[0], pt[1]);
    }

    public static double rmse(Tensor predictions, Tensor targets) {
        double[][] pt = Inputs.pair("rmse", predictions, targets);
        return rmse(pt[0], pt[1]);
    }

    public static double mae(Tensor predictions, Tensor targets) {
        double[][] pt = Inputs.pair("mae", predictions, targets);
        return mae(pt[0], pt[1]);
    }

    public static double r2(Tensor predictions, Tensor targets) {
        double[][] pt = Inputs.pair("r2", predictions, targets);
        return r2(pt[0], pt[1]);
    }

    private static void check(String op, double[] predictions, double[] targets) {
        Inputs.sameLength(op, "predictions", predictions, "targets", targets);
        Inputs.finite(op, "predictions", predictions);
        Inputs.finite(op, "targets", targets);
    }
}
