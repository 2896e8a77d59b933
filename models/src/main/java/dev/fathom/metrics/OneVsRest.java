package dev.fathom.metrics;

import java.util.function.ToDoubleBiFunction;

/** Averages a binary score metric over classes, one class against the rest (scikit-learn's {@code _average_binary_score}). */
final class OneVsRest {
    private OneVsRest() {
    }

    static double average(String op, double[] scores, int k, long[] labels, Average average, ToDoubleBiFunction<double[], long[]> binary) {
        int n = Inputs.rows(op, scores, k);
        Inputs.sameLength(op, "score rows", n, "labels", Inputs.length(op, "labels", labels));
        Inputs.classes(op, "label", labels, k);
        if (k < 2) {
            throw new IllegalArgumentException(op + ": one-vs-rest needs at least 2 classes, got " + k);
        }
        if (average == null) {
            throw new IllegalArgumentException(op + ": average is null; pass Average.MACRO, MICRO or WEIGHTED");
        }
        if (average == Average.MICRO) {
            long[] flat = new long[n * k];
            for (int i = 0; i < n; i++) {
                flat[i * k + (int) labels[i]] = 1;
            }
            return binary.applyAsDouble(scores, flat);
        }
        double sum = 0;
        long[] support = new long[k];
        for (long y : labels) {
            support[(int) y]++;
        }
        for (int c = 0; c < k; c++) {
            // Checked for every class before any is scored: with labels all 0, class 0's ROC would fail first, for want of negatives.
            if (support[c] == 0) {
                throw new IllegalArgumentException(op + ": class " + c + " never occurs in the labels, so its one-vs-rest score is "
                        + "undefined; use Average.MICRO or drop the class");
            }
        }
        for (int c = 0; c < k; c++) {
            double[] column = new double[n];
            long[] isC = new long[n];
            for (int i = 0; i < n; i++) {
                column[i] = scores[i * k + c];
                isC[i] = labels[i] == c ? 1 : 0;
            }
            double v = binary.applyAsDouble(column, isC);
            sum += average == Average.WEIGHTED ? v * support[c] : v;
        }
        return average == Average.WEIGHTED ? sum / n : sum / k;
    }
}
