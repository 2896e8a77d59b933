package dev.fathom.cpu;

import dev.fathom.spi.Buffer;
import dev.fathom.spi.MemoryStats;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BufferPoolTest {

    @Test
    void thePoolSizeSettingIsACountOfBytesOrRefused() {
        String before = System.getProperty("fathom.cpu.poolBytes");
        try {
            System.setProperty("fathom.cpu.poolBytes", "0");
            assertEquals(0, BufferPool.configuredLimit());
            System.setProperty("fathom.cpu.poolBytes", " 4096 ");
            assertEquals(4096, BufferPool.configuredLimit());
            for (String bad : new String[] {"abc", "-5", "1e9"}) {
                System.setProperty("fathom.cpu.poolBytes", bad);
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, BufferPool::configuredLimit);
                assertEquals("fathom.cpu.poolBytes must be a number of bytes >= 0 (0 keeps no freed buffers), got \"" + bad + "\"", e.getMessage());
                // The backend is then unavailable, with that message as the reason (a new instance probes again).
                assertEquals(e.getMessage(), new CpuBackend().availability().reason());
            }
            System.clearProperty("fathom.cpu.poolBytes");
            assertEquals(Math.min(Runtime.getRuntime().maxMemory() / 4, 2L << 30), BufferPool.configuredLimit(), "unset: a quarter of the heap");
        } finally {
            if (before == null) {
                System.clearProperty("fathom.cpu.poolBytes");
            } else {
                System.setProperty("fathom.cpu.poolBytes", before);
            }
        }
    }

    @Test
    void sizeClassesHaveAtMostAQuarterOfSlack() {
        assertEquals(64, BufferPool.sizeClass(1));
        assertEquals(64, BufferPool.sizeClass(64));
        assertEquals(80, BufferPool.sizeClass(65));
        assertEquals(96, BufferPool.sizeClass(81));
        assertEquals(128, BufferPool.sizeClass(128));
        assertEquals(160, BufferPool.sizeClass(129));
        for (long n = 65; n < 100_000; n += 97) {
            long c = BufferPool.sizeClass(n);
            assertTrue(c >= n && c <= n * 1.25 + 1, n + " -> " + c);
        }
    }

    @Test
    void aFreedBufferIsReusedForTheSameClassAndCounted() {
        CpuKernels k = new CpuKernels();
        Buffer a = k.allocate(DType.F32, 1000);
        k.free(a);
        Buffer b = k.allocate(DType.F32, 990);   // same class as 1000
        assertSame(a, b);
        Buffer c = k.allocate(DType.F64, 1000);   // another dtype: a new array
        MemoryStats s = k.memoryStats();
        assertEquals(2, s.liveBuffers());
        assertEquals(3, s.allocations());
        assertEquals(1, s.cacheHits());
        k.free(b);
        k.free(c);
        assertEquals(0, k.memoryStats().liveBuffers());
        assertEquals(0, k.memoryStats().liveBytes());
    }
}
