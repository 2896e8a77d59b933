package dev.fathom.metrics;

import dev.fathom.tensor.Tensor;

import java.util.Arrays;
import java.util.Locale;

/**
 * Counts of (actual, predicted) class pairs: {@code count(a, p)} examples of class {@code a} were
 * predicted as {@code p} (rows actual, columns predicted, as scikit-learn's
 * {@code confusion_matrix}). The per-class precision, recall and F1 and their averages are
 * computed from it; 0/0 gives 0, as scikit-learn's default.
 */
public final class ConfusionMatrix {
    private final long[][] counts;
    private final int k;
    private final long total;

    private ConfusionMatrix(long[][] counts, long total) {
        this.counts = counts;
        this.k = counts.length;
        this.total = total;
    }

    /** The matrix of {@code predictions} against {@code labels}, both class indices in {@code [0, numClasses)}. */
    public static ConfusionMatrix of(long[] predictions, long[] labels, int numClasses) {
        String op = "ConfusionMatrix";
        Inputs.sameLength(op, predictions, labels);
        Inputs.numClasses(op, numClasses);
        Inputs.classes(op, "prediction", predictions, numClasses);
        Inputs.classes(op, "label", labels, numClasses);
        long[][] counts = new long[numClasses][numClasses];
        for (int i = 0; i < labels.length; i++) {
            counts[(int) labels[i]][(int) predictions[i]]++;
        }
        return new ConfusionMatrix(counts, labels.length);
    }

    /** From tensors: predictions I64 {@code [N]} or scores {@code [N, K]} (row argmax), labels I64 {@code [N]}. */
    public static ConfusionMatrix of(Tensor predictions, Tensor labels, int numClasses) {
        return of(Inputs.predictedClasses("ConfusionMatrix", predictions), Inputs.labels("ConfusionMatrix", labels), numClasses);
    }

    public int numClasses() {
        return k;
    }

    /** The number of examples. */
    public long total() {
        return total;
    }

    /** Examples of class {@code actual} predicted as {@code predicted}. */
    public long count(int actual, int predicted) {
        check(actual);
        check(predicted);
        return counts[actual][predicted];
    }

    /** A copy of the counts, {@code [actual][predicted]}. */
    public long[][] toArray() {
        long[][] copy = new long[k][];
        for (int i = 0; i < k; i++) {
            copy[i] = counts[i].clone();
        }
        return copy;
    }

    public long truePositives(int c) {
        check(c);
        return counts[c][c];
    }

    /** Examples of other classes predicted as {@code c}. */
    public long falsePositives(int c) {
        return predicted(c) - truePositives(c);
    }

    /** Examples of class {@code c} predicted as something else. */
    public long falseNegatives(int c) {
        return support(c) - truePositives(c);
    }

    /** The number of examples whose label is {@code c}. */
    public long support(int c) {
        check(c);
        long s = 0;
        for (long v : counts[c]) {
            s += v;
        }
        return s;
    }

    /** The number of examples predicted as {@code c}. */
    public long predicted(int c) {
        check(c);
        long s = 0;
        for (long[] row : counts) {
            s += row[c];
        }
        return s;
    }

    /** The fraction of examples on the diagonal. */
    public double accuracy() {
        long correct = 0;
        for (int c = 0; c < k; c++) {
            correct += counts[c][c];
        }
        return (double) correct / total;
    }

    /** {@code tp / (tp + fp)} of class {@code c}; 0 when nothing was predicted as {@code c}. */
    public double precision(int c) {
        return ratio(truePositives(c), predicted(c));
    }

    /** {@code tp / (tp + fn)} of class {@code c}; 0 when {@code c} has no examples. */
    public double recall(int c) {
        return ratio(truePositives(c), support(c));
    }

    /** The harmonic mean of precision and recall of class {@code c}, {@code 2tp / (2tp + fp + fn)}; 0 when undefined. */
    public double f1(int c) {
        long tp = truePositives(c);
        return ratio(2 * tp, 2 * tp + falsePositives(c) + falseNegatives(c));
    }

    public double precision(Average average) {
        return average(average, Kind.PRECISION);
    }

    public double recall(Average average) {
        return average(average, Kind.RECALL);
    }

    public double f1(Average average) {
        return average(average, Kind.F1);
    }

    private enum Kind { PRECISION, RECALL, F1 }

    private double perClass(Kind kind, int c) {
        return switch (kind) {
            case PRECISION -> precision(c);
            case RECALL -> recall(c);
            case F1 -> f1(c);
        };
    }

