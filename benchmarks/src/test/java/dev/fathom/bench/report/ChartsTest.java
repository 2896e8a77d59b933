package dev.fathom.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.fathom.bench.report.Fixtures.gemm;
import static dev.fathom.bench.report.Fixtures.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The charts decode as PNGs of the stated size (ImageIO is an independent decoder), and are skipped when there is nothing to draw. */
class ChartsTest {

    @Test
    void gemmChartIsAPng(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("gemm.png");
        List<Measurement> ms = List.of(gemm("cpu", 256, 0.2, null, 168, null, null), gemm("cpu", 512, 1.0, null, 268, null, null),
                gemm("numpy", 256, 0.15, null, 224, null, false));
        assertTrue(Charts.gemm(png, ms, List.of("cpu", "numpy"), 300));
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(800, img.getWidth());
        assertEquals(500, img.getHeight());
    }

    @Test
    void ratioChartOnlyWithRatios(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("ratio.png");
        assertFalse(Charts.ratios(png, TargetTable.rows(List.of(gemm("cpu", 256, 0.2, null, 168, null, null)))));
        assertFalse(Files.exists(png));
        assertFalse(Charts.gemm(dir.resolve("g.png"), List.of(train("train.mlp", "cpu", 1, null, null)), List.of("cpu"), 1));
        List<Measurement> ms = List.of(train("train.mlp", "cpu", 90000, null, null), train("train.mlp", "torch", 80000, null, false));
        assertTrue(Charts.ratios(png, TargetTable.rows(ms)));
        assertEquals(800, ImageIO.read(png.toFile()).getWidth());
    }
}
