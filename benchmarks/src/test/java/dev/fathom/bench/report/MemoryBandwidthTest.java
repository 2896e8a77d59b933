package dev.fathom.bench.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryBandwidthTest {

    @Test
    void rooflineIsTheBestOfTheThreeKernels() {
        assertEquals(25, new MemoryBandwidth(20, 22, 25, 2, 256, 6).bestGBps());
        assertEquals(22, new MemoryBandwidth(20, 22, 15, 2, 256, 6).bestGBps());
        assertEquals("measured: best of 6 passes over 256 MiB float[]s with 2 thread(s): copy 20.0 GB/s (System.arraycopy, read + write "
                + "counted), add 22.0 GB/s (c = a + b, Vector API, 2 reads + 1 write counted), read 15.0 GB/s (Vector API sum)",
                new MemoryBandwidth(20, 22, 15, 2, 256, 6).explain());
    }

    @Test
    void measuresSomethingFiniteAndRejectsBadSizes() {
        MemoryBandwidth m = MemoryBandwidth.measure(1, 4, 1);   // small: a plumbing check, not a measurement
        assertTrue(m.copyGBps() > 0 && m.addGBps() > 0 && m.readGBps() > 0 && Double.isFinite(m.bestGBps()), m.toString());
        assertThrows(IllegalArgumentException.class, () -> MemoryBandwidth.measure(0, 4, 1));
    }
}
