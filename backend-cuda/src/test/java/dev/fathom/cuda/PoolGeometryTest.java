package dev.fathom.cuda;

import dev.fathom.spi.Pool2dGeometry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolGeometryTest {

    @Test
    void forwardCoversTheOutputsAndBackwardTheInputs() {
        // (2, 3, 7, 9) pooled 2×2/2 -> (2, 3, 3, 4): 72 outputs (1 block), 378 inputs (2 blocks).
        PoolGeometry g = PoolGeometry.of(Pool2dGeometry.of(2, 3, 7, 9, 2, 2, 2, 2, 0, 0, 1, 1));
        assertEquals(new LaunchGeometry(1, 256), g.forward());
        assertEquals(new LaunchGeometry(2, 256), g.backward());

        // A batch of 64 × 64 channels of 32×32 pooled 3×3/2 pad 1 -> 16×16: 1 M outputs, 4 M inputs.
        g = PoolGeometry.of(Pool2dGeometry.of(64, 64, 32, 32, 3, 3, 2, 2, 1, 1, 1, 1));
        assertEquals(new LaunchGeometry(4096, 256), g.forward());
        assertEquals(new LaunchGeometry(16384, 256), g.backward());

        // Capped grids make each thread loop.
        g = PoolGeometry.of(Pool2dGeometry.of(64, 64, 32, 32, 3, 3, 2, 2, 1, 1, 1, 1), 7);
        assertEquals(new LaunchGeometry(7, 256), g.forward());
        assertEquals(new LaunchGeometry(7, 256), g.backward());

        assertTrue(PoolGeometry.of(Pool2dGeometry.of(0, 3, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1)).forward().isEmpty());
    }

    @Test
    void rejectsInvalidPoolingsNamingThem() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> PoolGeometry.of(Pool2dGeometry.of(1, 1, 8, 8, 2, 2, 2, 2, 2, 2, 1, 1)));
        assertTrue(e.getMessage().contains("padding (2, 2)") && e.getMessage().contains("kernel/2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PoolGeometry.of(new Pool2dGeometry(1, 1, 8, 8, 2, 2, 2, 2, 0, 0, 1, 1, 5, 4)));
        assertTrue(e.getMessage().contains("outSize"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PoolGeometry.of(Pool2dGeometry.of(1, 1, 50_000, 50_000, 2, 2, 2, 2, 0, 0, 1, 1)));
        assertTrue(e.getMessage().contains("2^31"), e.getMessage());
    }
}
