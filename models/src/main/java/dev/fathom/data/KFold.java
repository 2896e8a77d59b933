package dev.fathom.data;

import java.util.ArrayList;
import java.util.List;

/**
 * k-fold cross-validation: the indices {@code 0..n-1} cut into {@code k} disjoint validation sets
 * that together cover every index exactly once; fold {@code i} trains on the rest.
 *
 * <p>{@link #split} follows scikit-learn's {@code KFold}: optionally shuffle (one {@link SplitMix64}
 * permutation), then consecutive pieces, the first {@code n % k} of them one larger.
 * {@link #stratified} keeps each class's share in every fold: each class's indices (shuffled, if
 * asked, in class order from one stream) are dealt to the folds in turn, the turn carrying over
 * from class to class, so fold sizes differ by at most one and so do each class's counts. (The
 * assignment differs from scikit-learn's {@code StratifiedKFold}, which has the same guarantees.)
 */
public final class KFold {

    /**
     * One fold: sorted index sets.
     *
     * @param train      the indices to train on
     * @param validation the indices held out
     */
    public record Fold(int[] train, int[] validation) {
        /** The training examples of {@code dataset} (which must have the size the folds were made for). */
        public Subset train(Dataset dataset) {
            return new Subset(dataset, train);
        }

        public Subset validation(Dataset dataset) {
            return new Subset(dataset, validation);
        }

        @Override
        public String toString() {
            return "Fold[train " + train.length + ", validation " + validation.length + "]";
        }
    }

    private KFold() {
    }

    /** {@code k} folds over {@code n} indices. */
    public static List<Fold> split(int n, int k, boolean shuffle, long seed) {
        check(n, k);
        int[] perm = shuffle ? new SplitMix64(seed).permutation(n) : identity(n);
        int[] foldOf = new int[n];
        int from = 0;
        for (int f = 0; f < k; f++) {
            int size = n / k + (f < n % k ? 1 : 0);
            for (int i = from; i < from + size; i++) {
                foldOf[perm[i]] = f;
            }
            from += size;
        }
        return folds(foldOf, k);
    }

    /** {@code k} folds over the examples of {@code dataset}. */
    public static List<Fold> split(Dataset dataset, int k, boolean shuffle, long seed) {
        return split(dataset.size(), k, shuffle, seed);
    }

    /** {@code k} folds that keep the class proportions of {@code labels} (class indices >= 0). */
    public static List<Fold> stratified(long[] labels, int k, boolean shuffle, long seed) {
        check(labels.length, k);
        long max = -1;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException("KFold.stratified: label " + labels[i] + " of example " + i + " is negative");
            }
            max = Math.max(max, labels[i]);
        }
        if (max >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("KFold.stratified: label " + max + " is too large for a class index");
        }
        int classes = (int) max + 1;
        int[] perClass = new int[classes];
        int largest = 0;
        for (long y : labels) {
            largest = Math.max(largest, ++perClass[(int) y]);
        }
        if (largest < k) {
            // As scikit-learn's StratifiedKFold: no class has a member for every fold, so there are no proportions to keep.
            throw new IllegalArgumentException("KFold.stratified: k=" + k + " folds, but every class has fewer members (the largest "
                    + largest + "); use k <= " + largest + ", or KFold.split");
        }
        int[][] members = new int[classes][];
        for (int c = 0; c < classes; c++) {
            members[c] = new int[perClass[c]];
        }
        int[] fill = new int[classes];
        for (int i = 0; i < labels.length; i++) {
            int c = (int) labels[i];
            members[c][fill[c]++] = i;
        }
        SplitMix64 random = new SplitMix64(seed);
        int[] foldOf = new int[labels.length];
        int turn = 0;
        for (int c = 0; c < classes; c++) {
            if (shuffle) {
                random.shuffle(members[c]);
            }
            for (int i : members[c]) {
                foldOf[i] = turn;
                turn = (turn + 1) % k;
            }
        }
        return folds(foldOf, k);
    }

    /** Stratified folds over the class labels of {@code dataset}. */
    public static List<Fold> stratified(Dataset dataset, int k, boolean shuffle, long seed) {
        return stratified(dataset.classLabels(), k, shuffle, seed);
    }

    private static void check(int n, int k) {
        if (k < 2 || k > n) {
            throw new IllegalArgumentException("KFold: need 2 <= k <= n (every fold validates on at least one example), got k=" + k
                    + " for n=" + n);
        }
    }

    private static List<Fold> folds(int[] foldOf, int k) {
        int n = foldOf.length;
        int[] sizes = new int[k];
        for (int f : foldOf) {
            sizes[f]++;
        }
        List<Fold> folds = new ArrayList<>(k);
        for (int f = 0; f < k; f++) {
            int[] validation = new int[sizes[f]];
            int[] train = new int[n - sizes[f]];
            int v = 0;
            int t = 0;
            for (int i = 0; i < n; i++) {
                if (foldOf[i] == f) {
                    validation[v++] = i;
                } else {
                    train[t++] = i;
                }
            }
            folds.add(new Fold(train, validation));
        }
        return List.copyOf(folds);
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }
}
