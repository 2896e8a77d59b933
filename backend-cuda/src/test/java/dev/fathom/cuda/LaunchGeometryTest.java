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
}
