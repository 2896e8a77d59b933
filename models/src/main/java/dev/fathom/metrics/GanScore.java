package dev.fathom.metrics;

import java.util.Arrays;

/**
 * How a classifier sees generated samples: a small analogue of the Inception score (Salimans et
 * al., "Improved Techniques for Training GANs", 2016) with a domain classifier in place of
 * Inception. From the class probabilities {@code p(y|x_i)} of {@code N} samples:
 * <ul>
 *   <li>{@code meanConfidence}: the mean over samples of {@code max_y p(y|x_i)} (sharp samples → near 1);</li>
 *   <li>{@code classCounts}: how many samples each class wins (argmax; ties go to the lower class);</li>
 *   <li>{@code classesCovered}: the classes that win at least {@link #COVERAGE_FRACTION} of the samples
 *       (diversity; mode collapse → few);</li>
 *   <li>{@code inceptionScore}: {@code exp(mean_i KL(p(y|x_i) || p(y)))} with {@code p(y) = mean_i p(y|x_i)},
 *       {@code 0·log 0 = 0}; between 1 and the number of classes.</li>
 * </ul>
 */
public record GanScore(int samples, double meanConfidence, int classesCovered, double inceptionScore, long[] classCounts) {
    /** A class counts as covered when it wins at least this fraction of the samples (1%). */
    public static final double COVERAGE_FRACTION = 0.01;
    /** How far a row's sum may be from 1. */
    private static final double SUM_TOLERANCE = 1e-3;

    public GanScore {
        classCounts = classCounts.clone();
    }

    @Override
    public long[] classCounts() {
        return classCounts.clone();
    }

    /** The score of {@code probs}, row-major {@code [n, numClasses]} probabilities (rows sum to 1 within 1e-3). */
    public static GanScore of(double[] probs, int numClasses) {
        if (numClasses < 1 || probs == null || probs.length == 0 || probs.length % numClasses != 0) {
            throw new IllegalArgumentException("GanScore.of: need [n, " + numClasses + "] probabilities with n >= 1 and numClasses >= 1, got "
                    + (probs == null ? "null" : probs.length + " values"));
        }
        int n = probs.length / numClasses;
        double[] marginal = new double[numClasses];
        long[] counts = new long[numClasses];
        double confidence = 0;
        for (int i = 0; i < n; i++) {
            double sum = 0;
            int best = 0;
            for (int k = 0; k < numClasses; k++) {
                double p = probs[i * numClasses + k];
                if (!(p >= 0 && p <= 1 + SUM_TOLERANCE)) {
                    throw new IllegalArgumentException("GanScore.of: probability [" + i + ", " + k + "] is " + p + "; pass softmax outputs, not logits");
                }
                sum += p;
                marginal[k] += p;
                if (p > probs[i * numClasses + best]) {
                    best = k;
                }
            }
            if (Math.abs(sum - 1) > SUM_TOLERANCE) {
                throw new IllegalArgumentException("GanScore.of: row " + i + " sums to " + sum + ", not 1; pass softmax outputs over dim 1");
            }
            counts[best]++;
            confidence += probs[i * numClasses + best];
        }
        for (int k = 0; k < numClasses; k++) {
            marginal[k] /= n;
        }
        double kl = 0;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < numClasses; k++) {
                double p = probs[i * numClasses + k];
                if (p > 0) {
                    kl += p * (Math.log(p) - Math.log(marginal[k]));
                }
            }
        }
        int covered = 0;
        for (long c : counts) {
            if (c >= COVERAGE_FRACTION * n) {
                covered++;
            }
        }
        return new GanScore(n, confidence / n, covered, Math.exp(kl / n), counts);
    }

    @Override
    public String toString() {
        return "GanScore(samples=" + samples + ", meanConfidence=" + meanConfidence + ", classesCovered=" + classesCovered + ", inceptionScore="
                + inceptionScore + ", classCounts=" + Arrays.toString(classCounts) + ")";
    }
}
