package dev.fathom.bench.report;

import java.util.Locale;

/** Number formats of the report: about four significant digits, no exponent for everyday sizes. */
public final class Fmt {
    private Fmt() {
    }

    /** {@code 1234.5 → "1234"}, {@code 12.345 → "12.3"}, {@code 1.2345 → "1.23"}, {@code 0.012345 → "0.0123"}. */
    public static String num(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            return String.valueOf(x);
        }
        double a = Math.abs(x);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", x);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", x);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", x);
        }
        if (a >= 0.001 || a == 0) {
            return String.format(Locale.ROOT, "%.3g", x);
        }
        return String.format(Locale.ROOT, "%.2e", x);
    }

    /** A fraction as a percentage: {@code 0.4567 → "45.7%"}, {@code 0.04567 → "4.57%"}. */
    public static String pct(double frac) {
        double p = frac * 100;
        return (Math.abs(p) >= 10 ? String.format(Locale.ROOT, "%.1f", p) : String.format(Locale.ROOT, "%.2f", p)) + "%";
    }

    /** A ratio: {@code 0.934 → "0.93×"}. */
    public static String ratio(double r) {
        return String.format(Locale.ROOT, "%.2f×", r);
    }
}
