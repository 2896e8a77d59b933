package dev.fathom.theory;

import java.util.Objects;

/**
 * The loss along a line through parameter space, as {@link LossLandscape#line} returns it:
 * {@code losses[i] = L(θ* + alphas[i]·d)}. A NaN or infinite loss is kept as it was measured. The
 * arrays are copied in and out.
 *
 * @param alphas the steps along the direction, in the caller's order
 * @param losses the loss at each step
 */
public record LossLine(double[] alphas, double[] losses) {
    public LossLine {
        Objects.requireNonNull(alphas, "LossLine: alphas is null");
        Objects.requireNonNull(losses, "LossLine: losses is null");
        if (alphas.length != losses.length) {
            throw new IllegalArgumentException("LossLine: " + alphas.length + " alphas but " + losses.length + " losses; pass one loss per alpha");
        }
        alphas = alphas.clone();
        losses = losses.clone();
    }

    @Override
    public double[] alphas() {
        return alphas.clone();
    }

    @Override
    public double[] losses() {
        return losses.clone();
    }

    /** The α of the smallest loss (the first, on ties); NaN losses are passed over, and all-NaN gives NaN. */
    public double argmin() {
        int best = -1;
        for (int i = 0; i < losses.length; i++) {
            if (!Double.isNaN(losses[i]) && (best < 0 || losses[i] < losses[best])) {
                best = i;
            }
        }
        return best < 0 ? Double.NaN : alphas[best];
    }
}
