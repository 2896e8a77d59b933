package dev.fathom.cuda;

import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GemmGeometryTest {

    @Test
    void oneBlockPer64By64TileOfCAndOneGridLayerPerBatch() {
        assertEquals(new GemmGeometry(64, 1, 1, 1, 256), GemmGeometry.forMatmul(1, 1, 1));
        assertEquals(new GemmGeometry(64, 1, 1, 1, 256), GemmGeometry.forMatmul(64, 64, 1));
        // x walks N, y walks M: 130 rows need 3 blocks, 70 columns 2.
        assertEquals(new GemmGeometry(64, 2, 3, 1, 256), GemmGeometry.forMatmul(130, 70, 1));
        assertEquals(new GemmGeometry(64, 1, 2, 1, 256), GemmGeometry.forMatmul(65, 33, 1));
        assertEquals(new GemmGeometry(64, 1, 1, 3, 256), GemmGeometry.forMatmul(17, 19, 3));
        assertEquals(new GemmGeometry(64, 16, 16, 65_535, 256), GemmGeometry.forMatmul(1024, 1024, 65_535));
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
        assertThrows(IllegalArgumentException.class, () -> new GemmGeometry(64, 1, 1, 1, 128));
        e = assertThrows(IllegalArgumentException.class, () -> new GemmGeometry(32, 1, 1, 1, 256));
        assertTrue(e.getMessage().contains("tile 32") && e.getMessage().contains("64 or 128"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GemmGeometry.forTile(96, 4, 4, 1));
        assertTrue(e.getMessage().contains("tile 96"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GemmGeometry.choose(DType.F32, 4, 4, 1, -1));
        assertTrue(e.getMessage().contains("minLargeBlocks -1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GemmGeometry.forTile(128, 4, 4, 1).kernel(DType.F64, 1, 4, 1));
        assertTrue(e.getMessage().contains("F32 only"), e.getMessage());
    }

    @Test
    void theLargeTileCoversCWithOneBlockPer128By128Tile() {
        assertEquals(new GemmGeometry(128, 1, 1, 1, 256), GemmGeometry.forTile(128, 1, 1, 1));
        assertEquals(new GemmGeometry(128, 1, 1, 1, 256), GemmGeometry.forTile(128, 128, 128, 1));
        assertEquals(new GemmGeometry(128, 2, 3, 5, 256), GemmGeometry.forTile(128, 257, 129, 5));
        // Rows up to the small tile's limit fit both tiles' grids (the host splits M by that limit).
        assertEquals(32_768, GemmGeometry.forTile(128, 64L * 65_535, 1, 1).gridY());
        assertThrows(IllegalArgumentException.class, () -> GemmGeometry.forTile(128, 128L * 65_535 + 1, 4, 1));
    }

    @Test
    void f32TakesTheLargeTileWhenItsBlocksFillTheGpuAndItsEdgesWasteLittle() {
        int min = GemmGeometry.DEFAULT_MIN_LARGE_BLOCKS;
        // 2048^2: 16 x 16 = 256 large blocks, no edge: large.
        assertEquals(new GemmGeometry(128, 16, 16, 1, 256), GemmGeometry.choose(DType.F32, 2048, 2048, 1, min));
        // 1024^2: 64 large blocks, under the threshold: the small tile (256 blocks).
        assertEquals(new GemmGeometry(64, 16, 16, 1, 256), GemmGeometry.choose(DType.F32, 1024, 1024, 1, min));
        // The threshold counts blocks over the whole batch: 128 products of 128 x 128 are 128 blocks.
        assertEquals(128, GemmGeometry.choose(DType.F32, 128, 128, 128, min).tile());
        assertEquals(64, GemmGeometry.choose(DType.F32, 128, 128, 127, min).tile());
        assertEquals(128, GemmGeometry.choose(DType.F32, 1024, 1024, 1, 64).tile(), "the threshold is a parameter");
        assertEquals(64, GemmGeometry.choose(DType.F32, 2048, 2048, 1, 257).tile());
        // Edge waste: 130 x 130 is 4 large tiles (16 small-tile areas) against 9 small ones: over 5/4.
        assertEquals(64, GemmGeometry.choose(DType.F32, 130, 130, 1000, 0).tile());
        // 1536 + 64 = 1600: 13 x 13 large (676 small areas) against 25 x 25 = 625: 1.08, under 5/4.
        assertEquals(128, GemmGeometry.choose(DType.F32, 1600, 1600, 1, min).tile());
        // A tall skinny C (a classifier's logits): 128-wide tiles over 10 columns double the waste.
        assertEquals(64, GemmGeometry.choose(DType.F32, 65_536, 10, 1, 0).tile());
        // A batch of tiny products: 70000 blocks, but each a 128 x 128 tile for one element.
        assertEquals(64, GemmGeometry.choose(DType.F32, 1, 1, 65_535, 0).tile());
        // Only F32 has the large kernels.
        assertEquals(64, GemmGeometry.choose(DType.F64, 4096, 4096, 1, 0).tile());
        assertEquals(64, GemmGeometry.choose(DType.I64, 4096, 4096, 1, 0).tile());
        assertTrue(GemmGeometry.choose(DType.F32, 0, 4096, 1, 0).isEmpty());
    }

    @Test
    void theThresholdPropertyIsABlockCountOrRejectedNamingIt() {
        assertEquals(GemmGeometry.DEFAULT_MIN_LARGE_BLOCKS, GemmLaunches.minLargeBlocks(null));
        assertEquals(0, GemmLaunches.minLargeBlocks("0"));
        assertEquals(300, GemmLaunches.minLargeBlocks(" 300 "));
        for (String bad : new String[] {"-1", "many", "", "1e3"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> GemmLaunches.minLargeBlocks(bad));
            assertTrue(e.getMessage().startsWith("-Dfathom.cuda.gemm128MinBlocks=" + bad + " is not a block count"), e.getMessage());
        }
    }

    @Test
    void theLargeKernelIsTheEntryWhoseLoadsAreCoalescedForTheStrides() {
        GemmGeometry large = GemmGeometry.forTile(128, 256, 256, 1), small = GemmGeometry.forMatmul(256, 256, 1);
        // a: row-major (k stride 1) is "n", a transposed view (row stride 1) "t"; b: row-major "n", transposed "t".
        assertEquals("gemm_f32_128_nn", large.kernel(DType.F32, 1, 300, 1));
        assertEquals("gemm_f32_128_nt", large.kernel(DType.F32, 1, 1, 300));
        assertEquals("gemm_f32_128_tn", large.kernel(DType.F32, 300, 300, 1));
        assertEquals("gemm_f32_128_tt", large.kernel(DType.F32, 300, 1, 300));
        // Neither stride 1 (a strided view): the row-fastest maps, as gemm_tiled's branch picks.
        assertEquals("gemm_f32_128_tn", large.kernel(DType.F32, 7, 3, 5));
        // k = 1 or n = 1 gives b both strides 1: row-major, as in gemm_tiled.
        assertEquals("gemm_f32_128_nn", large.kernel(DType.F32, 1, 1, 1));
        assertEquals("gemm_f32", small.kernel(DType.F32, 300, 1, 300));
        assertEquals("gemm_f64", small.kernel(DType.F64, 1, 1, 1));
        assertEquals("gemm_i64", small.kernel(DType.I64, 1, 1, 1));
    }
}
