package dev.fathom.cpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link Parallel#forRange}: every index exactly once in aligned chunks, small loops on the
 * caller, a chunk's exception rethrown to the caller with the pool still usable after it, nested
 * loops and loops from several application threads at once, and more than one thread at work
 * when the machine has more than one.
 */
class ParallelTest {
    @ParameterizedTest
    @CsvSource({"1000, 10, 8", "1000, 1, 1", "37, 1, 1", "64, 32, 1", "100000, 7, 16", "9, 4, 3"})
    void everyIndexRunsExactlyOnceInAlignedChunks(long n, long grain, long align) {
        AtomicIntegerArray seen = new AtomicIntegerArray((int) n);
        Parallel.forRange(n, grain, align, (lo, hi) -> {
            assertEquals(0, lo % align, "chunk start " + lo);
            assertTrue(hi == n || hi % align == 0, "chunk end " + hi);
            for (long i = lo; i < hi; i++) {
                seen.incrementAndGet((int) i);
            }
        });
        for (int i = 0; i < n; i++) {
            assertEquals(1, seen.get(i), "index " + i);
        }
    }

    @Test
    void loopsBelowTwoGrainsRunOnTheCaller() {
        Thread caller = Thread.currentThread();
        Parallel.forRange(15, 8, (lo, hi) -> {
            assertSame(caller, Thread.currentThread());
            assertEquals(0, lo);
            assertEquals(15, hi);
        });
    }

    @Test
    void aChunksExceptionReachesTheCallerAndThePoolStaysUsable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Parallel.forRange(64, 1, (lo, hi) -> {
            if (lo <= 40 && 40 < hi) {
                throw new IllegalArgumentException("chunk with index 40");
            }
        }));
        assertEquals("chunk with index 40", e.getMessage());
        everyIndexRunsExactlyOnceInAlignedChunks(5000, 1, 1);
    }

    @Test
    void anErrorFromAChunkIsRethrownAsIs() {
        Error e = assertThrows(AssertionError.class, () -> Parallel.forRange(64, 1, (lo, hi) -> {
            throw new AssertionError("from a chunk");
        }));
        assertEquals("from a chunk", e.getMessage());
    }

    @Test
    void nestedLoopsRunInsideTheirChunk() {
        AtomicIntegerArray seen = new AtomicIntegerArray(64 * 64);
        Parallel.forRange(64, 1, (lo, hi) -> {
            Thread outer = Thread.currentThread();
            for (long i = lo; i < hi; i++) {
                long row = i;
                Parallel.forRange(64, 1, (lo2, hi2) -> {
                    assertSame(outer, Thread.currentThread());
                    for (long j = lo2; j < hi2; j++) {
                        seen.incrementAndGet((int) (row * 64 + j));
                    }
                });
            }
        });
        for (int i = 0; i < 64 * 64; i++) {
            assertEquals(1, seen.get(i), "index " + i);
        }
    }

    @Test
    void loopsFromSeveralApplicationThreadsAllComplete() throws InterruptedException {
        int callers = 4, loops = 300, n = 512;
        long[][] sums = new long[callers][loops];
        Thread[] threads = new Thread[callers];
        for (int t = 0; t < callers; t++) {
            int caller = t;
            threads[t] = new Thread(() -> {
                for (int l = 0; l < loops; l++) {
                    long[] parts = new long[n];
                    Parallel.forRange(n, 8, (lo, hi) -> {
                        for (long i = lo; i < hi; i++) {
                            parts[(int) i] = i * (caller + 1);
                        }
                    });
                    long s = 0;
                    for (long p : parts) {
                        s += p;
                    }
                    sums[caller][l] = s;
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join(60_000);
        }
        for (int t = 0; t < callers; t++) {
            for (int l = 0; l < loops; l++) {
                assertEquals((long) n * (n - 1) / 2 * (t + 1), sums[t][l], "caller " + t + " loop " + l);
            }
        }
    }

    @Test
    void workersTakeChunksWhenThereIsMoreThanOneThread() {
        assumeTrue(Parallel.THREADS > 1, "one thread configured: nothing runs in parallel");
        Set<Thread> workers = ConcurrentHashMap.newKeySet();
        CountDownLatch second = new CountDownLatch(1);
        // Each chunk waits (at most 5 s, for a loaded machine) until a second thread has joined: the
        // caller holds its first chunk until a worker, parked or not, claims another.
        Parallel.forRange(8, 1, (lo, hi) -> {
            workers.add(Thread.currentThread());
            if (workers.size() > 1) {
                second.countDown();
            }
            try {
                second.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(workers.size() > 1, "only " + workers + " ran chunks");
    }
}