    private double average(Average average, Kind kind) {
        if (average == null) {
            throw new IllegalArgumentException("ConfusionMatrix." + kind.name().toLowerCase(java.util.Locale.ROOT)
                    + ": average is null; pass Average.MACRO, MICRO or WEIGHTED");
        }
        switch (average) {
            case MICRO -> {
                long tp = 0;
                long fp = 0;
                long fn = 0;
                for (int c = 0; c < k; c++) {
                    tp += truePositives(c);
                    fp += falsePositives(c);
                    fn += falseNegatives(c);
                }
                return switch (kind) {
                    case PRECISION -> ratio(tp, tp + fp);
                    case RECALL -> ratio(tp, tp + fn);
                    case F1 -> ratio(2 * tp, 2 * tp + fp + fn);
                };
            }
            case MACRO -> {
                double sum = 0;
                int present = 0;
                for (int c = 0; c < k; c++) {
                    if (support(c) > 0 || predicted(c) > 0) {
                        sum += perClass(kind, c);
                        present++;
                    }
                }
                return sum / present;
            }
            case WEIGHTED -> {
                double sum = 0;
                for (int c = 0; c < k; c++) {
                    sum += support(c) * perClass(kind, c);
                }
                return sum / total;
            }
            default -> throw new IllegalArgumentException("ConfusionMatrix: unknown average " + average);
        }
    }

    private static double ratio(long num, long den) {
        return den == 0 ? 0 : (double) num / den;
    }

    private void check(int c) {
        if (c < 0 || c >= k) {
            throw new IllegalArgumentException("ConfusionMatrix: class " + c + " is outside [0, " + k + ")");
        }
    }

    /** The table with class numbers as headings. */
    @Override
    public String toString() {
        return format(null);
    }

    /** The table, rows actual and columns predicted, headed by {@code classNames} (or class numbers when null). */
    public String format(String[] classNames) {
        String[] names = names(classNames);
        int cell = 1;
        for (long[] row : counts) {
            for (long v : row) {
                cell = Math.max(cell, Long.toString(v).length());
            }
        }
        for (String s : names) {
            cell = Math.max(cell, s.length());
        }
        int first = Math.max("actual \\ predicted".length(), cell);
        StringBuilder sb = new StringBuilder();
        sb.append("confusion matrix, ").append(total).append(" examples, ").append(k).append(" classes (rows: actual, columns: predicted)\n");
        sb.append(pad("actual \\ predicted", first));
        for (String s : names) {
            sb.append("  ").append(pad(s, cell));
        }
        sb.append('\n');
        for (int a = 0; a < k; a++) {
            sb.append(pad(names[a], first));
            for (int p = 0; p < k; p++) {
                sb.append("  ").append(pad(Long.toString(counts[a][p]), cell));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Per-class precision, recall, F1 and support, then the averages (scikit-learn's {@code classification_report}). */
    public String report(String[] classNames) {
        String[] names = names(classNames);
        int first = "weighted avg".length();
        for (String s : names) {
            first = Math.max(first, s.length());
        }
        StringBuilder sb = new StringBuilder();
        sb.append(pad("", first)).append(String.format(Locale.ROOT, "  %9s  %9s  %9s  %9s%n", "precision", "recall", "f1", "support"));
        for (int c = 0; c < k; c++) {
            sb.append(pad(names[c], first)).append(String.format(Locale.ROOT, "  %9.4f  %9.4f  %9.4f  %9d%n", precision(c), recall(c), f1(c),
                    support(c)));
        }
        sb.append(pad("accuracy", first)).append(String.format(Locale.ROOT, "  %9s  %9s  %9.4f  %9d%n", "", "", accuracy(), total));
        for (Average a : new Average[] {Average.MACRO, Average.MICRO, Average.WEIGHTED}) {
            sb.append(pad(a.name().toLowerCase(Locale.ROOT) + " avg", first)).append(String.format(Locale.ROOT,
                    "  %9.4f  %9.4f  %9.4f  %9d%n", precision(a), recall(a), f1(a), total));
        }
        return sb.toString();
    }

    private String[] names(String[] classNames) {
        if (classNames != null && classNames.length != k) {
            throw new IllegalArgumentException("ConfusionMatrix.format: " + classNames.length + " class names for " + k + " classes");
        }
        String[] names = new String[k];
        for (int c = 0; c < k; c++) {
            names[c] = classNames != null ? classNames[c] : Integer.toString(c);
        }
        return names;
    }

    private static String pad(String s, int width) {
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfusionMatrix m && Arrays.deepEquals(counts, m.counts);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(counts);
    }
}
