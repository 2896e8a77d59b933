package dev.fathom.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LaunchGeometryTest {

    @Test
    void oneThreadPerElementInBlocksOf256() {
        assertEquals(new LaunchGeometry(1, 256), LaunchGeometry.forElements(1));
        assertEquals(new LaunchGeometry(1, 256), LaunchGeometry.forElements(256));
        assertEquals(new LaunchGeometry(2, 256), LaunchGeometry.forElements(257));
        assertEquals(new LaunchGeometry(391, 256), LaunchGeometry.forElements(100_003));
    }

    @Test
    void gridIsCappedAndThreadsThenLoop() {
        long n = 65_535L * 256 + 1;
        assertEquals(new LaunchGeometry(65_535, 256), LaunchGeometry.forElements(n));
        assertEquals(65_535, LaunchGeometry.forElements(10_000_000_000L).grid());
        assertEquals(new LaunchGeometry(3, 256), LaunchGeometry.forElements(1000, 3));
        assertTrue(LaunchGeometry.forElements(1000, 3).threads() < 1000);
    }

    @Test
    void zeroElementsIsAnEmptyLaunch() {
        assertTrue(LaunchGeometry.forElements(0).isEmpty());
        assertFalse(LaunchGeometry.forElements(1).isEmpty());
    }

    @Test
    void rejectsBadInputNamingIt() {
        var e = assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.forElements(-1));
        assertTrue(e.getMessage().contains("forElements") && e.getMessage().contains("-1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.forElements(10, 0));
        assertThrows(IllegalArgumentException.class, () -> new LaunchGeometry(1, 2048));
    }

    @Test
    void elementwiseKernelsGetAThreadPerFourElements() {
        assertEquals(new LaunchGeometry(1, 256), LaunchGeometry.forElementwise(1));
        assertEquals(new LaunchGeometry(1, 256), LaunchGeometry.forElementwise(1024));
        assertEquals(new LaunchGeometry(2, 256), LaunchGeometry.forElementwise(1025));
        assertEquals(new LaunchGeometry(16_384, 256), LaunchGeometry.forElementwise(1 << 24));
        assertTrue(LaunchGeometry.forElementwise(0).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.forElementwise(-1));
    }

    @Test
    void denseF32TakesLongBlocksOnlyWhileTwoWavesOfThemRemain() {
        // 2^24 floats: 2^20 threads of 16 elements, 4096 blocks (forElementwise: 16384 of 4).
        assertEquals(new LaunchGeometry(4096, 256), LaunchGeometry.forDenseF32(1 << 24));
        // 2048 long blocks is the threshold: 2^23 floats get them, 2^23 - 16 (2047 blocks and a bit) too, by rounding up.
        assertEquals(new LaunchGeometry(2048, 256), LaunchGeometry.forDenseF32(1 << 23));
        assertEquals(new LaunchGeometry(2048, 256), LaunchGeometry.forDenseF32((1 << 23) - 16));
        // Below it a block per quad-trip, as forElementwise: 2^22 floats, 4096 blocks of 4 per thread.
        long below = (1 << 23) - 256L * 16 - 1;
        assertEquals(LaunchGeometry.forElementwise(below), LaunchGeometry.forDenseF32(below));
        assertEquals(new LaunchGeometry(4096, 256), LaunchGeometry.forDenseF32(1 << 22));
        assertEquals(new LaunchGeometry(1, 256), LaunchGeometry.forDenseF32(100, 1));
        assertTrue(LaunchGeometry.forDenseF32(0).isEmpty());
        var e = assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.forDenseF32(-1));
        assertTrue(e.getMessage().contains("forDenseF32") && e.getMessage().contains("-1"), e.getMessage());
    }
}
