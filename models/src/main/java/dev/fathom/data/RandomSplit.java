package dev.fathom.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a data set into disjoint random {@link Subset}s (PyTorch's {@code random_split}): one
 * {@link SplitMix64} permutation of all indices from the seed, cut into consecutive pieces. Every
 * index lands in exactly one piece.
 */
public final class RandomSplit {

    /** A training set and a validation set. */
    public record TrainValidation(Subset train, Subset validation) {
    }

    private RandomSplit() {
    }

    /**
     * Pieces of the given sizes, which must add up to the data set's size.
     */
    public static List<Subset> split(Dataset dataset, long seed, int... counts) {
        long total = 0;
        for (int c : counts) {
            if (c < 0) {
                throw new IllegalArgumentException("RandomSplit: counts must be >= 0, got " + Arrays.toString(counts));
            }
            total += c;
        }
        if (counts.length == 0 || total != dataset.size()) {
            throw new IllegalArgumentException("RandomSplit: counts " + Arrays.toString(counts) + " add up to " + total + ", but the data set has "
                    + dataset.size() + " examples");
        }
        int[] perm = new SplitMix64(seed).permutation(dataset.size());
        List<Subset> parts = new ArrayList<>(counts.length);
        int from = 0;
        for (int c : counts) {
            parts.add(new Subset(dataset, Arrays.copyOfRange(perm, from, from + c)));
            from += c;
        }
        return List.copyOf(parts);
    }

    /**
     * Pieces of the given fractions of the data set, which must add up to 1. As PyTorch: each piece
     * gets {@code floor(fraction * n)}, and the examples left over go one each to the first pieces.
     */
    public static List<Subset> split(Dataset dataset, long seed, double... fractions) {
        return split(dataset, seed, counts(dataset.size(), fractions));
    }

    /** A random {@code 1 - validationFraction} / {@code validationFraction} split. */
    public static TrainValidation trainValidation(Dataset dataset, double validationFraction, long seed) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("RandomSplit.trainValidation: the validation fraction must be in (0, 1), got "
                    + validationFraction);
        }
        List<Subset> parts = split(dataset, seed, 1 - validationFraction, validationFraction);
        return new TrainValidation(parts.get(0), parts.get(1));
    }

    /** A random split with exactly {@code validationCount} validation examples; both parts non-empty, as with a fraction. */
    public static TrainValidation trainValidation(Dataset dataset, int validationCount, long seed) {
        if (validationCount < 1 || validationCount >= dataset.size()) {
            throw new IllegalArgumentException("RandomSplit.trainValidation: the validation count must be in [1, " + (dataset.size() - 1)
                    + "] for " + dataset.size() + " examples (both parts non-empty), got " + validationCount);
        }
        List<Subset> parts = split(dataset, seed, dataset.size() - validationCount, validationCount);
        return new TrainValidation(parts.get(0), parts.get(1));
    }

    static int[] counts(int n, double... fractions) {
        double sum = 0;
        for (double f : fractions) {
            if (!(f >= 0 && f <= 1)) {
                throw new IllegalArgumentException("RandomSplit: fractions must be in [0, 1], got " + Arrays.toString(fractions));
            }
            sum += f;
        }
        if (fractions.length == 0 || Math.abs(sum - 1) > 1e-9) {
            throw new IllegalArgumentException("RandomSplit: fractions " + Arrays.toString(fractions) + " add up to " + sum
                    + ", not 1; give fractions that sum to 1, or counts");
        }
        int[] counts = new int[fractions.length];
        int given = 0;
        for (int i = 0; i < counts.length; i++) {
            counts[i] = (int) Math.floor(n * fractions[i]);
            given += counts[i];
        }
        for (int i = 0; given < n; i = (i + 1) % counts.length) {
            counts[i]++;
            given++;
        }
        return counts;
    }
}
