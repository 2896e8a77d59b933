package dev.fathom.conformance;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * The reference that defines what each op means: a tiny n-d array ({@code double[]} data in
 * row-major order plus an {@code int[]} shape) with naive loops, computing everything in F64.
 * It is deliberately slow and obvious; it never calls Fathom. Immutable: every method returns a
 * new array. Integer and boolean results are stored as doubles (0/1 for booleans).
 */
final class Ref {
    final int[] shape;
    final double[] data;

    Ref(int[] shape, double[] data) {
        if (numel(shape) != data.length) {
            throw new IllegalArgumentException("Ref: " + data.length + " values for shape " + Arrays.toString(shape));
        }
        this.shape = shape.clone();
        this.data = data;
    }

    static Ref of(int[] shape, double... data) {
        return new Ref(shape, data.clone());
    }

    static Ref scalar(double v) {
        return new Ref(new int[0], new double[] {v});
    }

    static Ref full(int[] shape, double v) {
        double[] d = new double[(int) numel(shape)];
        Arrays.fill(d, v);
        return new Ref(shape, d);
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        return n;
    }

    int rank() {
        return shape.length;
    }

    static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= Math.max(shape[d], 1);
        }
        return s;
    }

    /** The flat row-major index of {@code idx}. */
    int flat(int[] idx) {
        int[] st = strides(shape);
        int f = 0;
        for (int d = 0; d < idx.length; d++) {
            f += idx[d] * st[d];
        }
        return f;
    }

    double get(int... idx) {
        return data[flat(idx)];
    }

    /** The multi-index of flat index {@code f} in {@code shape}. */
    static int[] unravel(long f, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = (int) (f % shape[d]);
            f /= shape[d];
        }
        return idx;
    }

    static int norm(int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) {
            throw new IllegalArgumentException("Ref: dim " + dim + " out of range for rank " + rank);
        }
        return d;
    }

    // ---- elementwise ----------------------------------------------------------------------------

    Ref map(DoubleUnaryOperator f) {
        double[] out = new double[data.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.applyAsDouble(data[i]);
        }
        return new Ref(shape, out);
    }

    /** NumPy broadcasting: align right, sizes equal or 1. */
    static int[] broadcastShape(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("Ref: cannot broadcast " + Arrays.toString(a) + " and " + Arrays.toString(b));
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** This array repeated along size-1 and missing leading dims to {@code target}. */
    Ref broadcastTo(int[] target) {
        double[] out = new double[(int) numel(target)];
        int lead = target.length - shape.length;
        int[] st = strides(shape);
        for (int f = 0; f < out.length; f++) {
            int[] idx = unravel(f, target);
            int src = 0;
            for (int d = 0; d < shape.length; d++) {
                src += (shape[d] == 1 ? 0 : idx[d + lead]) * st[d];
            }
            out[f] = data[src];
        }
        return new Ref(target, out);
    }

    Ref zip(Ref other, DoubleBinaryOperator f) {
        int[] s = broadcastShape(shape, other.shape);
        Ref a = broadcastTo(s), b = other.broadcastTo(s);
        double[] out = new double[a.data.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.applyAsDouble(a.data[i], b.data[i]);
        }
        return new Ref(s, out);
    }

    static Ref where(Ref cond, Ref a, Ref b) {
        int[] s = broadcastShape(broadcastShape(cond.shape, a.shape), b.shape);
        Ref c = cond.broadcastTo(s), x = a.broadcastTo(s), y = b.broadcastTo(s);
        double[] out = new double[c.data.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = c.data[i] != 0 ? x.data[i] : y.data[i];
        }
        return new Ref(s, out);
    }

    // ---- reductions -----------------------------------------------------------------------------

    /** Normalized, sorted dims; empty means all. */
    int[] axes(int... dims) {
        if (dims.length == 0) {
            int[] all = new int[shape.length];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] out = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            out[i] = norm(dims[i], shape.length);
        }
        Arrays.sort(out);
        return out;
    }

    private int[] reducedShape(int[] axes, boolean keepDim) {
        int[] kept = shape.clone();
        for (int a : axes) {
            kept[a] = 1;
        }
        if (keepDim) {
            return kept;
        }
        return Arrays.stream(range(shape.length)).filter(d -> Arrays.binarySearch(axes, d) < 0).map(d -> shape[d]).toArray();
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    /** Folds {@code f} over {@code dims} starting from {@code init}, in row-major order of the reduced elements. */
    Ref reduce(int[] dims, boolean keepDim, double init, DoubleBinaryOperator f) {
        int[] axes = axes(dims);
        int[] kept = shape.clone();
        for (int a : axes) {
            kept[a] = 1;
        }
        double[] out = new double[(int) numel(kept)];
        Arrays.fill(out, init);
        int[] kst = strides(kept);
        for (int i = 0; i < data.length; i++) {
            int[] idx = unravel(i, shape);
            int o = 0;
            for (int d = 0; d < shape.length; d++) {
                o += (kept[d] == 1 ? 0 : idx[d]) * kst[d];
            }
            out[o] = f.applyAsDouble(out[o], data[i]);
        }
        return new Ref(reducedShape(axes, keepDim), out);
    }

    long count(int... dims) {
        long n = 1;
        for (int a : axes(dims)) {
            n *= shape[a];
        }
        return n;
    }

    Ref sum(int[] dims, boolean keepDim) {
        return reduce(dims, keepDim, 0, Double::sum);
    }

    Ref mean(int[] dims, boolean keepDim) {
        long n = count(dims);
        return sum(dims, keepDim).map(v -> v / n);
    }

    Ref var(int[] dims, int correction, boolean keepDim) {
        Ref m = mean(dims, true);
        Ref sq = zip(m, (x, mu) -> (x - mu) * (x - mu));
        double denom = Math.max(count(dims) - correction, 0);
        return sq.sum(dims, keepDim).map(v -> v / denom);
    }

    Ref max(int[] dims, boolean keepDim) {
        return reduce(dims, keepDim, Double.NEGATIVE_INFINITY, (a, b) -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b));
    }

    Ref min(int[] dims, boolean keepDim) {
        return reduce(dims, keepDim, Double.POSITIVE_INFINITY, (a, b) -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b));
    }

    /** Index of the first maximum (max) or minimum along {@code dim}; NaN counts as the extreme. */
    Ref argExtreme(int dim, boolean keepDim, boolean max) {
        int d = norm(dim, shape.length);
        int[] kept = shape.clone();
        kept[d] = 1;
        double[] out = new double[(int) numel(kept)];
        for (int o = 0; o < out.length; o++) {
            int[] idx = unravel(o, kept);
            int best = 0;
            double bv = Double.NaN;
            for (int k = 0; k < shape[d]; k++) {
                idx[d] = k;
                double v = get(idx);
                if (k == 0) {
                    bv = v;
                } else if (!Double.isNaN(bv) && (Double.isNaN(v) || (max ? v > bv : v < bv))) {
                    best = k;
                    bv = v;
                }
            }
            out[o] = best;
        }
        return new Ref(reducedShape(new int[] {d}, keepDim), out);
    }

    Ref logsumexp(int[] dims, boolean keepDim) {
        Ref m = max(dims, true).map(v -> Double.isInfinite(v) ? 0 : v);
        Ref e = zip(m, (x, mu) -> Math.exp(x - mu)).sum(dims, true);
        Ref lse = e.zip(m, (s, mu) -> Math.log(s) + mu);
        return keepDim ? lse : lse.reshape(reducedShape(axes(dims), false));
    }

    Ref logSoftmax(int dim) {
        return zip(logsumexp(new int[] {dim}, true), (x, l) -> x - l);
    }

    Ref softmax(int dim) {
        return logSoftmax(dim).map(Math::exp);
    }

    // ---- linear algebra -------------------------------------------------------------------------

    /** {@code torch.matmul}: 1-D operands get a dim added (then removed), batch dims broadcast. */
    Ref matmul(Ref b) {
        Ref a2 = rank() == 1 ? reshape(1, shape[0]) : this;
        Ref b2 = b.rank() == 1 ? b.reshape(b.shape[0], 1) : b;
        int ra = a2.rank(), rb = b2.rank();
        int m = a2.shape[ra - 2], k = a2.shape[ra - 1], n = b2.shape[rb - 1];
        if (b2.shape[rb - 2] != k) {
            throw new IllegalArgumentException("Ref.matmul: inner dims differ");
        }
        int[] batch = broadcastShape(Arrays.copyOf(a2.shape, ra - 2), Arrays.copyOf(b2.shape, rb - 2));
        int[] as = concat(batch, m, k), bs = concat(batch, k, n), os = concat(batch, m, n);
        Ref A = a2.broadcastTo(as), B = b2.broadcastTo(bs);
        int batches = (int) numel(batch);
        double[] out = new double[(int) numel(os)];
        for (int p = 0; p < batches; p++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int q = 0; q < k; q++) {
                        s += A.data[p * m * k + i * k + q] * B.data[p * k * n + q * n + j];
                    }
                    out[p * m * n + i * n + j] = s;
                }
            }
        }
        Ref r = new Ref(os, out);
        if (rank() == 1) {
            r = r.squeezeDim(r.rank() - 2);
        }
        if (b.rank() == 1) {
            r = r.squeezeDim(r.rank() - 1);
        }
        return r;
    }

    private static int[] concat(int[] head, int... tail) {
        int[] out = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, out, head.length, tail.length);
        return out;
    }

    // ---- movement -------------------------------------------------------------------------------

    Ref reshape(int... newShape) {
        return new Ref(newShape, data.clone());
    }

    /** out[i_0..] = this[j] with j[perm[k]] = i_k, as {@code permute}. */
    Ref permute(int... perm) {
        int[] s = new int[perm.length];
        for (int k = 0; k < perm.length; k++) {
            s[k] = shape[perm[k]];
        }
        double[] out = new double[data.length];
        for (int f = 0; f < out.length; f++) {
            int[] idx = unravel(f, s);
            int[] src = new int[perm.length];
            for (int k = 0; k < perm.length; k++) {
                src[perm[k]] = idx[k];
            }
            out[f] = get(src);
        }
        return new Ref(s, out);
    }

    Ref transpose(int a, int b) {
        int[] perm = range(rank());
        int da = norm(a, rank()), db = norm(b, rank());
        perm[da] = db;
        perm[db] = da;
        return permute(perm);
    }

    /** Elements start, start+step, … below end of dim (bounds already valid). */
    Ref slice(int dim, int start, int end, int step) {
        int d = norm(dim, rank());
        int count = end > start ? (end - start + step - 1) / step : 0;
        int[] s = shape.clone();
        s[d] = count;
        double[] out = new double[(int) numel(s)];
        for (int f = 0; f < out.length; f++) {
            int[] idx = unravel(f, s);
            idx[d] = start + idx[d] * step;
            out[f] = get(idx);
        }
        return new Ref(s, out);
    }

    Ref narrow(int dim, int start, int length) {
        return slice(dim, start, start + length, 1);
    }

    Ref select(int dim, int index) {
        int d = norm(dim, rank());
        return narrow(d, index, 1).squeezeDim(d);
    }

    Ref squeezeDim(int dim) {
        int d = norm(dim, rank());
        if (shape[d] != 1) {
            return this;
        }
        int[] s = new int[rank() - 1];
        for (int i = 0, j = 0; i < rank(); i++) {
            if (i != d) {
                s[j++] = shape[i];
            }
        }
        return reshape(s);
    }

    Ref unsqueeze(int dim) {
        int d = dim < 0 ? dim + rank() + 1 : dim;
        int[] s = new int[rank() + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            s[i] = i == d ? 1 : shape[j++];
        }
        return reshape(s);
    }

    static Ref cat(int dim, Ref... parts) {
        int d = norm(dim, parts[0].rank());
        int[] s = parts[0].shape.clone();
        s[d] = Arrays.stream(parts).mapToInt(p -> p.shape[d]).sum();
        double[] out = new double[(int) numel(s)];
        for (int f = 0; f < out.length; f++) {
            int[] idx = unravel(f, s);
            int p = 0;
            while (idx[d] >= parts[p].shape[d]) {
                idx[d] -= parts[p].shape[d];
                p++;
            }
            out[f] = parts[p].get(idx);
        }
        return new Ref(s, out);
    }

    // ---- indexing -------------------------------------------------------------------------------

    /** out[i] = this[i with i[dim] = index[i]]; index has out's shape. */
    Ref gather(int dim, Ref index) {
        int d = norm(dim, rank());
        double[] out = new double[index.data.length];
        for (int f = 0; f < out.length; f++) {
            int[] idx = unravel(f, index.shape);
            idx[d] = (int) index.data[f];
            out[f] = get(idx);
        }
        return new Ref(index.shape, out);
    }

    Ref indexSelect(int dim, long... index) {
        int d = norm(dim, rank());
        int[] s = shape.clone();
        s[d] = index.length;
        double[] out = new double[(int) numel(s)];
        for (int f = 0; f < out.length; f++) {
            int[] idx = unravel(f, s);
            idx[d] = (int) index[idx[d]];
            out[f] = get(idx);
        }
        return new Ref(s, out);
    }

    /** A copy of this with src[i] added at i with i[dim] = index[i]; repeats accumulate. */
    Ref scatterAdd(int dim, Ref index, Ref src) {
        int d = norm(dim, rank());
        double[] out = data.clone();
        for (int f = 0; f < src.data.length; f++) {
            int[] idx = unravel(f, src.shape);
            idx[d] = (int) index.data[f];
            out[flat(idx)] += src.data[f];
        }
        return new Ref(shape, out);
    }

    @Override
    public String toString() {
        return "Ref" + Arrays.toString(shape) + Arrays.toString(data);
    }
}
