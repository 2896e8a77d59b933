package dev.fathom.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** metrics.jsonl, learning_curves.png and the progress output: what a run leaves behind and prints. */
class RunOutputsTest {

    private static Map<String, Object> row(int epoch, double trainLoss, double valLoss, double valAcc) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("epoch", epoch);
        r.put("train_loss", trainLoss);
        r.put("val_loss", valLoss);
        r.put("val_acc", valAcc);
        return r;
    }

    @Test
    void metricsLogWritesOneJsonObjectPerLineAndReadsThemBackOnAppend(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run/metrics.jsonl");
        try (MetricsLog log = new MetricsLog(file, false)) {
            log.log(row(1, 0.5, 0.4, 0.8));
            log.log(row(2, Double.NaN, 0.3, 0.85));
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size());
        assertEquals("{\"epoch\":1,\"train_loss\":0.5,\"val_loss\":0.4,\"val_acc\":0.8}", lines.get(0));
        assertEquals("{\"epoch\":2,\"train_loss\":\"NaN\",\"val_loss\":0.3,\"val_acc\":0.85}", lines.get(1), "JSON has no NaN: written as a string");
        try (MetricsLog log = new MetricsLog(file, true)) {
            assertEquals(2, log.rows().size(), "a resumed run sees what was logged before");
            assertEquals(0.85, ((Number) log.rows().get(1).get("val_acc")).doubleValue());
            log.log(row(3, 0.2, 0.25, 0.9));
        }
        assertEquals(3, Files.readAllLines(file).size());
    }

    @Test
    void aResumedLogDropsTheRowsFromItsFirstEpochOnAtItsFirstRow(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("metrics.jsonl");
        try (MetricsLog log = new MetricsLog(file, false)) {
            for (int e = 1; e <= 5; e++) {
                log.log(row(e, 1.0 / e, 0.5, 0.1 * e));
            }
        }
        List<String> five = Files.readAllLines(file);
        assertEquals(List.of(2L, 3L, 4L, 5L), MetricsLog.laterRows(file, "epoch", 2));
        try (MetricsLog log = MetricsLog.resume(file, "epoch", 3)) {
            assertEquals(2, log.rows().size(), "epochs 1 and 2 are the run's record");
            assertEquals(3, log.dropped());
        }
        assertEquals(five, Files.readAllLines(file), "a resume that logs nothing (a failed epoch) leaves the file as it was");
        try (MetricsLog log = MetricsLog.resume(file, "epoch", 3)) {
            log.log(row(3, 0.7, 0.6, 0.9));
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(List.of(five.get(0), five.get(1), "{\"epoch\":3,\"train_loss\":0.7,\"val_loss\":0.6,\"val_acc\":0.9}"), lines,
                "epochs 3..5 of the abandoned run are replaced by the new epoch 3, once each");
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void aLogWithNoRowWritesNothing(@TempDir Path dir) {
        Path file = dir.resolve("run/metrics.jsonl");
        try (MetricsLog log = new MetricsLog(file, false)) {
            assertTrue(log.rows().isEmpty());
        }
        assertFalse(Files.exists(dir.resolve("run")), "no metrics.jsonl and no run directory for a run that logged nothing");
    }

    @Test
    void learningCurvesArePngChartsSideBySide(@TempDir Path dir) throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int e = 1; e <= 5; e++) {
            rows.add(row(e, 1.0 / e, 1.2 / e, 0.5 + e * 0.08));
        }
        Path png = dir.resolve("learning_curves.png");
        assertNull(LearningCurves.unavailable(), "this JDK has java.desktop and XChart");
        assertTrue(LearningCurves.write(png, rows, "epoch"));
        BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertNotNull(img, "a readable PNG");
        assertEquals(1280, img.getWidth(), "loss and accuracy panels");
        assertEquals(420, img.getHeight());
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void progressWithoutATerminalPrintsPlainLinesAtTheStartAndEachTenth() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ProgressBar bar = new ProgressBar(out, false, "epoch 1/1", 100);
        for (int i = 1; i <= 100; i++) {
            bar.update(i, 0.5, i * 32L);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertFalse(text.contains("\r"), "no carriage returns in a log");
        String[] lines = text.strip().split("\n");
        assertEquals(11, lines.length, "the first step, then each tenth: " + text);
        assertTrue(lines[0].startsWith("epoch 1/1 [>                       ] 1/100"), lines[0]);
        assertTrue(lines[10].startsWith("epoch 1/1 [========================] 100/100  loss 0.5000"), lines[9]);
        assertEquals("1:05", ProgressBar.clock(65));
        assertEquals("1:01:01", ProgressBar.clock(3661));
    }
}
