package dev.fathom.bench.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The report's PNG charts (XChart, headless AWT): GEMM GFLOP/s against N, one line per backend
 * and peer, with the CPU's computed peak as a dashed line; and the ratio Fathom/peer of each
 * issue-7 target as bars beside the target. Written atomically.
 */
public final class Charts {
    private static final int WIDTH = 800;
    private static final int HEIGHT = 500;

    private Charts() {
    }

    /** Writes the GEMM chart to {@code png}; false (and nothing written) when there are no GEMM numbers. */
    public static boolean gemm(Path png, List<Measurement> ms, List<String> backendOrder, double cpuPeakGflops) {
        List<Measurement> gemm = ms.stream().filter(m -> m.bench().equals("gemm") && m.gflops() != null).toList();
        if (gemm.isEmpty()) {
            return false;
        }
        headless();
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("SGEMM, N × N, F32")
                .xAxisTitle("N (log scale)").yAxisTitle("GFLOP/s").build();
        style(c.getStyler());
        // x is log2 N, labelled with N: the sizes double, and a log axis would only label the decades.
        c.getStyler().setxAxisTickLabelsFormattingFunction(x -> Math.abs(x - Math.rint(x)) < 1e-6 ? Long.toString(1L << (long) Math.rint(x)) : "");
        c.getStyler().setYAxisMin(0.0);
        List<Double> allN = new ArrayList<>();
        for (String b : order(gemm, backendOrder)) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            gemm.stream().filter(m -> m.backend().equals(b)).sorted((p, q) -> Double.compare(n(p), n(q))).forEach(m -> {
                x.add(log2(n(m)));
                y.add(m.gflops());
            });
            allN.addAll(x);
            c.addSeries(b, x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        if (Double.isFinite(cpuPeakGflops)) {
            double lo = allN.stream().mapToDouble(Double::doubleValue).min().orElse(1);
            double hi = allN.stream().mapToDouble(Double::doubleValue).max().orElse(1);
            XYSeries peak = c.addSeries("CPU peak", List.of(lo, hi), List.of(cpuPeakGflops, cpuPeakGflops));
            peak.setMarker(SeriesMarkers.NONE);
            peak.setLineColor(Color.GRAY);
        }
        save(png, c);
        return true;
    }

    /** Writes the ratio chart to {@code png}; false (and nothing written) when no target has a ratio. */
    public static boolean ratios(Path png, List<TargetTable.Row> rows) {
        List<String> work = new ArrayList<>();
        List<Double> ratio = new ArrayList<>();
        List<Double> target = new ArrayList<>();
        for (TargetTable.Row r : rows) {
            if (r.ratio() != null) {
                work.add(r.target().work().replace(", GFLOP/s", "").replace(", samples/s", "").replace(", tokens/s", "")
                        .replace(", steps/s", ""));
                ratio.add(r.ratio());
                target.add(r.target().min());
            }
        }
        if (work.isEmpty()) {
            return false;
        }
        headless();
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title("Fathom (cpu) / peer, same run")
                .xAxisTitle("work").yAxisTitle("ratio (higher is better)").build();
        style(c.getStyler());
        c.getStyler().setXAxisLabelRotation(30);
        c.getStyler().setYAxisMin(0.0);
        c.addSeries("ratio", work, ratio).setFillColor(new Color(0x33, 0x66, 0xcc));
        c.addSeries("target", work, target).setFillColor(new Color(0xcc, 0xcc, 0xcc));
        save(png, c);
        return true;
    }

    private static List<String> order(List<Measurement> ms, List<String> backendOrder) {
        List<String> out = new ArrayList<>();
        for (String b : backendOrder) {
            if (ms.stream().anyMatch(m -> m.backend().equals(b))) {
                out.add(b);
            }
        }
        ms.stream().map(Measurement::backend).distinct().filter(b -> !out.contains(b)).forEach(out::add);
        return out;
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    private static double n(Measurement m) {
        return Double.parseDouble(m.param("n"));
    }

    private static void style(Styler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setLegendPosition(Styler.LegendPosition.InsideNW);
    }

    private static void headless() {
        System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
    }

    private static void save(Path png, org.knowm.xchart.internal.chartpart.Chart<?, ?> chart) {
        byte[] bytes;
        try {
            bytes = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("bench: cannot draw " + png + ": " + e.getMessage(), e);
        }
        JsonLines.writeBytes(png, bytes);
    }
}
