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

    /**
     * The bytes each kernel counts, through a clock that makes every timed pass last one second:
     * copy reads and writes the array (2 × 4 MiB), add reads two and writes one (3 ×), read reads one.
     */
    @Test
    void countsTheBytesEachKernelMoves() {
        long[] now = {0};
        MemoryBandwidth m = MemoryBandwidth.measure(1, 4, 2, () -> now[0] += 1_000_000_000L);  // start and end of a pass: 1 s apart
        double mib4 = 4.0 * (1 << 20);
        assertEquals(2 * mib4 / 1e9, m.copyGBps(), 1e-15);
        assertEquals(3 * mib4 / 1e9, m.addGBps(), 1e-15);
        assertEquals(mib4 / 1e9, m.readGBps(), 1e-15);
        assertEquals(2, m.passes());
    }

    @Test
    void measuresSomethingFiniteAndRejectsBadSizes() {
        MemoryBandwidth m = MemoryBandwidth.measure(1, 4, 1);   // small: a plumbing check, not a measurement
        assertTrue(m.copyGBps() > 0 && m.addGBps() > 0 && m.readGBps() > 0 && Double.isFinite(m.bestGBps()), m.toString());
        assertThrows(IllegalArgumentException.class, () -> MemoryBandwidth.measure(0, 4, 1));
    }
}
