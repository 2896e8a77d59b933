package dev.fathom.metrics;

/** How per-class scores become one number (scikit-learn's {@code average=}). */
public enum Average {
    /** The unweighted mean over the classes that occur in the labels or predictions. */
    MACRO,
    /** Counts pooled over all classes first (for single-label multiclass, precision = recall = F1 = accuracy). */
    MICRO,
    /** The mean over classes weighted by each class's support (its number of true examples). */
    WEIGHTED
}
