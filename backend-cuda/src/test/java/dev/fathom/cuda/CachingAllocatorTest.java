package dev.fathom.cuda;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Size classes, reuse across steps, counters and out-of-memory handling, against {@link FakeDriver}. */
class CachingAllocatorTest {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;

    private static CachingAllocator allocator(FakeDriver d) {
        return new CachingAllocator(d, new CudaCheck(d));
    }

    @Test
    void sizeClassesAre512BytesBelow1MiBAnd2MiBFromThere() {
        assertEquals(512, CachingAllocator.sizeClass(0));
        assertEquals(512, CachingAllocator.sizeClass(1));
        assertEquals(512, CachingAllocator.sizeClass(512));
        assertEquals(1024, CachingAllocator.sizeClass(513));
        assertEquals(MIB, CachingAllocator.sizeClass(MIB - 1));
        assertEquals(2 * MIB, CachingAllocator.sizeClass(MIB));
        assertEquals(2 * MIB, CachingAllocator.sizeClass(2 * MIB));
        assertEquals(4 * MIB, CachingAllocator.sizeClass(2 * MIB + 1));
        assertEquals(6 * MIB, CachingAllocator.sizeClass(5 * MIB));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CachingAllocator.sizeClass(-1));
        assertTrue(e.getMessage().contains("-1 bytes"), e.getMessage());
    }

    /**
     * One "training step" of an MLP 784-128-10 with batch 64 in F32: activations, gradients and a
     * temporary freed mid-step whose class is reused within the step.
     */
    private static void step(CachingAllocator a) {
        long x = a.allocate("linear", 64 * 128 * 4);        // 32768 B, class 32768
        long tmp = a.allocate("relu", 64 * 128 * 4);        // same class, a second block
        long logits = a.allocate("linear", 64 * 10 * 4);    // 2560 B, class 2560
        long big = a.allocate("matmul", 784 * 128 * 4 + 3); // 401411 B, class 401920
        a.free(tmp);
        long grad = a.allocate("relu_backward", 64 * 128 * 4 - 100); // class 32768: reuses tmp
        for (long p : new long[] {x, logits, big, grad}) {
            a.free(p);
        }
    }

    @Test
    void aSecondIdenticalStepCallsCuMemAllocZeroTimes() {
        FakeDriver d = new FakeDriver();
        CachingAllocator a = allocator(d);
        long peak = 32768 + 32768 + 2560 + 401920; // x, tmp, logits and big are live at once

        step(a);
        assertEquals(4, d.calls("cuMemAlloc"), "x, tmp, logits, big; grad reuses tmp's block");
        assertEquals(new CachingAllocator.Stats(0, peak, peak, 0, 5, 4, 0, 1), a.stats());

        step(a);
        assertEquals(4, d.calls("cuMemAlloc"), "the second step must be served from the cache alone");
        assertEquals(0, d.calls("cuMemFree"));
        assertEquals(new CachingAllocator.Stats(0, peak, peak, 0, 10, 4, 0, 6), a.stats());
        assertEquals(peak, d.usedBytes(), "the driver holds exactly the size-class bytes");
    }

    @Test
    void liveAndPeakCountSizeClassBytes() {
        CachingAllocator a = allocator(new FakeDriver());
        long p = a.allocate("add", 100);
        long q = a.allocate("add", 3 * MIB);
        assertEquals(512 + 4 * MIB, a.stats().liveBytes());
        assertEquals(2, a.stats().liveBlocks());
        a.free(q);
        assertEquals(512, a.stats().liveBytes());
        assertEquals(512 + 4 * MIB, a.stats().peakBytes());
        a.resetPeak();
        assertEquals(512, a.stats().peakBytes());
        assertNotEquals(p, q);
    }

    @Test
    void emptyCacheGivesEveryCachedBlockBackAfterSynchronizing() {
        FakeDriver d = new FakeDriver();
        CachingAllocator a = allocator(d);
        long keep = a.allocate("w", 4096);
        a.free(a.allocate("t", 4096));
        a.free(a.allocate("t", 3 * MIB));
        a.emptyCache();
        assertEquals(1, d.calls("cuCtxSynchronize"));
        assertEquals(2, d.calls("cuMemFree"));
        assertEquals(4096, d.usedBytes());
        assertEquals(new CachingAllocator.Stats(4096, 4096 + 4 * MIB, 0, 1, 3, 3, 2, 0), a.stats());
        a.free(keep);
    }

    @Test
    void outOfMemoryFreesTheCacheAndRetriesOnce() {
        FakeDriver d = new FakeDriver().capacity(8 * MIB);
        CachingAllocator a = allocator(d);
        a.free(a.allocate("conv2d", 6 * MIB)); // 6 MiB cached, 2 MiB left on the "GPU"
        long p = a.allocate("conv2d", 4 * MIB); // another class: OOM, empty cache, retry succeeds
        assertEquals(3, d.calls("cuMemAlloc"));
        assertEquals(1, d.calls("cuMemFree"));
        assertEquals(1, d.calls("cuCtxSynchronize"));
        assertEquals(new CachingAllocator.Stats(4 * MIB, 6 * MIB, 0, 1, 2, 2, 1, 0), a.stats());
        assertEquals(4 * MIB, d.usedBytes());
        a.free(p);
    }

    @Test
    void outOfMemoryTwiceThrowsNamingOpRequestAndUsage() {
        FakeDriver d = new FakeDriver().capacity(8 * MIB);
        CachingAllocator a = allocator(d);
        long held = a.allocate("weights", 6 * MIB);
        a.free(a.allocate("tmp", 1000)); // 1024 B cached
        CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class, () -> a.allocate("conv2d", 4 * MIB));
        assertInstanceOf(IllegalStateException.class, e);
        assertEquals("conv2d", e.op());
        assertEquals(4 * MIB, e.requestedBytes());
        assertEquals(2, e.status());
        String m = e.getMessage();
        assertTrue(m.startsWith("cuda: conv2d: out of GPU memory allocating 4194304 bytes (4.0 MiB size class)"), m);
        assertTrue(m.contains("6.0 MiB live in 1 blocks"), m);
        assertTrue(m.contains("1.0 KiB cached (freed and retried)"), m);
        assertTrue(m.contains("peak 6.0 MiB"), m);
        assertTrue(m.contains("the driver reports 2.0 MiB free of 8.0 MiB"), m);
        assertTrue(m.contains("smaller batch"), m);
        assertFalse(m.contains("\n"));
        // Two tries, the cache given back in between, nothing leaked by the failure.
        assertEquals(2 + 2, d.calls("cuMemAlloc"));
        assertEquals(1, d.calls("cuMemFree"));
        assertEquals(new CachingAllocator.Stats(6 * MIB, 6 * MIB + 1024, 0, 1, 2, 2, 1, 0), a.stats());
        a.free(held);
        // With room again, the same request succeeds.
        a.free(a.allocate("conv2d", 4 * MIB));
    }

    @Test
    void otherDriverErrorsAreNotRetriedAndNameTheOp() {
        FakeDriver d = new FakeDriver().forceAllocStatus(201);
        CachingAllocator a = allocator(d);
        CudaException e = assertThrows(CudaException.class, () -> a.allocate("embedding", 1000));
        assertFalse(e instanceof CudaOutOfMemoryException);
        assertEquals("cuda: embedding: cuMemAlloc 1000 bytes (size class 1024) failed: CUDA_ERROR_INVALID_CONTEXT (201): "
                + "invalid device context", e.getMessage());
        assertEquals(1, d.calls("cuMemAlloc"));
        assertEquals(new CachingAllocator.Stats(0, 0, 0, 0, 0, 0, 0, 0), a.stats());
    }

    @Test
    void freeingAnUnknownOrFreedBlockIsRejected() {
        CachingAllocator a = allocator(new FakeDriver());
        long p = a.allocate("x", 10);
        a.free(p);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.free(p));
        assertTrue(e.getMessage().contains("0x" + Long.toHexString(p)) && e.getMessage().contains("freed twice"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.allocate("x", -5));
    }

    @Test
    void closeFreesTheCacheAndLateFreesGoToTheDriver() {
        FakeDriver d = new FakeDriver();
        CachingAllocator a = allocator(d);
        long live = a.allocate("w", 2048);
        a.free(a.allocate("t", 512));
        a.close();
        assertEquals(2048, d.usedBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.allocate("add", 4));
        assertTrue(e.getMessage().contains("add after close()"), e.getMessage());
        a.free(live);
        assertEquals(0, d.usedBytes());
        assertEquals(2, d.calls("cuMemFree"));
    }

    @Test
    void concurrentAllocateAndFreeKeepTheCountersConsistent() throws Exception {
        FakeDriver d = new FakeDriver();
        CachingAllocator a = allocator(d);
        int threads = 4;
        int rounds = 2000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < rounds; i++) {
                        a.free(a.allocate("add", 4096));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        CachingAllocator.Stats s = a.stats();
        assertEquals(0, s.liveBytes());
        assertEquals(threads * rounds, s.allocations());
        // Each thread holds at most one block at a time, so at most `threads` blocks ever exist.
        assertTrue(s.driverAllocs() >= 1 && s.driverAllocs() <= threads, s.toString());
        assertEquals(threads * rounds - s.driverAllocs(), s.cacheHits());
        assertEquals(s.driverAllocs() * 4096, s.cachedBytes());
        assertEquals(d.calls("cuMemAlloc"), s.driverAllocs());
    }
}
