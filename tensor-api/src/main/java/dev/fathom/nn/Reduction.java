package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/** How a loss combines its per-element values, as PyTorch's {@code reduction} argument. */
public enum Reduction {
    /** The per-element losses, in the target's shape. */
    NONE,
    /** The mean (for weighted class losses: the weighted mean, see {@link Functional#nllLoss}). */
    MEAN,
    /** The sum. */
    SUM;

    /** Applies this reduction to per-element losses {@code l} (plain mean for MEAN). */
    Tensor apply(Tensor l) {
        return switch (this) {
            case NONE -> l;
            case MEAN -> l.mean();
            case SUM -> l.sum();
        };
    }
}
