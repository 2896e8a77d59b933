package dev.fathom.metrics;

import dev.fathom.tensor.Tensor;

/**
 * Accuracy, top-k accuracy, precision, recall and F1 for single-label classification. Arrays take
 * {@code (predictions, labels)}; precision, recall and F1 are those of
 * {@link ConfusionMatrix#of(long[], long[], int)}, averaged as {@link Average} says.
 */
public final class Classification {
    private Classification() {
    }

    /** The fraction of predictions equal to their label. */
    public static double accuracy(long[] predictions, long[] labels) {
        Inputs.sameLength("accuracy", predictions, labels);
        long correct = 0;
        for (int i = 0; i < labels.length; i++) {
            correct += predictions[i] == labels[i] ? 1 : 0;
        }
        return (double) correct / labels.length;
    }

    /** Accuracy of I64 classes {@code [N]}, or of the row argmax of scores/logits {@code [N, K]}, against I64 labels {@code [N]}. */
    public static double accuracy(Tensor predictions, Tensor labels) {
        return accuracy(Inputs.predictedClasses("accuracy", predictions), Inputs.labels("accuracy", labels));
    }

    /**
     * The fraction of examples whose label is among the {@code k} highest of its row of {@code scores}
     * ({@code [N, numClasses]}, row-major). Ties are ranked as scikit-learn's
     * {@code top_k_accuracy_score} does: among equal scores the higher class index ranks first.
     */
    public static double topKAccuracy(double[] scores, int numClasses, long[] labels, int k) {
        String op = "topKAccuracy";
        int n = Inputs.rows(op, scores, numClasses);
        Inputs.sameLength(op, "score rows", n, "labels", Inputs.length(op, "labels", labels));
        Inputs.classes(op, "label", labels, numClasses);
        Inputs.finite(op, "scores", scores);
        if (k < 1 || k > numClasses) {
            throw new IllegalArgumentException(op + ": k must be in [1, " + numClasses + "], got " + k);
        }
        long hits = 0;
        for (int i = 0; i < n; i++) {
            int y = (int) labels[i];
            double s = scores[i * numClasses + y];
            int above = 0;
            for (int c = 0; c < numClasses; c++) {
                double other = scores[i * numClasses + c];
                if (other > s || other == s && c > y) {
                    above++;
                }
            }
            hits += above < k ? 1 : 0;
        }
        return (double) hits / n;
    }

    public static double topKAccuracy(float[] scores, int numClasses, long[] labels, int k) {
        return topKAccuracy(Inputs.toDouble(scores), numClasses, labels, k);
    }

    /** Top-k accuracy of F32/F64 scores {@code [N, K]} against I64 labels {@code [N]}. */
    public static double topKAccuracy(Tensor scores, Tensor labels, int k) {
        double[] s = Inputs.scores("topKAccuracy", scores, 2);
        return topKAccuracy(s, scores.size(1), Inputs.labels("topKAccuracy", labels), k);
    }

    public static double precision(long[] predictions, long[] labels, int numClasses, Average average) {
        return ConfusionMatrix.of(predictions, labels, numClasses).precision(average);
    }

    public static double recall(long[] predictions, long[] labels, int numClasses, Average average) {
        return ConfusionMatrix.of(predictions, labels, numClasses).recall(average);
    }

    public static double f1(long[] predictions, long[] labels, int numClasses, Average average) {
        return ConfusionMatrix.of(predictions, labels, numClasses).f1(average);
    }

    /** Precision of class {@code positive} alone (scikit-learn's {@code average="binary"} with {@code pos_label}). */
    public static double precision(long[] predictions, long[] labels, int numClasses, int positive) {
        return ConfusionMatrix.of(predictions, labels, numClasses).precision(positive);
    }

    public static double recall(long[] predictions, long[] labels, int numClasses, int positive) {
        return ConfusionMatrix.of(predictions, labels, numClasses).recall(positive);
    }

    public static double f1(long[] predictions, long[] labels, int numClasses, int positive) {
        return ConfusionMatrix.of(predictions, labels, numClasses).f1(positive);
    }

    public static double precision(Tensor predictions, Tensor labels, int numClasses, Average average) {
        return ConfusionMatrix.of(predictions, labels, numClasses).precision(average);
    }

    public static double recall(Tensor predictions, Tensor labels, int numClasses, Average average) {
        return ConfusionMatrix.of(predictions, labels, numClasses).recall(average);
    }

    public static double f1(Tensor predictions, Tensor labels, int numClasses, Average average) {
        return ConfusionMatrix.of(predictions, labels, numClasses).f1(average);
    }
}
