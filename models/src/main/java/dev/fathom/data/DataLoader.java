package dev.fathom.data;

import dev.fathom.tensor.DType;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Cuts a {@link Dataset} into batches, epoch after epoch (PyTorch's {@code DataLoader}): batch
 * size, seeded shuffle, drop-last, an optional {@link Transform}, and a background thread that
 * builds the next batches' host arrays while the current step runs.
 *
 * <pre>{@code
 * DataLoader loader = DataLoader.builder(train, 128).shuffle(true).seed(0).build();
 * for (int e = 0; e < epochs; e++) {
 *     try (DataLoader.Epoch epoch = loader.epoch()) {      // closing stops the prefetch thread
 *         while (epoch.hasNext()) {
 *             try (Scope s = Scope.open()) {
 *                 Batch b = epoch.next();                 // made inside the scope: closed with it
 *                 ... b.x() ... b.y() ...
 *             }
 *         }
 *     }
 * }
 * }</pre>
 *
 * With for-each the batch is made before the loop body opens its scope, so close it too:
 * {@code for (Batch b : epoch) { try (b; Scope s = Scope.open()) { ... } }}.
 *
 * <p><b>Order.</b> Epoch {@code e} (counting from 0) uses the {@code e}-th Fisher–Yates permutation
 * of one {@link SplitMix64} stream seeded with {@link #seed()}, each permutation starting from
 * {@code 0..n-1} and taking {@code n-1} draws: exactly the order of the PyTorch peers
 * ({@code mlp_fmnist.py}, {@code peerlib.SplitMix64.permutation}), so both sides see the same batches.
 * Without shuffle every epoch is {@code 0..n-1}. {@link #order(int)} depends only on the seed and
 * the epoch, so a resumed run can start at any epoch.
 *
 * <p><b>Threads and memory.</b> Prefetching builds {@link HostBatch}es (plain arrays) on one daemon
 * thread, at most {@link Builder#prefetchDepth} ahead; the tensors are made by the thread that calls
 * {@link Epoch#next()}, inside its current {@link dev.fathom.tensor.Scope}. The thread ends when the
 * last batch is handed out or when the {@link Epoch} is closed; iterate inside try-with-resources so
 * that leaving the loop early stops it. Results are identical with and without prefetching.
 *
 * <p>A loader is used by one thread at a time.
 */
public final class DataLoader {
    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final boolean prefetch;
    private final int prefetchDepth;
    private final Transform transform;
    private int nextEpoch;
    private static final AtomicInteger THREADS = new AtomicInteger();

    private DataLoader(Builder b) {
        this.dataset = b.dataset;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.dropLast = b.dropLast;
        this.prefetch = b.prefetch;
        this.prefetchDepth = b.prefetchDepth;
        this.transform = b.transform;
    }

    /** A builder for a loader over {@code dataset} with batches of {@code batchSize}; everything else has PyTorch's defaults. */
    public static Builder builder(Dataset dataset, int batchSize) {
        return new Builder(dataset, batchSize);
    }

    /** The settings of a {@link DataLoader}; defaults: no shuffle, seed 0, keep the last partial batch, prefetch 2 batches, no transform. */
    public static final class Builder {
        private final Dataset dataset;
        private final int batchSize;
        private boolean shuffle;
        private long seed;
        private boolean dropLast;
        private boolean prefetch = true;
        private int prefetchDepth = 2;
        private Transform transform;

        private Builder(Dataset dataset, int batchSize) {
            this.dataset = Objects.requireNonNull(dataset, "DataLoader: dataset is null");
            if (batchSize < 1) {
                throw new IllegalArgumentException("DataLoader: batch size must be >= 1, got " + batchSize);
            }
            this.batchSize = batchSize;
        }

        /** Shuffle every epoch (SplitMix64 Fisher–Yates from {@link #seed}). */
        public Builder shuffle(boolean on) {
            this.shuffle = on;
            return this;
        }

        /** The seed of the shuffle and of the transforms' random streams. */
        public Builder seed(long value) {
            this.seed = value;
            return this;
        }

        /** Drop the last batch of an epoch when it is smaller than the batch size. */
        public Builder dropLast(boolean on) {
            this.dropLast = on;
            return this;
        }

        /** Build batches on a background thread (default on). */
        public Builder prefetch(boolean on) {
            this.prefetch = on;
            return this;
        }

        /** How many batches the background thread may have ready (default 2). */
        public Builder prefetchDepth(int batches) {
            if (batches < 1) {
                throw new IllegalArgumentException("DataLoader: prefetch depth must be >= 1, got " + batches);
            }
            this.prefetchDepth = batches;
            return this;
        }

        /** Applied to every batch's features, which must be images {@code [N, C, H, W]}. */
        public Builder transform(Transform t) {
            this.transform = t;
            return this;
        }

        public DataLoader build() {
            if (transform != null && dataset.featureDType() != DType.F32) {
                throw new IllegalArgumentException("DataLoader: transforms work on F32 images, but the examples are " + dataset.featureDType()
                        + " ids of shape " + Arrays.toString(dataset.exampleShape()) + "; leave the transform out");
            }
            if (transform != null && dataset.exampleShape().length != 3) {
                throw new IllegalArgumentException("DataLoader: transforms work on images [C, H, W], but the examples have shape "
                        + Arrays.toString(dataset.exampleShape()) + "; reshape the data set first, e.g. dataset.reshape(1, 28, 28)");
            }
            return new DataLoader(this);
        }
    }

    public Dataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    public long seed() {
        return seed;
    }

    /** Whether a last batch smaller than {@link #batchSize()} is left out. */
    public boolean dropLast() {
        return dropLast;
    }

    /** The number of batches in every epoch. */
    public int batchesPerEpoch() {
        int n = dataset.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** The index order of epoch {@code epoch} (from 0): a SplitMix64 permutation when shuffling, else {@code 0..n-1}. */
    public int[] order(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("DataLoader.order: epoch must be >= 0, got " + epoch);
        }
        int n = dataset.size();
        if (!shuffle) {
            int[] order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            return order;
        }
        // Each permutation takes n-1 draws, so epoch e starts e*(n-1) draws into the stream.
        return new SplitMix64(seed).skip((long) epoch * Math.max(n - 1, 0)).permutation(n);
    }

    /** The epoch that {@link #epoch()} starts next (0 for a new loader); store it in a checkpoint. */
    public int nextEpoch() {
        return nextEpoch;
    }

    /** Starts the next epoch: the first call gives epoch 0, the next epoch 1, and so on. */
    public Epoch epoch() {
        return epoch(nextEpoch);
    }

    /** Starts epoch {@code epoch} (from 0), e.g. when resuming; later {@link #epoch()} calls continue after it. */
    public Epoch epoch(int epoch) {
        return epoch(epoch, 0);
    }

    /**
     * Starts epoch {@code epoch} (from 0) at its batch {@code firstBatch}, as a run resumed partway
     * into an epoch needs: the batches are the ones a whole epoch would have handed out from there,
     * transforms included. Later {@link #epoch()} calls continue after it.
     */
    public Epoch epoch(int epoch, int firstBatch) {
        int batches = batchesPerEpoch();
        if (firstBatch < 0 || firstBatch > batches) {
            throw new IllegalArgumentException("DataLoader.epoch: firstBatch must be in [0, " + batches + "] (the batches of an epoch), got "
                    + firstBatch);
        }
        int[] order = order(epoch);
        nextEpoch = epoch + 1;
        return new Epoch(this, epoch, order, firstBatch);
    }

    /** Builds batch {@code index} of an epoch in host memory; runs on the prefetch thread or the caller's. */
    HostBatch build(int epoch, int[] order, int index) {
        int from = index * batchSize;
        int count = Math.min(batchSize, order.length - from);
        HostBatch batch = requireContract(dataset.gather(order, from, count), count);
        if (transform == null) {
            return batch;
        }
        Transform.Images out = transform.apply(Transform.Images.of(batch.features(), batch.shape()),
                new SplittableRandom(transformSeed(epoch, index)));
        return batch.withFeatures(out.data(), out.shape());
    }

    /**
     * {@code batch} when it is what {@link Dataset} promises: {@code count} examples of
     * {@code exampleShape()} and {@code featureDType()}, and labels of {@code labelShape()} and {@code labelDType()}; a data set
     * that breaks it would otherwise fail later, in whichever layer first meets the wrong shape.
     */
    private HostBatch requireContract(HostBatch batch, int count) {
        int[] features = HostBatch.prepend(count, dataset.exampleShape()), labels = HostBatch.prepend(count, dataset.labelShape());
        boolean classes = dataset.labelDType() == DType.I64;
        DType kind = dataset.featureDType();
        if (batch == null || !Arrays.equals(batch.shape(), features) || !Arrays.equals(batch.targetShape(), labels)
                || (batch.classes() != null) != classes || batch.featureDType() != kind) {
            String name = dataset.getClass().getSimpleName().isEmpty() ? dataset.getClass().getName() : dataset.getClass().getSimpleName();
            throw new IllegalStateException("DataLoader: " + name + ".gather of " + count + " examples returned "
                    + (batch == null ? "null" : describe(batch.featureDType(), batch.shape(), batch.classes() != null, batch.targetShape()))
                    + " where its exampleShape(), featureDType(), labelShape() and labelDType() promise " + describe(kind, features, classes, labels)
                    + "; fix the data set so that the two agree");
        }
        return batch;
    }

    /** {@code "features [4, 2] and class labels [4]"}, the dtype before "features" when it is not F32. */
    private static String describe(DType features, int[] shape, boolean classes, int[] labelShape) {
        return (features == DType.F32 ? "" : features + " ") + "features " + Arrays.toString(shape) + " and " + (classes ? "class" : "F32")
                + " labels " + Arrays.toString(labelShape);
    }


    /** A seed per (loader seed, epoch, batch), so transforms do not depend on which thread runs them, or when. */
    private long transformSeed(int epoch, int index) {
        return SplitMix64.mix(SplitMix64.mix(seed ^ 0x7472616e73666f72L) + ((long) epoch << 32 | index));
    }

    boolean prefetch() {
        return prefetch;
    }

    int prefetchDepth() {
        return prefetchDepth;
    }

    @Override
    public String toString() {
        return "DataLoader[" + dataset.size() + " examples, batch " + batchSize + ", shuffle " + shuffle + ", seed " + seed + ", dropLast "
                + dropLast + ", prefetch " + (prefetch ? prefetchDepth : 0) + ", transform " + transform + "]";
    }

    /**
     * One pass over the data: an iterator of batches (single use) that owns the prefetch thread.
     * Close it (try-with-resources) to stop the thread when leaving the loop early; after the last
     * batch the thread has already ended.
     */
    public static final class Epoch implements Iterator<Batch>, Iterable<Batch>, AutoCloseable {
        /** What the prefetch thread hands over when building a batch failed. */
        private record Failure(Throwable error) {
        }

        private final DataLoader loader;
        private final int epoch;
        private final int[] order;
        private final int batches;
        private final int firstBatch;
        private final BlockingQueue<Object> ready;
        private final Thread producer;
        private volatile boolean stopped;
        private int delivered;
        private boolean closed;

        private Epoch(DataLoader loader, int epoch, int[] order, int firstBatch) {
            this.loader = loader;
            this.epoch = epoch;
            this.order = order;
            this.batches = loader.batchesPerEpoch();
            this.firstBatch = firstBatch;
            this.delivered = firstBatch;
            if (loader.prefetch && firstBatch < batches) {
                ready = new ArrayBlockingQueue<>(loader.prefetchDepth);
                producer = Thread.ofPlatform().daemon().name("fathom-data-prefetch-" + THREADS.incrementAndGet()).unstarted(this::produce);
                producer.start();
            } else {
                ready = null;
                producer = null;
            }
        }

        private void produce() {
            try {
                for (int b = firstBatch; b < batches && !stopped; b++) {
                    ready.put(loader.build(epoch, order, b));
                }
            } catch (InterruptedException e) {
                // close() asked us to stop.
            } catch (Throwable t) {
                try {
                    ready.put(new Failure(t));
                } catch (InterruptedException e) {
                    // closed meanwhile: nobody is waiting for the failure.
                }
            }
        }

        /** The epoch number (from 0). */
        public int index() {
            return epoch;
        }

        /** The number of batches in this epoch. */
        public int batches() {
            return batches;
        }

        @Override
        public Iterator<Batch> iterator() {
            return this;
        }

        @Override
        public boolean hasNext() {
            return !closed && delivered < batches;
        }

        /** The next batch as tensors, created on this thread in its current scope. */
        @Override
        public Batch next() {
            return nextHost().toTensors();
        }

        /** The next batch in host memory (no tensors). */
        public HostBatch nextHost() {
            if (delivered >= batches) {
                throw new NoSuchElementException("DataLoader.Epoch: all " + batches + " batches of epoch " + epoch + " were handed out");
            }
            if (closed) {
                throw new IllegalStateException("DataLoader.Epoch: used after close(); start a new epoch with loader.epoch()");
            }
            HostBatch batch = producer == null ? buildHere() : take();
            delivered++;
            if (delivered == batches) {
                close();
            }
            return batch;
        }

        /** Builds the next batch on this thread; a failure ends the epoch, as it does with prefetch. */
        private HostBatch buildHere() {
            try {
                return loader.build(epoch, order, delivered);
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        private HostBatch take() {
            Object item;
            try {
                item = ready.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException("DataLoader.Epoch: interrupted while waiting for batch " + delivered + " of epoch " + epoch, e);
            }
            if (item instanceof Failure(Throwable error)) {
                close();
                if (error instanceof RuntimeException r) {
                    throw r;
                }
                if (error instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException("DataLoader: building batch " + delivered + " of epoch " + epoch + " failed", error);
            }
            return (HostBatch) item;
        }

        /** Stops and joins the prefetch thread; idempotent. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            stopped = true;
            if (producer == null) {
                return;
            }
            producer.interrupt();
            boolean interrupted = false;
            while (producer.isAlive()) {
                try {
                    producer.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            ready.clear();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
