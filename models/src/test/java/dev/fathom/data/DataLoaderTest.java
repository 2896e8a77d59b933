package dev.fathom.data;

import dev.fathom.LiveBuffers;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.internal.Backends;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataLoaderTest {

    /** Example i has features {i, 10 i} and class label i, so a batch shows which examples it holds. */
    static TensorDataset numbered(int n) {
        float[] x = new float[2 * n];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i;
            x[2 * i + 1] = 10 * i;
            y[i] = i;
        }
        return TensorDataset.of(x, new int[] {2}, y);
    }

    /** {@link #numbered}'s examples behind methods a test overrides to break the data set. */
    private static class Numbered implements Dataset {
        private final Dataset base;

        Numbered(int n) {
            base = numbered(n);
        }

        @Override
        public int size() {
            return base.size();
        }

        @Override
        public int[] exampleShape() {
            return base.exampleShape();
        }

        @Override
        public dev.fathom.tensor.DType labelDType() {
            return base.labelDType();
        }

        @Override
        public int[] labelShape() {
            return base.labelShape();
        }

        @Override
        public HostBatch gather(int[] indices, int from, int count) {
            return base.gather(indices, from, count);
        }
    }

    /** The permutations of mlp_fmnist.py, written independently: one SplittableRandom stream, a fresh identity per epoch. */
    static int[][] peerOrders(long seed, int n, int epochs) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] out = new int[epochs][];
        for (int e = 0; e < epochs; e++) {
            int[] p = new int[n];
            for (int i = 0; i < n; i++) {
                p[i] = i;
            }
            for (int i = n - 1; i > 0; i--) {
                int j = (int) Long.remainderUnsigned(r.nextLong(), i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            out[e] = p;
        }
        return out;
    }

    private static List<HostBatch> drain(DataLoader.Epoch epoch) {
        List<HostBatch> out = new ArrayList<>();
        try (epoch) {
            while (epoch.hasNext()) {
                out.add(epoch.nextHost());
            }
        }
        return out;
    }

    private static long[] labelsOf(List<HostBatch> batches) {
        return batches.stream().flatMapToLong(b -> Arrays.stream(b.classes())).toArray();
    }

    private static long prefetchThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("fathom-data-prefetch") && t.isAlive()).count();
    }

    @Test
    void shuffledEpochsFollowThePeersStream() {
        int n = 1000;
        DataLoader loader = DataLoader.builder(numbered(n), 128).shuffle(true).seed(0).build();
        int[][] expected = peerOrders(0, n, 3);
        for (int e = 0; e < 3; e++) {
            long[] seen = labelsOf(drain(loader.epoch()));
            assertArrayEquals(Arrays.stream(expected[e]).asLongStream().toArray(), seen, "epoch " + e);
        }
        assertEquals(3, loader.nextEpoch());
        // Resuming at epoch 2 needs no replay of epochs 0 and 1.
        DataLoader resumed = DataLoader.builder(numbered(n), 128).shuffle(true).seed(0).build();
        assertArrayEquals(expected[2], resumed.order(2));
        assertArrayEquals(Arrays.stream(expected[2]).asLongStream().toArray(), labelsOf(drain(resumed.epoch(2))));
        assertEquals(3, resumed.nextEpoch());
        // The first epoch over 10 examples with seed 0 is peerlib's vector.
        assertArrayEquals(new int[] {6, 3, 2, 9, 8, 1, 4, 7, 0, 5}, DataLoader.builder(numbered(10), 3).shuffle(true).build().order(0));
        assertArrayEquals(new int[] {7, 4, 9, 5, 2, 3, 8, 6, 1, 0}, DataLoader.builder(numbered(10), 3).shuffle(true).build().order(1));
    }

    @Test
    void withoutShuffleEveryEpochIsInOrder() {
        DataLoader loader = DataLoader.builder(numbered(7), 3).build();
        for (int e = 0; e < 2; e++) {
            assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6}, labelsOf(drain(loader.epoch())));
        }
    }

    @Test
    void batchSizesKeepOrDropTheLastPartialBatch() {
        DataLoader keep = DataLoader.builder(numbered(10), 4).shuffle(true).seed(5).build();
        List<HostBatch> kept = drain(keep.epoch());
        assertEquals(List.of(4, 4, 2), kept.stream().map(HostBatch::size).toList());
        assertEquals(3, keep.batchesPerEpoch());

        DataLoader drop = DataLoader.builder(numbered(10), 4).shuffle(true).seed(5).dropLast(true).build();
        List<HostBatch> dropped = drain(drop.epoch());
        assertEquals(List.of(4, 4), dropped.stream().map(HostBatch::size).toList());
        assertEquals(2, drop.batchesPerEpoch());
        assertEquals(kept.subList(0, 2), dropped, "dropping the last batch does not change the others");

        assertEquals(List.of(5, 5), drain(DataLoader.builder(numbered(10), 5).dropLast(true).build().epoch()).stream().map(HostBatch::size)
                .toList());
        assertEquals(0, DataLoader.builder(numbered(3), 4).dropLast(true).build().batchesPerEpoch());
        assertEquals(List.of(), drain(DataLoader.builder(numbered(3), 4).dropLast(true).build().epoch()));
        // mlp_fmnist.py: 60000 examples in batches of 128 are 469 steps, the last of 96.
        assertEquals(469, DataLoader.builder(TensorDataset.of(new float[60_000], new int[] {1}, new long[60_000]), 128).build()
                .batchesPerEpoch());
    }

    @Test
    void featuresFollowTheLabels() {
        DataLoader loader = DataLoader.builder(numbered(10), 4).shuffle(true).seed(1).build();
        for (HostBatch b : drain(loader.epoch())) {
            assertArrayEquals(new int[] {b.size(), 2}, b.shape());
            for (int i = 0; i < b.size(); i++) {
                assertEquals(b.classes()[i], b.features()[2 * i]);
                assertEquals(10 * b.classes()[i], b.features()[2 * i + 1]);
            }
        }
    }

    @Test
    void prefetchGivesTheSameBatchesAsNoPrefetch() {
        Dataset images = imageDataset(23);
        Transform t = Transform.compose(new RandomCrop(4, 1), new RandomHorizontalFlip(0.5), new Normalize(0.5, 2));
        for (boolean dropLast : new boolean[] {false, true}) {
            DataLoader with = DataLoader.builder(images, 5).shuffle(true).seed(11).dropLast(dropLast).transform(t).prefetchDepth(1).build();
            DataLoader without = DataLoader.builder(images, 5).shuffle(true).seed(11).dropLast(dropLast).transform(t).prefetch(false).build();
            for (int e = 0; e < 3; e++) {
                List<HostBatch> a = drain(with.epoch());
                List<HostBatch> b = drain(without.epoch());
                assertEquals(b, a, "epoch " + e);
            }
        }
        // and the random transforms do change from epoch to epoch (so the test above compares something)
        DataLoader loader = DataLoader.builder(images, 23).transform(t).build();
        assertNotEquals(drain(loader.epoch()), drain(loader.epoch()));
    }

    @Test
    void anEpochStartedPartwayGivesTheRestOfTheWholeEpochsBatches() {
        Dataset images = imageDataset(23);
        Transform t = Transform.compose(new RandomCrop(4, 1), new RandomHorizontalFlip(0.5));
        for (boolean prefetch : new boolean[] {false, true}) {
            DataLoader whole = DataLoader.builder(images, 5).shuffle(true).seed(3).transform(t).prefetch(prefetch).build();
            DataLoader resumed = DataLoader.builder(images, 5).shuffle(true).seed(3).transform(t).prefetch(prefetch).build();
            List<HostBatch> all = drain(whole.epoch(2));
            for (int first = 0; first <= 5; first++) {
                DataLoader.Epoch rest = resumed.epoch(2, first);
                assertEquals(first < 5, rest.hasNext(), "first batch " + first);
                assertEquals(all.subList(first, 5), drain(rest), "prefetch " + prefetch + ", first batch " + first);
            }
            assertEquals(3, resumed.nextEpoch());
        }
        DataLoader loader = DataLoader.builder(images, 5).dropLast(true).build();
        String m = assertThrows(IllegalArgumentException.class, () -> loader.epoch(0, 5)).getMessage();
        assertTrue(m.contains("DataLoader.epoch") && m.contains("[0, 4]") && m.contains("got 5"), m);
        assertThrows(IllegalArgumentException.class, () -> loader.epoch(0, -1));
    }

    /** n images [1, 4, 4] with distinct pixel values. */
    static Dataset imageDataset(int n) {
        float[] x = new float[n * 16];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        long[] y = new long[n];
        return TensorDataset.of(x, new int[] {16}, y).reshape(1, 4, 4);
    }

    @Test
    void prefetchThreadStopsWhenLeavingEarlyOrFinishing() throws InterruptedException {
        long before = prefetchThreads();
        DataLoader loader = DataLoader.builder(numbered(100), 3).shuffle(true).build();
        try (DataLoader.Epoch epoch = loader.epoch()) {
            int seen = 0;
            for (Batch b : epoch) {
                b.close();
                if (++seen == 2) {
                    break;
                }
            }
            assertTrue(prefetchThreads() > before, "a prefetch thread runs while the epoch is open");
        }
        assertEquals(before, prefetchThreads(), "closing the epoch must stop its thread");

        // Iterating to the end (without close) ends the thread too.
        DataLoader.Epoch full = loader.epoch();
        while (full.hasNext()) {
            full.nextHost();
        }
        assertEquals(before, prefetchThreads());
        assertThrows(NoSuchElementException.class, full::nextHost);

        for (int i = 0; i < 50; i++) {
            loader.epoch().close();
        }
        assertEquals(before, prefetchThreads(), "opening and closing epochs leaks no threads");
        DataLoader.Epoch closed = loader.epoch();
        closed.close();
        assertFalse(closed.hasNext());
        assertThrows(IllegalStateException.class, closed::nextHost);
    }

    @Test
    void tensorsBelongToTheConsumersScopeAndNothingGrows() {
        DataLoader loader = DataLoader.builder(numbered(50), 8).shuffle(true).seed(2).build();
        long live = LiveBuffers.settled();
        for (int e = 0; e < 5; e++) {
            try (DataLoader.Epoch epoch = loader.epoch()) {
                while (epoch.hasNext()) {
                    try (Scope s = Scope.open()) {
                        Batch b = epoch.next(); // made inside the scope, so the scope closes it
                        assertEquals(2, b.x().dim());
                        assertEquals(b.size(), b.y().size(0));
                        assertEquals(b.y().toLongArray()[0], b.x().toFloatArray()[0]);
                        b.x().add(1).mul(2).sum().item();
                    }
                }
            }
            // The for-each form: the batch is made before the body, so it is closed after the scope.
            try (DataLoader.Epoch epoch = loader.epoch()) {
                for (Batch b : epoch) {
                    try (b; Scope s = Scope.open()) {
                        b.x().add(1).mul(2).sum().item();
                    }
                }
            }
        }
        assertEquals(live, Backends.kernels(Device.cpu()).memoryStats().liveBuffers(), "batches inside scopes must release everything");
    }

    @Test
    void buildingFailuresReachTheConsumer() {
        Dataset failing = new Numbered(20) {
            @Override
            public HostBatch gather(int[] indices, int from, int count) {
                if (from >= 8) {
                    throw new IllegalStateException("disk on fire at batch starting " + from);
                }
                return super.gather(indices, from, count);
            }
        };
        long before = prefetchThreads();
        for (boolean prefetch : new boolean[] {true, false}) {
            try (DataLoader.Epoch epoch = DataLoader.builder(failing, 4).prefetch(prefetch).build().epoch()) {
                epoch.nextHost();
                epoch.nextHost();
                IllegalStateException e = assertThrows(IllegalStateException.class, epoch::nextHost);
                assertEquals("disk on fire at batch starting 8", e.getMessage());
                assertFalse(epoch.hasNext(), "a failure ends the epoch, with prefetch " + prefetch + " or without");
            }
        }
        assertEquals(before, prefetchThreads());
    }

    @Test
    void aDataSetWhoseBatchesBreakItsOwnShapesIsNamed() {
        Dataset liar = new Numbered(6) {
            @Override
            public int[] exampleShape() {
                return new int[] {4};   // gather's features are [N, 2]
            }
        };
        for (boolean prefetch : new boolean[] {false, true}) {
            try (DataLoader.Epoch epoch = DataLoader.builder(liar, 4).prefetch(prefetch).build().epoch()) {
                String m = assertThrows(IllegalStateException.class, epoch::nextHost).getMessage();
                assertTrue(m.startsWith("DataLoader: ") && m.endsWith(".gather of 4 examples returned features [4, 2] and class labels [4] where "
                        + "its exampleShape(), featureDType(), labelShape() and labelDType() promise features [4, 4] and class labels [4]; fix the data set so "
                        + "that the two agree"), m);
            }
        }
    }

    @Test
    void badSettingsAreRejected() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(numbered(3), 0)).getMessage()
                .contains("batch size must be >= 1, got 0"));
        String m = assertThrows(IllegalArgumentException.class,
                () -> DataLoader.builder(numbered(3), 2).transform(new RandomHorizontalFlip()).build()).getMessage();
        assertTrue(m.contains("[C, H, W]") && m.contains("[2]") && m.contains("reshape"), m);
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(numbered(3), 2).prefetchDepth(0));
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(numbered(3), 2).build().order(-1));
    }

    @Test
    void epochIsItsOwnSingleUseIterable() {
        try (DataLoader.Epoch epoch = DataLoader.builder(numbered(4), 2).build().epoch()) {
            assertSame(epoch, epoch.iterator());
            assertEquals(2, epoch.batches());
            assertEquals(0, epoch.index());
        }
    }
}
