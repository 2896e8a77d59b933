package dev.fathom.metrics;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Cumulative true and false positives at each distinct score, from the highest down
 * (scikit-learn's {@code _binary_clf_curve}): point {@code i} counts every example whose score is
 * at least {@code thresholds[i]}, so tied scores enter together.
 */
record BinaryCurve(double[] fps, double[] tps, double[] thresholds) {

    static BinaryCurve of(String op, double[] scores, long[] labels) {
        Inputs.sameLength(op, "scores", scores, "labels", labels);
        Inputs.binary(op, labels);
        Inputs.finite(op, "scores", scores);
        int n = scores.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
        double[] fps = new double[n];
        double[] tps = new double[n];
        double[] thresholds = new double[n];
        int points = 0;
        long tp = 0;
        for (int r = 0; r < n; r++) {
            tp += labels[order[r]];
            boolean lastOfTie = r == n - 1 || scores[order[r + 1]] != scores[order[r]];
            if (lastOfTie) {
                tps[points] = tp;
                fps[points] = r + 1 - tp;
                thresholds[points] = scores[order[r]];
                points++;
            }
        }
        return new BinaryCurve(Arrays.copyOf(fps, points), Arrays.copyOf(tps, points), Arrays.copyOf(thresholds, points));
    }

    int size() {
        return tps.length;
    }

    double positives() {
        return tps[tps.length - 1];
    }

    double negatives() {
        return fps[fps.length - 1];
    }
}
