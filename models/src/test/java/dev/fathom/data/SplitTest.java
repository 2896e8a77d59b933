package dev.fathom.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Random splits and k-fold: every index exactly once. */
class SplitTest {

    /** Asserts that the index sets together hold 0..n-1 exactly once each. */
    private static void assertPartition(int n, List<int[]> parts) {
        int[] seen = new int[n];
        for (int[] p : parts) {
            for (int i : p) {
                seen[i]++;
            }
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, seen[i], "index " + i);
        }
    }

    @Test
    void countsSplitOnePermutation() {
        Dataset d = DataLoaderTest.numbered(10);
        List<Subset> parts = RandomSplit.split(d, 0, 3, 0, 7);
        assertEquals(List.of(3, 0, 7), parts.stream().map(Subset::size).toList());
        // Consecutive pieces of peerlib's SplitMix64(0) permutation of 10.
        assertArrayEquals(new int[] {6, 3, 2}, parts.get(0).indices());
        assertArrayEquals(new int[] {9, 8, 1, 4, 7, 0, 5}, parts.get(2).indices());
        assertPartition(10, parts.stream().map(Subset::indices).toList());
        assertArrayEquals(new long[] {6, 3, 2}, parts.get(0).classLabels());
        String m = assertThrows(IllegalArgumentException.class, () -> RandomSplit.split(d, 0, 3, 3)).getMessage();
        assertTrue(m.contains("add up to 6") && m.contains("10 examples"), m);
    }

    @Test
    void fractionsFollowPyTorchsRounding() {
        // floor(10 * 0.33) = 3 three times; the one left over goes to the first piece: 4, 3, 3.
        assertArrayEquals(new int[] {4, 3, 3}, RandomSplit.counts(10, 0.33, 0.33, 0.34));
        assertArrayEquals(new int[] {8, 2}, RandomSplit.counts(10, 0.8, 0.2));
        // floor(1), floor(0.5), floor(0.5) = 1, 0, 0; the one left over goes to the first piece, as torch.utils.data.random_split.
        assertArrayEquals(new int[] {2, 0, 0}, RandomSplit.counts(2, 0.5, 0.25, 0.25));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RandomSplit.counts(10, 0.5, 0.6)).getMessage().contains("not 1"));
        RandomSplit.TrainValidation tv = RandomSplit.trainValidation(DataLoaderTest.numbered(1001), 0.1, 4);
        assertEquals(901, tv.train().size());
        assertEquals(100, tv.validation().size());
        assertPartition(1001, List.of(tv.train().indices(), tv.validation().indices()));
        RandomSplit.TrainValidation fixed = RandomSplit.trainValidation(DataLoaderTest.numbered(50), 7, 4);
        assertEquals(7, fixed.validation().size());
        assertNotEquals(Arrays.toString(fixed.validation().indices()),
                Arrays.toString(RandomSplit.trainValidation(DataLoaderTest.numbered(50), 7, 5).validation().indices()), "the seed matters");
        assertThrows(IllegalArgumentException.class, () -> RandomSplit.trainValidation(DataLoaderTest.numbered(5), 1.0, 0));
        assertEquals("RandomSplit.trainValidation: the validation count must be in [1, 4] for 5 examples (both parts non-empty), got 0",
                assertThrows(IllegalArgumentException.class, () -> RandomSplit.trainValidation(DataLoaderTest.numbered(5), 0, 0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> RandomSplit.trainValidation(DataLoaderTest.numbered(5), 5, 0));
    }

    @Test
    void kFoldValidationSetsPartitionTheIndices() {
        for (boolean shuffle : new boolean[] {false, true}) {
            List<KFold.Fold> folds = KFold.split(10, 3, shuffle, 8);
            assertEquals(List.of(4, 3, 3), folds.stream().map(f -> f.validation().length).toList());
            assertPartition(10, folds.stream().map(KFold.Fold::validation).toList());
            for (KFold.Fold f : folds) {
                assertPartition(10, List.of(f.train(), f.validation()));
                assertTrue(isSorted(f.train()) && isSorted(f.validation()));
            }
        }
        // Without shuffle, as scikit-learn: consecutive blocks.
        assertArrayEquals(new int[] {0, 1, 2, 3}, KFold.split(10, 3, false, 0).get(0).validation());
        assertArrayEquals(new int[] {7, 8, 9}, KFold.split(10, 3, false, 0).get(2).validation());
        // With shuffle: blocks of peerlib's permutation 6 3 2 9 | 8 1 4 | 7 0 5.
        assertArrayEquals(new int[] {2, 3, 6, 9}, KFold.split(10, 3, true, 0).get(0).validation());
        assertArrayEquals(new int[] {0, 5, 7}, KFold.split(10, 3, true, 0).get(2).validation());
        assertThrows(IllegalArgumentException.class, () -> KFold.split(3, 4, false, 0));
        assertThrows(IllegalArgumentException.class, () -> KFold.split(3, 1, false, 0));
    }

    @Test
    void stratifiedFoldsKeepClassShares() {
        // 12 of class 0, 6 of class 1, 3 of class 2, interleaved.
        long[] labels = new long[21];
        for (int i = 0; i < 21; i++) {
            labels[i] = i < 12 ? 0 : i < 18 ? 1 : 2;
        }
        long[] shuffledLabels = new long[21];
        int[] perm = new SplitMix64(3).permutation(21);
        for (int i = 0; i < 21; i++) {
            shuffledLabels[i] = labels[perm[i]];
        }
        for (boolean shuffle : new boolean[] {false, true}) {
            List<KFold.Fold> folds = KFold.stratified(shuffledLabels, 3, shuffle, 1);
            assertPartition(21, folds.stream().map(KFold.Fold::validation).toList());
            for (KFold.Fold f : folds) {
                assertEquals(7, f.validation().length);
                long[] perClass = new long[3];
                for (int i : f.validation()) {
                    perClass[(int) shuffledLabels[i]]++;
                }
                assertArrayEquals(new long[] {4, 2, 1}, perClass, "each fold holds a third of each class");
                assertPartition(21, List.of(f.train(), f.validation()));
            }
        }
        // Uneven: 5 of class 0 and 2 of class 1 in 3 folds: sizes 3, 2, 2; class counts differ by at most one.
        List<KFold.Fold> folds = KFold.stratified(new long[] {0, 0, 0, 0, 0, 1, 1}, 3, false, 0);
        assertEquals(List.of(3, 2, 2), folds.stream().map(f -> f.validation().length).toList());
        Dataset d = DataLoaderTest.numbered(7);
        assertEquals(3, folds.get(0).validation(d).size());
        assertEquals(4, folds.get(0).train(d).size());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KFold.stratified(new long[] {0, -1, 0}, 2, false, 0)).getMessage()
                .contains("label -1 of example 1"));
        assertEquals("KFold.stratified: k=3 folds, but every class has fewer members (the largest 2); use k <= 2, or KFold.split",
                assertThrows(IllegalArgumentException.class, () -> KFold.stratified(new long[] {0, 0, 1}, 3, false, 0)).getMessage());
    }

    private static boolean isSorted(int[] a) {
        for (int i = 1; i < a.length; i++) {
            if (a[i] <= a[i - 1]) {
                return false;
            }
        }
        return true;
    }
}
