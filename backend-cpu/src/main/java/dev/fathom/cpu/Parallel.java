package dev.fathom.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one shared {@link ForkJoinPool} of the CPU backend, and the rule for when to use it: work
 * below a grain size stays on the calling thread, so small ops never pay for a hand-off.
 *
 * <p>Threads: {@code -Dfathom.threads}, else {@code FATHOM_THREADS}, else the machine's cores.
 */
final class Parallel {
    /** Body of a parallel loop over the index range {@code [lo, hi)}. */
    @FunctionalInterface
    interface Range {
        void run(long lo, long hi);
    }

    static final int THREADS = threads();
    /**
     * Numbers the workers' names: a new worker's pool index is not assigned until it registers, so
     * every worker was named fathom-cpu-0 (one thread in JFR and thread dumps).
     */
    private static final AtomicInteger WORKERS = new AtomicInteger();
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS, pool -> {
        var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setName("fathom-cpu-" + WORKERS.getAndIncrement());
        t.setDaemon(true);
        return t;
    }, null, false) : null;

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
     * Runs {@code body} over {@code [0, n)}: on the calling thread when {@code n < 2·grain} (or with
     * one thread), else in up to 4 chunks per thread of at least {@code grain}. Chunk bounds are
     * multiples of {@code align}.
     */
    static void forRange(long n, long grain, long align, Range body) {
        if (n <= 0) {
            return;
        }
        if (POOL == null || n < 2 * grain || ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == POOL) {
            body.run(0, n);
            return;
        }
        long chunks = Math.min(4L * THREADS, n / grain);
        long size = (n + chunks - 1) / chunks;
        size = (size + align - 1) / align * align;
        List<RecursiveAction> tasks = new ArrayList<>();
        for (long lo = 0; lo < n; lo += size) {
            long a = lo, b = Math.min(n, lo + size);
            tasks.add(new RecursiveAction() {
                @Override
                protected void compute() {
                    body.run(a, b);
                }
            });
        }
        POOL.invoke(new RecursiveAction() {
            @Override
            protected void compute() {
                invokeAll(tasks);
            }
        });
    }

    static void forRange(long n, long grain, Range body) {
        forRange(n, grain, 1, body);
    }
}
