package dev.fathom.metrics;

import dev.fathom.tensor.Tensor;

import java.util.Arrays;

/**
 * Precision against recall of binary scores, one point per distinct threshold (scikit-learn's
 * {@code precision_recall_curve}): in order of increasing threshold, then a last point
 * {@code (recall 0, precision 1)} with no threshold. Ties enter together.
 *
 * <p>{@link #averagePrecision()} is the area under it as scikit-learn's
 * {@code average_precision_score} computes it: {@code Σ (R_i − R_{i−1}) · P_i} over thresholds from
 * the highest, a step function rather than the trapezoidal rule (which is optimistic for PR curves,
 * Davis and Goadrich, 2006).
 *
 * @param precision  {@code thresholds.length + 1} values
 * @param recall     {@code thresholds.length + 1} values, non-increasing, ending in 0
 * @param thresholds increasing
 */
public record PrecisionRecallCurve(double[] precision, double[] recall, double[] thresholds) {

    /** The curve of {@code scores} against labels 0 and 1; there must be at least one positive. */
    public static PrecisionRecallCurve of(double[] scores, long[] labels) {
        String op = "PrecisionRecallCurve";
        BinaryCurve c = BinaryCurve.of(op, scores, labels);
        if (c.positives() == 0) {
            throw new IllegalArgumentException(op + ": no positive labels, so recall (and average precision) is undefined");
        }
        int m = c.size();
        double[] precision = new double[m + 1];
        double[] recall = new double[m + 1];
        double[] thresholds = new double[m];
        for (int i = 0; i < m; i++) {
            int from = m - 1 - i; // reversed: increasing thresholds
            double tp = c.tps()[from];
            precision[i] = tp / (tp + c.fps()[from]);
            recall[i] = tp / c.positives();
            thresholds[i] = c.thresholds()[from];
        }
        precision[m] = 1;
        recall[m] = 0;
        return new PrecisionRecallCurve(precision, recall, thresholds);
    }

    public static PrecisionRecallCurve of(float[] scores, long[] labels) {
        return of(Inputs.toDouble(scores), labels);
    }

    /** The curve of F32/F64 scores {@code [N]} against I64 labels {@code [N]} of 0 and 1. */
    public static PrecisionRecallCurve of(Tensor scores, Tensor labels) {
        return of(Inputs.scores("PrecisionRecallCurve", scores, 1), Inputs.labels("PrecisionRecallCurve", labels));
    }

    /** {@code Σ (R_i − R_{i−1}) · P_i}, from the highest threshold down. */
    public double averagePrecision() {
        double ap = 0;
        for (int i = 0; i < recall.length - 1; i++) {
            ap += (recall[i] - recall[i + 1]) * precision[i];
        }
        return ap;
    }

    /** Average precision (PR-AUC) of binary scores (scikit-learn's {@code average_precision_score}). */
    public static double averagePrecision(double[] scores, long[] labels) {
        return of(scores, labels).averagePrecision();
    }

    public static double averagePrecision(float[] scores, long[] labels) {
        return of(scores, labels).averagePrecision();
    }

    public static double averagePrecision(Tensor scores, Tensor labels) {
        return of(scores, labels).averagePrecision();
    }

    /** One-vs-rest average precision of scores {@code [N, numClasses]}, averaged as {@link RocCurve#aucOneVsRest}. */
    public static double averagePrecisionOneVsRest(double[] scores, int numClasses, long[] labels, Average average) {
        return OneVsRest.average("PrecisionRecallCurve.averagePrecisionOneVsRest", scores, numClasses, labels, average,
                PrecisionRecallCurve::averagePrecision);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PrecisionRecallCurve r && Arrays.equals(precision, r.precision) && Arrays.equals(recall, r.recall)
                && Arrays.equals(thresholds, r.thresholds);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(precision) + Arrays.hashCode(recall)) + Arrays.hashCode(thresholds);
    }

    @Override
    public String toString() {
        return "PrecisionRecallCurve[precision=" + Arrays.toString(precision) + ", recall=" + Arrays.toString(recall) + ", thresholds="
                + Arrays.toString(thresholds) + "]";
    }
}
