package dev.fathom.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@link Tensor#toString()} in PyTorch's layout: nested brackets, aligned columns, 4 decimals (or
 * scientific notation when magnitudes span a wide range), tensors over 1000 elements abridged to 3
 * entries at each edge of each dim; then shape, dtype and device.
 */
final class Printer {
    private static final int THRESHOLD = 1000;
    private static final int EDGE = 3;
    private static final String PREFIX = "tensor(";

    private Printer() {
    }

    static String format(Tensor t) {
        String tail = "shape=" + Shape.format(t.shape) + ", dtype=" + t.dtype() + ", device=" + t.device()
                + (t.gradFn() != null ? ", gradFn=" + t.gradFn().op() : t.requiresGrad() ? ", requiresGrad=true" : "") + ")";
        if (t.isClosed()) {
            return PREFIX + "<closed>, " + tail;
        }
        int[] shape = t.shape;
        boolean abridged = t.numel() > THRESHOLD;
        if (t.numel() == 0) {
            return PREFIX + "[], " + tail;
        }
        boolean[] visible = visible(shape, abridged);
        String[] cells = cells(t, visible);
        int width = 0;
        for (int i = 0; i < cells.length; i++) {
            if (visible[i]) {
                width = Math.max(width, cells[i].length());
            }
        }
        StringBuilder sb = new StringBuilder(PREFIX);
        if (shape.length == 0) {
            sb.append(cells[0]);
        } else {
            appendDim(sb, cells, shape, Shape.contiguousStrides(shape), 0, 0, width, abridged, PREFIX.length());
        }
        return sb.append(", ").append(tail).toString();
    }

    private static void appendDim(StringBuilder sb, String[] cells, int[] shape, long[] strides, int dim, long base, int width,
                                  boolean abridged, int indent) {
        sb.append('[');
        int n = shape[dim];
        List<Integer> idx = shown(n, abridged);
        boolean last = dim == shape.length - 1;
        for (int k = 0; k < idx.size(); k++) {
            int i = idx.get(k);
            if (k > 0) {
                sb.append(',');
                if (last) {
                    sb.append(' ');
                } else {
                    sb.append("\n".repeat(shape.length - dim - 1)).append(" ".repeat(indent + dim + 1));
                }
            }
            if (i < 0) {
                sb.append("...");
                continue;
            }
            long at = base + i * strides[dim];
            if (last) {
                String c = cells[(int) at];
                sb.append(" ".repeat(width - c.length())).append(c);
            } else {
                appendDim(sb, cells, shape, strides, dim + 1, at, width, abridged, indent);
            }
        }
        sb.append(']');
    }

    /** Indices shown along a dim of size n; -1 marks the ellipsis. */
    private static List<Integer> shown(int n, boolean abridged) {
        List<Integer> out = new ArrayList<>();
        if (!abridged || n <= 2 * EDGE) {
            for (int i = 0; i < n; i++) {
                out.add(i);
            }
        } else {
            for (int i = 0; i < EDGE; i++) {
                out.add(i);
            }
            out.add(-1);
            for (int i = n - EDGE; i < n; i++) {
                out.add(i);
            }
        }
        return out;
    }

    /** Which flat elements are printed (all, unless abridged). */
    private static boolean[] visible(int[] shape, boolean abridged) {
        int n = (int) Shape.numel(shape);
        boolean[] v = new boolean[n];
        if (!abridged) {
            java.util.Arrays.fill(v, true);
            return v;
        }
        long[] strides = Shape.contiguousStrides(shape);
        for (int i = 0; i < n; i++) {
            boolean show = true;
            for (int d = 0; d < shape.length && show; d++) {
                int idx = (int) (i / strides[d] % shape[d]);
                show = shape[d] <= 2 * EDGE || idx < EDGE || idx >= shape[d] - EDGE;
            }
            v[i] = show;
        }
        return v;
    }

    private static String[] cells(Tensor t, boolean[] visible) {
        switch (t.dtype()) {
            case BOOL -> {
                boolean[] b = t.toBooleanArray();
                String[] s = new String[b.length];
                for (int i = 0; i < b.length; i++) {
                    s[i] = b[i] ? "true" : "false";
                }
                return s;
            }
            case I64 -> {
                long[] l = t.toLongArray();
                String[] s = new String[l.length];
                for (int i = 0; i < l.length; i++) {
                    s[i] = Long.toString(l[i]);
                }
                return s;
            }
            default -> {
                double[] all = t.toDoubleArray();
                int shown = 0;
                for (boolean b : visible) {
                    shown += b ? 1 : 0;
                }
                double[] sample = new double[shown];
                for (int i = 0, j = 0; i < all.length; i++) {
                    if (visible[i]) {
                        sample[j++] = all[i];
                    }
                }
                String[] style = floats(sample);
                // Format every element in the style chosen from the visible ones.
                return formatLike(all, sample, style);
            }
        }
    }

    private static String[] formatLike(double[] all, double[] sample, String[] sampleCells) {
        if (all.length == sample.length) {
            return sampleCells;
        }
        Style st = style(sample);
        String[] out = new String[all.length];
        for (int i = 0; i < all.length; i++) {
            out[i] = cell(all[i], st);
        }
        return out;
    }

    /** How a set of floats is printed. */
    private record Style(boolean sci, boolean allInt) {
    }

    /** PyTorch's choice: integers as "3.", else 4 decimals, else scientific when the range is wide. */
    private static Style style(double[] v) {
        boolean allInt = true;
        double maxAbs = 0, minAbs = Double.POSITIVE_INFINITY;
        for (double x : v) {
            if (!Double.isFinite(x)) {
                continue;
            }
            allInt &= x == Math.rint(x);
            double a = Math.abs(x);
            maxAbs = Math.max(maxAbs, a);
            if (a > 0) {
                minAbs = Math.min(minAbs, a);
            }
        }
        if (allInt) {
            return new Style(maxAbs >= 1e8, true);
        }
        boolean sci = maxAbs >= 1e8 || minAbs < 1e-4 || maxAbs / minAbs > 1000;
        return new Style(sci, false);
    }

    private static String cell(double x, Style st) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        if (st.sci()) {
            return String.format(Locale.ROOT, "%.4e", x).replaceAll("e([+-])(\\d)$", "e$10$2");
        }
        return st.allInt() ? String.format(Locale.ROOT, "%.0f.", x) : String.format(Locale.ROOT, "%.4f", x);
    }

    static String[] floats(double[] v) {
        Style st = style(v);
        String[] s = new String[v.length];
        for (int i = 0; i < v.length; i++) {
            s[i] = cell(v[i], st);
        }
        return s;
    }
}
