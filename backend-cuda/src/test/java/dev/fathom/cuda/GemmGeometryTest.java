package dev.fathom.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GemmGeometryTest {

    @Test
    void oneBlockPer64By64TileOfCAndOneGridLayerPerBatch() {
        assertEquals(new GemmGeometry(1, 1, 1, 256), GemmGeometry.forMatmul(1, 1, 1));
        assertEquals(new GemmGeometry(1, 1, 1, 256), GemmGeometry.forMatmul(64, 64, 1));
        // x walks N, y walks M: 130 rows need 3 blocks, 70 columns 2.
        assertEquals(new GemmGeometry(2, 3, 1, 256), GemmGeometry.forMatmul(130, 70, 1));
        assertEquals(new GemmGeometry(1, 2, 1, 256), GemmGeometry.forMatmul(65, 33, 1));
        assertEquals(new GemmGeometry(1, 1, 3, 256), GemmGeometry.forMatmul(17, 19, 3));
        assertEquals(new GemmGeometry(16, 16, 65_535, 256), GemmGeometry.forMatmul(1024, 1024, 65_535));
    }

    @Test
    void anEmptyCIsAnEmptyLaunch() {
        assertTrue(GemmGeometry.forMatmul(0, 5, 1).isEmpty());
        assertTrue(GemmGeometry.forMatmul(5, 0, 1).isEmpty());
        assertTrue(GemmGeometry.forMatmul(5, 5, 0).isEmpty());
        assertFalse(GemmGeometry.forMatmul(1, 1, 1).isEmpty());
    }

    @Test
    void rejectsNegativeSizesAndGridsOverCudasLimitsNamingThem() {
        var e = assertThrows(IllegalArgumentException.class, () -> GemmGeometry.forMatmul(-1, 2, 1));
        assertTrue(e.getMessage().contains("forMatmul") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GemmGeometry.forMatmul(4, 4, 65_536));
        assertTrue(e.getMessage().contains("65536") && e.getMessage().contains("split"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GemmGeometry.forMatmul(64L * 65_535 + 1, 4, 1));
        assertThrows(IllegalArgumentException.class, () -> new GemmGeometry(1, 1, 1, 128));
    }
}
