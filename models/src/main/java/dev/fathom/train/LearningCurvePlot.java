package dev.fathom.train;

import dev.fathom.io.IoErrors;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Draws {@link LearningCurves}' {@code learning_curves.png}: loss (train vs validation) and
 * accuracy (train and validation, when logged; a GAN's {@code d_loss} and {@code g_loss} in the
 * loss panel) against the x key ({@code epoch} or {@code step}), drawn with XChart side by side.
 * Rows are those of {@link MetricsLog}; missing or non-numeric values are skipped. Written
 * atomically. The only class of this package that touches AWT or XChart, so that the rest loads
 * in a Java runtime without {@code java.desktop}.
 */
final class LearningCurvePlot {
    private static final int WIDTH = 640;
    private static final int HEIGHT = 420;
    /** One color per split in both panels, so "validation" looks the same everywhere. */
    private static final Color TRAIN = new Color(0x1f77b4);
    private static final Color VALIDATION = new Color(0xff7f0e);
    /** GAN runs log the two nets' losses instead of train/validation ones. */
    private static final Color DISCRIMINATOR = new Color(0x2ca02c);
    private static final Color GENERATOR = new Color(0xd62728);

    private LearningCurvePlot() {
    }

    /** Draws the curves of {@code rows} into {@code png}; nothing is drawn for an empty log. */
    static void write(Path png, List<Map<String, Object>> rows, String xKey) {
        if (rows.isEmpty()) {
            return;
        }
        System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
        XYChart loss = chart("Loss", xKey, "loss");
        add(loss, rows, xKey, "train_loss", "train", TRAIN);
        add(loss, rows, xKey, "val_loss", "validation", VALIDATION);
        add(loss, rows, xKey, "d_loss", "discriminator", DISCRIMINATOR);
        add(loss, rows, xKey, "g_loss", "generator", GENERATOR);
        XYChart acc = chart("Accuracy", xKey, "accuracy");
        add(acc, rows, xKey, "train_acc", "train", TRAIN);
        add(acc, rows, xKey, "val_acc", "validation", VALIDATION);
        List<XYChart> charts = new ArrayList<>();
        charts.add(loss);
        if (!acc.getSeriesMap().isEmpty()) {
            charts.add(acc);
        }
        BufferedImage image = new BufferedImage(WIDTH * charts.size(), HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            for (int i = 0; i < charts.size(); i++) {
                Graphics2D sub = (Graphics2D) g.create(i * WIDTH, 0, WIDTH, HEIGHT);
                charts.get(i).paint(sub, WIDTH, HEIGHT);
                sub.dispose();
            }
        } finally {
            g.dispose();
        }
        try {
            Path dir = png.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".curves", ".png");
            try {
                javax.imageio.ImageIO.write(image, "png", tmp.toFile());
                Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("learning curves: cannot write " + png + ": " + IoErrors.describe(e), e);
        }
    }

    private static XYChart chart(String title, String xKey, String yTitle) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xKey).yAxisTitle(yTitle).build();
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setLegendVisible(true);
        return c;
    }

    private static void add(XYChart chart, List<Map<String, Object>> rows, String xKey, String yKey, String name, Color color) {
        List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            if (r.get(xKey) instanceof Number x && r.get(yKey) instanceof Number y && Double.isFinite(y.doubleValue())) {
                xs.add(x.doubleValue());
                ys.add(y.doubleValue());
            }
        }
        if (!xs.isEmpty()) {
            var series = chart.addSeries(name, xs, ys);
            series.setMarker(xs.size() > 60 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);  // a line per step, dots per epoch
            series.setLineColor(color);
            series.setMarkerColor(color);
        }
    }
}
