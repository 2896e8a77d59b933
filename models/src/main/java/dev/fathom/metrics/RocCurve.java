package dev.fathom.metrics;

import dev.fathom.tensor.Tensor;

import java.util.Arrays;

/**
 * The receiver operating characteristic of binary scores (scikit-learn's {@code roc_curve} with
 * {@code drop_intermediate=True}): false and true positive rates at each distinct threshold, from
 * {@code (0, 0)} at threshold {@code +∞} to {@code (1, 1)}, without the points that lie on a
 * straight line between their neighbours (they change no area). Ties enter together, so a tie
 * between a positive and a negative is a diagonal step worth half (Hanley and McNeil, 1982).
 *
 * <p>{@link #auc(double[], long[])} is the area under it by the trapezoidal rule, which equals the
 * Mann–Whitney {@code U / (n1 · n0)}; {@link #aucOneVsRest} extends it to several classes.
 *
 * @param fpr        false positive rates, non-decreasing
 * @param tpr        true positive rates, non-decreasing
 * @param thresholds decreasing; {@code thresholds[0]} is {@code +∞}
 */
public record RocCurve(double[] fpr, double[] tpr, double[] thresholds) {

    /** The curve of {@code scores} (higher means more likely positive) against labels 0 and 1; both classes must occur. */
    public static RocCurve of(double[] scores, long[] labels) {
        String op = "RocCurve";
        BinaryCurve c = BinaryCurve.of(op, scores, labels);
        if (c.positives() == 0 || c.negatives() == 0) {
            throw new IllegalArgumentException(op + ": only one class (" + (c.positives() == 0 ? "0" : "1")
                    + ") occurs in the labels; ROC AUC is undefined without both positives and negatives");
        }
        int m = c.size();
        double[] fps = c.fps();
        double[] tps = c.tps();
        // Keep the ends and every point where the slope changes (second differences non-zero).
        int[] keep = new int[m];
        int kept = 0;
        for (int i = 0; i < m; i++) {
            boolean end = i == 0 || i == m - 1 || m <= 2;
            if (end || fps[i - 1] - 2 * fps[i] + fps[i + 1] != 0 || tps[i - 1] - 2 * tps[i] + tps[i + 1] != 0) {
                keep[kept++] = i;
            }
        }
        double[] fpr = new double[kept + 1];
        double[] tpr = new double[kept + 1];
        double[] thresholds = new double[kept + 1];
        thresholds[0] = Double.POSITIVE_INFINITY;
        for (int j = 0; j < kept; j++) {
            fpr[j + 1] = fps[keep[j]] / c.negatives();
            tpr[j + 1] = tps[keep[j]] / c.positives();
            thresholds[j + 1] = c.thresholds()[keep[j]];
        }
        return new RocCurve(fpr, tpr, thresholds);
    }

    public static RocCurve of(float[] scores, long[] labels) {
        return of(Inputs.toDouble(scores), labels);
    }

    /** The curve of F32/F64 scores {@code [N]} against I64 labels {@code [N]} of 0 and 1. */
    public static RocCurve of(Tensor scores, Tensor labels) {
        return of(Inputs.scores("RocCurve", scores, 1), Inputs.labels("RocCurve", labels));
    }

    /** The area under this curve. */
    public double auc() {
        return trapezoid(fpr, tpr);
    }

    /** ROC AUC of binary scores (scikit-learn's {@code roc_auc_score}). */
    public static double auc(double[] scores, long[] labels) {
        return of(scores, labels).auc();
    }

    public static double auc(float[] scores, long[] labels) {
        return of(scores, labels).auc();
    }

    public static double auc(Tensor scores, Tensor labels) {
        return of(scores, labels).auc();
    }

    /**
     * One-vs-rest ROC AUC of scores {@code [N, numClasses]} (scikit-learn's
     * {@code roc_auc_score(multi_class="ovr")}): class {@code c}'s column against "label is {@code c}",
     * averaged over classes (macro), weighted by class support (weighted), or pooled over all
     * {@code N · numClasses} pairs (micro). Every class must occur in the labels, and not be all of them.
     */
    public static double aucOneVsRest(double[] scores, int numClasses, long[] labels, Average average) {
        return OneVsRest.average("RocCurve.aucOneVsRest", scores, numClasses, labels, average, RocCurve::auc);
    }

    public static double aucOneVsRest(float[] scores, int numClasses, long[] labels, Average average) {
        return aucOneVsRest(Inputs.toDouble(scores), numClasses, labels, average);
    }

    /** One-vs-rest ROC AUC of F32/F64 scores {@code [N, K]} against I64 labels {@code [N]}. */
    public static double aucOneVsRest(Tensor scores, Tensor labels, Average average) {
        double[] s = Inputs.scores("RocCurve.aucOneVsRest", scores, 2);
        return aucOneVsRest(s, scores.size(1), Inputs.labels("RocCurve.aucOneVsRest", labels), average);
    }

    /** The area under the polyline through {@code (x[i], y[i])} by the trapezoidal rule, for non-decreasing {@code x}. */
    public static double trapezoid(double[] x, double[] y) {
        if (x.length != y.length || x.length < 2) {
            throw new IllegalArgumentException("RocCurve.trapezoid: need at least 2 points and as many x as y, got " + x.length + " and "
                    + y.length);
        }
        double area = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] < x[i - 1]) {
                throw new IllegalArgumentException("RocCurve.trapezoid: x must be non-decreasing, but x[" + i + "] = " + x[i] + " < " + x[i - 1]);
            }
            area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
        }
        return area;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RocCurve r && Arrays.equals(fpr, r.fpr) && Arrays.equals(tpr, r.tpr) && Arrays.equals(thresholds, r.thresholds);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(fpr) + Arrays.hashCode(tpr)) + Arrays.hashCode(thresholds);
    }

    @Override
    public String toString() {
        return "RocCurve[fpr=" + Arrays.toString(fpr) + ", tpr=" + Arrays.toString(tpr) + ", thresholds=" + Arrays.toString(thresholds) + "]";
    }
}
