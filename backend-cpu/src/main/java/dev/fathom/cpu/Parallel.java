package dev.fathom.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's worker threads, and the rule for when to use them: work below a grain size
 * stays on the calling thread, so small ops never pay for a hand-off.
 *
 * <p>A parallel loop is cut into chunks that the calling thread and the workers claim from one
 * counter; the caller works too, and returns when every claimed chunk is done. Workers that have
 * just finished spin for {@link #SPIN_NANOS} before they park, so the next op of a training step
 * finds them awake. A {@code ForkJoinPool} cost 11 µs per loop back to back and 50 µs after a
 * millisecond's pause (parked workers woken one by one, then the blocked caller), which made
 * two threads slower than one for products up to 128 × 784 · 784 × 256 (41 against 63 GFLOP/s).
 * A worker still asleep when a loop starts does not hold it up: the caller claims its chunks.
 *
 * <p>One loop runs at a time: a loop started while another runs (nested in a chunk, or from a
 * second application thread) runs on its own thread, serially. Threads: {@code -Dfathom.threads},
 * else {@code FATHOM_THREADS}, else the machine's cores; the caller counts as one.
 */
final class Parallel {
    /** Body of a parallel loop over the index range {@code [lo, hi)}. */
    @FunctionalInterface
    interface Range {
        void run(long lo, long hi);
    }

    static final int THREADS = threads();
    /**
     * More threads than cores: spinning would then take the core from the thread it waits for, so
     * workers park at once and the caller yields while it waits.
     */
    private static final boolean OVERSUBSCRIBED = THREADS > Runtime.getRuntime().availableProcessors();
    /**
     * How long a worker spins after its last chunk before parking. The gaps between the parallel
     * ops of a training step are mostly serial ops of tens of microseconds; a parked worker takes
     * 20–50 µs to wake on a virtual machine.
     */
    private static final long SPIN_NANOS = OVERSUBSCRIBED ? 0 : 200_000;
    /** How many times the caller spins on unfinished chunks before it yields instead. */
    private static final int AWAIT_SPINS = OVERSUBSCRIBED ? 0 : 1 << 16;
    /** Held by the thread whose loop runs on the workers. */
    private static final AtomicBoolean BUSY = new AtomicBoolean();
    /** The loop the workers should join; null between loops, so no worker keeps a body's arrays reachable. */
    private static volatile Job current;
    /** Started by the first parallel loop, under {@link #BUSY}. */
    private static Worker[] workers;
    private static long jobs;

    private Parallel() {
    }

    private static int threads() {
        String s = System.getProperty("fathom.threads");
        if (s == null || s.isBlank()) {
            s = System.getenv("FATHOM_THREADS");
        }
        if (s != null && !s.isBlank()) {
            try {
                int n = Integer.parseInt(s.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the default, as for an unset value
            }
            throw new IllegalArgumentException("fathom.threads / FATHOM_THREADS must be a positive integer, got \"" + s + "\"");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Runs {@code body} over {@code [0, n)}: on the calling thread when {@code n < 2·grain}, with
     * one thread, or while another loop runs; else in up to 4 chunks per thread of at least
     * {@code grain}. Chunk bounds are multiples of {@code align}. The first exception a chunk throws
     * is rethrown here once all claimed chunks are done; chunks not yet started are then skipped.
     */
    static void forRange(long n, long grain, long align, Range body) {
        if (n <= 0) {
            return;
        }
        if (THREADS == 1 || n < 2 * grain || !BUSY.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            long chunks = Math.min(4L * THREADS, n / grain);
            long size = (n + chunks - 1) / chunks;
            size = (size + align - 1) / align * align;
            Job job = new Job(++jobs, body, n, size);
            if (workers == null) {
                workers = startWorkers();
            }
            current = job;
            for (Worker w : workers) {
                if (w.parked) {
                    LockSupport.unpark(w);
                }
            }
            job.work();
            job.awaitDone();
            job.rethrow();
        } finally {
            current = null;
            BUSY.set(false);
        }
    }

    static void forRange(long n, long grain, Range body) {
        forRange(n, grain, 1, body);
    }

    private static Worker[] startWorkers() {
        Worker[] ws = new Worker[THREADS - 1];
        for (int i = 0; i < ws.length; i++) {
            ws[i] = new Worker(i + 1);
            ws[i].start();
        }
        return ws;
    }

    /** One parallel loop: its chunks, claimed in order by whichever thread comes first. */
    private static final class Job {
        final long id;
        final Range body;
        final long n, size;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger remaining;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(long id, Range body, long n, long size) {
            this.id = id;
            this.body = body;
            this.n = n;
            this.size = size;
            this.chunks = (int) ((n + size - 1) / size);
            this.remaining = new AtomicInteger(chunks);
        }

        /** Claims and runs chunks until none is left. */
        void work() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    if (failure.get() == null) {
                        long lo = c * size;
                        body.run(lo, Math.min(n, lo + size));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    remaining.decrementAndGet();
                }
            }
        }

        /** Waits for the chunks other threads claimed: at most one chunk's time, so it spins. */
        void awaitDone() {
            for (int spins = 0; remaining.get() > 0; spins++) {
                if (spins < AWAIT_SPINS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }

        void rethrow() {
            Throwable t = failure.get();
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException("cpu: a parallel chunk failed", t);
            }
        }
    }

    /** A daemon thread that joins every loop it sees, spins a while after each, then parks. */
    private static final class Worker extends Thread {
        volatile boolean parked;

        Worker(int index) {
            super("fathom-cpu-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0, idleSince = System.nanoTime();
            while (true) {
                Job job = current;
                if (job != null && job.id != seen) {
                    seen = job.id;
                    job.work();
                    idleSince = System.nanoTime();
                    continue;
                }
                if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                // Dekker with forRange: it publishes current then reads parked; we set parked then
                // read current. One of the two sees the other's write, so no loop is missed.
                parked = true;
                job = current;
                if (job == null || job.id == seen) {
                    LockSupport.park(this);
                    Thread.interrupted();
                }
                parked = false;
                idleSince = System.nanoTime();
            }
        }
    }
}
