package dev.fathom.train;

import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The grid layout: images in row-major order, a 2-pixel black border, [−1, 1] → [0, 255]. */
class SampleGridTest {

    @Test
    void tilesRowMajorWithBorders() {
        int n = 5, h = 3, w = 4, cols = 2;
        float[] x = new float[n * h * w];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < h * w; p++) {
                x[i * h * w + p] = -1 + 2f * (i * h * w + p) / (n * h * w - 1);
            }
        }
        try (Scope s = Scope.open()) {
            SampleGrid.Image g = SampleGrid.tile(Tensor.of(x, n, 1, h, w), cols);
            assertEquals(2 * (w + 2) + 2, g.width());
            assertEquals(3 * (h + 2) + 2, g.height());
            for (int i = 0; i < n; i++) {
                int top = 2 + (i / cols) * (h + 2), left = 2 + (i % cols) * (w + 2);
                for (int y = 0; y < h; y++) {
                    for (int xx = 0; xx < w; xx++) {
                        double v = x[(i * h + y) * w + xx];
                        int expected = (int) Math.rint((v + 1) / 2 * 255);
                        assertEquals(expected, g.pixels()[(top + y) * g.width() + left + xx] & 0xff, "image " + i + " (" + y + ", " + xx + ")");
                    }
                }
            }
            assertEquals(0, g.pixels()[0], "border");
            assertEquals(0, g.pixels()[(2 + h) * g.width() + 5], "border between rows");
            int lastCell = (2 + 2 * (h + 2)) * g.width() + 2 + (w + 2);
            assertEquals(0, g.pixels()[lastCell], "the empty sixth cell stays black");
        }
    }

    @Test
    void clampsAndRejects() {
        assertEquals(0, SampleGrid.toByte(-3f));
        assertEquals(255, SampleGrid.toByte(1.5f));
        assertEquals(128, SampleGrid.toByte(0f));
        assertEquals(0, SampleGrid.toByte(Float.NaN));
        try (Scope s = Scope.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SampleGrid.tile(Tensor.zeros(2, 3, 4, 4), 8));
            assertTrue(e.getMessage().contains("[2, 3, 4, 4]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> SampleGrid.tile(Tensor.zeros(2, 1, 4, 4), 0));
        }
    }
}
