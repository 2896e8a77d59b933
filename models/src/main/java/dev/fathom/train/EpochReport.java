package dev.fathom.train;

import java.util.Locale;

/**
 * What one epoch achieved.
 *
 * @param epoch            1-based
 * @param epochs           the run's total
 * @param trainLoss        mean cross-entropy over the epoch's training steps
 * @param testAccuracy     fraction of the test set classified correctly after the epoch
 * @param samplesPerSecond training examples per second (forward, backward and update; no evaluation)
 * @param seconds          wall time of the training steps
 */
public record EpochReport(int epoch, int epochs, double trainLoss, double testAccuracy, double samplesPerSecond, double seconds) {

    /** {@code "epoch 1/5  train loss 0.5123  test accuracy 84.12%  10543 samples/s  5.7 s"}. */
    public String format() {
        return String.format(Locale.ROOT, "epoch %d/%d  train loss %.4f  test accuracy %.2f%%  %.0f samples/s  %.1f s", epoch, epochs,
                trainLoss, 100 * testAccuracy, samplesPerSecond, seconds);
    }
}
