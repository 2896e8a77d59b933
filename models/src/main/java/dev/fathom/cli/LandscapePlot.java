package dev.fathom.cli;

import dev.fathom.theory.LossSurface;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws {@code fathom landscape}'s {@code landscape.png} with XChart: the surface as a heat map of
 * log10 of the loss (the loss spans decades between the minimum and the edge of a wide plot), and
 * beside it the two lines through the centre (α with β = 0, β with α = 0) on a linear scale.
 * The one class of the command that touches AWT or XChart; callers check
 * {@code LearningCurves.unavailable()} first.
 */
final class LandscapePlot {
    private static final int WIDTH = 640;
    private static final int HEIGHT = 520;
    /** Bands of equal log-loss in the heat map. */
    private static final int BANDS = 8;
    /** Viridis at five stops: dark is low loss. */
    private static final Color[] RANGE = {new Color(0x440154), new Color(0x3b528b), new Color(0x21918c), new Color(0x5ec962),
            new Color(0xfde725)};

    private LandscapePlot() {
    }

    /** {@code surface} drawn as a PNG file's bytes; {@code title} heads the heat map. */
    static byte[] render(LossSurface surface, String title) throws IOException {
        System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
        HeatMapChart heat = heatMap(surface, title);
        XYChart lines = centreLines(surface);
        BufferedImage image = new BufferedImage(2 * WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            Graphics2D left = (Graphics2D) g.create(0, 0, WIDTH, HEIGHT);
            heat.paint(left, WIDTH, HEIGHT);
            left.dispose();
            Graphics2D right = (Graphics2D) g.create(WIDTH, 0, WIDTH, HEIGHT);
            lines.paint(right, WIDTH, HEIGHT);
            right.dispose();
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(image, "png", bytes);
        return bytes.toByteArray();
    }

    private static HeatMapChart heatMap(LossSurface surface, String title) {
        double[] alphas = surface.alphas(), betas = surface.betas();
        HeatMapChart chart = new HeatMapChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("α (direction 1)")
                .yAxisTitle("β (direction 2)").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setRangeColors(RANGE);
        chart.getStyler().setShowValue(false);
        chart.getStyler().setLegendVisible(true);
        chart.getStyler().setXAxisDecimalPattern("0.##");
        chart.getStyler().setYAxisDecimalPattern("0.##");
        // The colors follow log10 of the loss; the legend names the loss itself.
        chart.getStyler().setHeatMapDecimalValueFormatter(v -> String.format(Locale.ROOT, "%.3g", Math.pow(10, v)));
        List<Number[]> cells = new ArrayList<>();
        double lowest = Double.POSITIVE_INFINITY, highest = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < alphas.length; i++) {
            for (int j = 0; j < betas.length; j++) {
                double v = surface.at(i, j);
                if (Double.isFinite(v) && v > 0) {
                    lowest = Math.min(lowest, Math.log10(v));
                    highest = Math.max(highest, Math.log10(v));
                }
            }
        }
        if (lowest > highest) {
            lowest = highest = 0;   // nothing positive and finite to show: an empty map with a unit scale
        }
        for (int i = 0; i < alphas.length; i++) {
            for (int j = 0; j < betas.length; j++) {
                double v = surface.at(i, j);
                // A diverged or zero loss takes the top (bottom) of the scale rather than a hole.
                double shown = Double.isNaN(v) || v == Double.POSITIVE_INFINITY ? highest : v > 0 ? Math.log10(v) : Double.NaN;
                if (Double.isFinite(shown)) {
                    cells.add(new Number[] {i, j, shown});
                }
            }
        }
        // Bands rather than a gradient: contours of equal loss, and a legend that names each band's
        // losses (XChart formats a gradient's ends itself, as raw log10 values). The bounds are set,
        // since XChart's own start from Double.MIN_VALUE and stay there when every log10 is negative.
        chart.getStyler().setPiecewise(true);
        chart.getStyler().setPiecewiseRanged(true);
        chart.getStyler().setSplitNumber(BANDS);
        chart.getStyler().setMin(lowest);
        chart.getStyler().setMax(highest > lowest ? highest : lowest + 1);
        chart.addSeries("loss (log scale)", toList(alphas), toList(betas), cells);
        return chart;
    }

    private static XYChart centreLines(LossSurface surface) {
        double[] alphas = surface.alphas(), betas = surface.betas();
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Through the centre").xAxisTitle("step along the direction")
                .yAxisTitle("loss").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendVisible(true);
        int i0 = nearestZero(alphas), j0 = nearestZero(betas);
        List<Double> ax = new ArrayList<>(), ay = new ArrayList<>(), bx = new ArrayList<>(), by = new ArrayList<>();
        for (int i = 0; i < alphas.length; i++) {
            if (Double.isFinite(surface.at(i, j0))) {
                ax.add(alphas[i]);
                ay.add(surface.at(i, j0));
            }
        }
        for (int j = 0; j < betas.length; j++) {
            if (Double.isFinite(surface.at(i0, j))) {
                bx.add(betas[j]);
                by.add(surface.at(i0, j));
            }
        }
        add(chart, "α, β = " + format(betas[j0]), ax, ay, new Color(0x1f77b4));
        add(chart, "β, α = " + format(alphas[i0]), bx, by, new Color(0xff7f0e));
        return chart;
    }

    private static void add(XYChart chart, String name, List<Double> xs, List<Double> ys, Color color) {
        if (!xs.isEmpty()) {
            var series = chart.addSeries(name, xs, ys);
            series.setMarker(SeriesMarkers.CIRCLE);
            series.setLineColor(color);
            series.setMarkerColor(color);
        }
    }

    /** The index of the value closest to 0: the centre line of a symmetric grid. */
    private static int nearestZero(double[] grid) {
        int best = 0;
        for (int i = 1; i < grid.length; i++) {
            if (Math.abs(grid[i]) < Math.abs(grid[best])) {
                best = i;
            }
        }
        return best;
    }

    private static String format(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static List<Double> toList(double[] values) {
        List<Double> out = new ArrayList<>(values.length);
        for (double v : values) {
            out.add(v);
        }
        return out;
    }
}
