package dev.fathom.train;

/**
 * A model's loss and, for classification, its predictions over a data set.
 *
 * @param loss      the mean loss per example
 * @param predicted argmax class per example (null for regression)
 * @param labels    true class per example (null for regression)
 */
public record Evaluation(double loss, long[] predicted, long[] labels) {

    /** The fraction classified correctly (NaN for regression or an empty set). */
    public double accuracy() {
        if (predicted == null || predicted.length == 0) {
            return Double.NaN;
        }
        long correct = 0;
        for (int i = 0; i < predicted.length; i++) {
            correct += predicted[i] == labels[i] ? 1 : 0;
        }
        return (double) correct / predicted.length;
    }
}
