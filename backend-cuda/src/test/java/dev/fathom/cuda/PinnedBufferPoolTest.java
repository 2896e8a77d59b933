package dev.fathom.cuda;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pinned transfer buffers: reuse by size class, fallback when pinning fails, against {@link FakeDriver}. */
class PinnedBufferPoolTest {

    @Test
    void buffersArePinnedOnceAndReusedByClass() {
        FakeDriver d = new FakeDriver();
        PinnedBufferPool pool = new PinnedBufferPool(d, new CudaCheck(d));
        for (int step = 0; step < 3; step++) {
            ByteBuffer a = pool.acquire("toFloatArray", 400);
            ByteBuffer b = pool.acquire("toFloatArray", 300);
            assertEquals(400, a.remaining());
            assertEquals(300, b.remaining());
            assertTrue(a.isDirect());
            assertEquals(ByteOrder.LITTLE_ENDIAN, a.order());
            pool.release(a);
            pool.release(b);
        }
        assertEquals(2, d.calls("cuMemAllocHost"), "two 512 B buffers, pinned in the first step only");
        assertEquals(new PinnedBufferPool.Stats(0, 1024, 2, 4, 0), pool.stats());
        assertEquals(1024, d.pinnedBytes());
        pool.close();
        assertEquals(0, d.pinnedBytes());
        assertThrows(IllegalStateException.class, () -> pool.acquire("item", 4));
    }

    @Test
    void aPinnedBufferCarriesATransferBothWays() {
        FakeDriver d = new FakeDriver();
        CudaCheck check = new CudaCheck(d);
        PinnedBufferPool pool = new PinnedBufferPool(d, check);
        ComputeStream s = new ComputeStream(d, check);
        CachingAllocator a = new CachingAllocator(d, check);
        long p = a.allocate("tensor", 12);
        ByteBuffer up = pool.acquire("tensor", 12);
        up.asFloatBuffer().put(new float[] {1.5f, -2f, 3.25f});
        s.copyToDevice("tensor", p, up);
        ByteBuffer down = pool.acquire("toFloatArray", 12);
        s.copyToHost("toFloatArray", down, p);
        float[] back = new float[3];
        down.asFloatBuffer().get(back);
        assertArrayEquals(new float[] {1.5f, -2f, 3.25f}, back);
        pool.release(up);
        pool.release(down);
    }

    @Test
    void whenPinningFailsTheCacheIsFreedThenAnUnpinnedBufferServes() {
        FakeDriver d = new FakeDriver().pinnedCapacity(4096);
        PinnedBufferPool pool = new PinnedBufferPool(d, new CudaCheck(d));
        pool.release(pool.acquire("x", 3000)); // 3072 B cached
        ByteBuffer big = pool.acquire("y", 2000); // class 2048: no room until the cache is unpinned
        assertEquals(1, d.calls("cuMemFreeHost"));
        assertEquals(new PinnedBufferPool.Stats(2048, 0, 2, 0, 0), pool.stats());
        ByteBuffer fallback = pool.acquire("z", 4000); // 2048 + 4096 > 4096, even with an empty cache
        assertEquals(4000, fallback.remaining());
        assertTrue(fallback.isDirect());
        assertEquals(new PinnedBufferPool.Stats(2048, 0, 2, 0, 1), pool.stats());
        pool.release(fallback);
        pool.release(big);
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> pool.release(big));
        assertTrue(twice.getMessage().contains("released twice"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> pool.acquire("huge", 1L << 32));
    }

    @Test
    void aBufferReleasedAfterCloseIsUnpinnedAtOnce() {
        FakeDriver d = new FakeDriver();
        PinnedBufferPool pool = new PinnedBufferPool(d, new CudaCheck(d));
        ByteBuffer out = pool.acquire("x", 10);
        pool.close();
        assertEquals(512, d.pinnedBytes());
        pool.release(out);
        assertEquals(0, d.pinnedBytes());
    }

    @Test
    void theCacheKeepsAtMostItsCapAndUnpinsWhatIsReleasedBeyondIt() {
        FakeDriver d = new FakeDriver();
        PinnedBufferPool pool = new PinnedBufferPool(d, new CudaCheck(d), 5L << 20);
        ByteBuffer a = pool.acquire("x", 2L << 20), b = pool.acquire("x", 2L << 20), c = pool.acquire("x", 2L << 20);
        pool.release(a);
        pool.release(b);
        pool.release(c); // 4 MiB cached: a third 2 MiB would pass the 5 MiB cap
        assertEquals(new PinnedBufferPool.Stats(0, 4L << 20, 3, 0, 0), pool.stats());
        assertEquals(4L << 20, d.pinnedBytes());
        assertEquals(1, d.calls("cuMemFreeHost"));
        assertEquals(256L << 20, PinnedBufferPool.MAX_CACHED_BYTES);
        // The largest buffer is the largest size class a ByteBuffer can view; beyond it the driver is not asked.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool.acquire("y", Integer.MAX_VALUE));
        assertTrue(e.getMessage().contains("0..2145386496 bytes"), e.getMessage());
        assertEquals(3, d.calls("cuMemAllocHost"));
        pool.close();
        assertEquals(0, d.pinnedBytes());
    }
}
