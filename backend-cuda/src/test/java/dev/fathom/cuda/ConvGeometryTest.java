package dev.fathom.cuda;

import dev.fathom.spi.Conv2dGeometry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConvGeometryTest {

    private static Conv2dGeometry conv(int n, int cIn, int h, int w, int cOut, int k, int stride, int pad, int groups) {
        return Conv2dGeometry.of(n, cIn, h, w, cOut, k, k, stride, stride, pad, pad, 1, 1, groups);
    }

    @Test
    void oneBlockPerTileOfEachPassAndOneGridLayerPerGroup() {
        ConvGeometry g = ConvGeometry.of(conv(1, 1, 1, 1, 1, 1, 1, 0, 1));
        assertEquals(new ConvGeometry.Grid(1, 1, 1), g.forward());
        assertEquals(new ConvGeometry.Grid(1, 1, 1), g.backwardData());
        assertEquals(new ConvGeometry.Grid(1, 1, 1), g.backwardWeight());
        assertEquals(1, g.splits());
        assertTrue(g.reduce().isEmpty());
        assertEquals(256, g.block());

        // x (2, 4, 9, 8) stride 2 -> 5 x 4 outputs, groups 2: forward Nc = 2·5·4 = 40, M = 3;
        // backward-data in 2·2 stride phases of at most 2·5·4 = 40 positions, M = 2;
        // backward-weight Nc = 2·9 = 18, M = 3.
        g = ConvGeometry.of(conv(2, 4, 9, 8, 6, 3, 2, 1, 2));
        assertEquals(new ConvGeometry.Grid(1, 1, 2), g.forward());
        assertEquals(new ConvGeometry.Grid(1, 1, 8), g.backwardData());
        assertEquals(new ConvGeometry.Grid(1, 1, 2), g.backwardWeight());

        // 130 output channels need 3 row tiles; 64·64 = 4096 output pixels are 64 column tiles.
        g = ConvGeometry.of(conv(1, 3, 64, 64, 130, 3, 1, 1, 1));
        assertEquals(new ConvGeometry.Grid(64, 3, 1), g.forward());
        assertEquals(new ConvGeometry.Grid(64, 1, 1), g.backwardData());
    }

    @Test
    void weightGradientSplitsItsReductionUntilTheGridIsBusyAndReducesThePlanesAfterwards() {
        // ResNet-like 64 -> 64, 3×3 on a batch of 64 32×32 images: 9 weight tiles over K = 65536.
        // ceil(512 / 9) = 57 splits; chunk ceil(65536 / 57) = 1150 -> 1152 (a multiple of 16); 57 chunks.
        ConvGeometry g = ConvGeometry.of(conv(64, 64, 32, 32, 64, 3, 1, 1, 1));
        assertEquals(57, g.splits());
        assertEquals(1152, g.chunk());
        assertEquals(new ConvGeometry.Grid(9, 1, 57), g.backwardWeight());
        assertEquals(LaunchGeometry.forElements(64 * 64 * 9), g.reduce());
        assertEquals(57L * 64 * 64 * 9, g.workspaceElements(conv(64, 64, 32, 32, 64, 3, 1, 1, 1)));

        // Depthwise 32 channels, batch 8 of 16×16: 32 tiles want 16 splits, but K = 2048 allows only
        // two chunks of 1024.
        g = ConvGeometry.of(conv(8, 32, 16, 16, 32, 3, 1, 1, 32));
        assertEquals(2, g.splits());
        assertEquals(1024, g.chunk());
        assertEquals(new ConvGeometry.Grid(1, 1, 64), g.backwardWeight());

        // A small reduction stays in one chunk and writes gradW directly.
        Conv2dGeometry small = conv(2, 3, 7, 9, 5, 3, 1, 1, 1);
        g = ConvGeometry.of(small);
        assertEquals(1, g.splits());
        assertEquals(128, g.chunk());
        assertTrue(g.reduce().isEmpty());
        assertEquals(0, g.workspaceElements(small));

        // Smaller chunks for tests: K = 200 in chunks of 16 gives 13 splits (the last one of 8).
        g = ConvGeometry.of(Conv2dGeometry.of(2, 2, 10, 10, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1), 16);
        assertEquals(13, g.splits());
        assertEquals(16, g.chunk());
        assertEquals(new ConvGeometry.Grid(1, 2, 13), g.backwardWeight());
    }

    @Test
    void splitRuleNeverLeavesAnEmptyChunkAndCoversTheWholeReduction() {
        for (int n : new int[] {1, 3, 7, 33, 100}) {
            for (int hw : new int[] {5, 17, 32}) {
                Conv2dGeometry c = conv(n, 8, hw, hw, 16, 3, 1, 1, 1);
                ConvGeometry g = ConvGeometry.of(c, 16);
                long k = (long) n * c.outH() * c.outW();
                assertTrue((long) g.splits() * g.chunk() >= k, "chunks cover K " + k + ": " + g);
                assertTrue((long) (g.splits() - 1) * g.chunk() < k, "no empty chunk for K " + k + ": " + g);
                assertEquals(0, g.chunk() % 16);
                assertEquals(g.splits(), g.backwardWeight().z());
            }
        }
    }

    @Test
    void anEmptyBatchLaunchesOnlyTheWeightGradientWhichWritesZeros() {
        ConvGeometry g = ConvGeometry.of(conv(0, 3, 5, 5, 4, 3, 1, 1, 1));
        assertTrue(g.forward().isEmpty());
        assertTrue(g.backwardData().isEmpty());
        assertFalse(g.backwardWeight().isEmpty());
        assertEquals(1, g.splits());
    }

    @Test
    void rejectsInvalidShapesAndProblemsPastTheKernelsLimitsNamingThem() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.of(Conv2dGeometry.of(1, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2)));
        assertTrue(e.getMessage().contains("groups 2") && e.getMessage().contains("divide"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.of(new Conv2dGeometry(1, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 4, 5)));
        assertTrue(e.getMessage().contains("outSize"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvGeometry.of(conv(40_000, 3, 256, 256, 8, 3, 1, 1, 1)));
        assertTrue(e.getMessage().contains("split the batch") && e.getMessage().contains("40000"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConvGeometry.of(conv(1, 70_000, 4, 4, 70_000, 1, 1, 0, 70_000)));
        assertThrows(IllegalArgumentException.class, () -> ConvGeometry.of(conv(1, 3, 5, 5, 4, 3, 1, 1, 1), 24));
        // 16 groups × 64 × 64 stride phases are too many grid layers for backward-data.
        e = assertThrows(IllegalArgumentException.class, () -> ConvGeometry.of(conv(1, 16, 200, 200, 16, 64, 64, 0, 16)));
        assertTrue(e.getMessage().contains("65536") && e.getMessage().contains("stride phases"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ConvGeometry.Grid(1, 65_536, 1));
    }
}
