package dev.fathom.train;

import java.util.Map;

/**
 * What an epoch produced, as logged to {@code metrics.jsonl}: {@code epoch}, {@code train_loss},
 * {@code val_loss}, {@code val_acc} (classification), {@code samples_per_s}, {@code seconds},
 * {@code lr}.
 */
public record EpochEnd(int epoch, Map<String, Object> metrics) {

    /** A numeric metric, or NaN when it was not logged. */
    public double get(String key) {
        return metrics.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
