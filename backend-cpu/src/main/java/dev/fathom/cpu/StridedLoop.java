package dev.fathom.cpu;

import dev.fathom.spi.Strided;

/**
 * Iteration over several operands of one shape, each with its own strides and offset. Dims of
 * size 1 are dropped and adjacent dims are merged wherever every operand allows it, so a
 * contiguous (or uniformly strided) case becomes one long row. The body sees rows: a count and
 * each operand's offset of the row's first element, with the inner strides fixed per loop.
 */
final class StridedLoop {
    /** Called once per (piece of a) row. {@code off[k]} is operand k's offset of the first element. */
    @FunctionalInterface
    interface Row {
        void run(int count, int[] off);
    }

    final int rank;
    final int[] shape;
    /** strides[k][d] of operand k in the merged dims. */
    final int[][] strides;
    final int[] base;
    final long numel;

    StridedLoop(int[] fullShape, Strided... ops) {
        int k = ops.length;
        long n = 1;
        for (int s : fullShape) {
            n *= s;
        }
        numel = n;
        int r = fullShape.length;
        int[] sh = new int[Math.max(r, 1)];
        int[][] st = new int[k][Math.max(r, 1)];
        int m = 0;
        for (int d = 0; d < r; d++) {
            if (fullShape[d] == 1) {
                continue;
            }
            // A merged size must stay an int: an expanded view (stride 0) of 2^31 elements or more
            // would otherwise wrap, and its loop never end.
            if (m > 0 && (long) sh[m - 1] * fullShape[d] <= Integer.MAX_VALUE && mergeable(ops, d, sh[m - 1], st, m - 1, fullShape)) {
                sh[m - 1] *= fullShape[d];
                for (int j = 0; j < k; j++) {
                    st[j][m - 1] = (int) ops[j].strides()[d];
                }
                continue;
            }
            sh[m] = fullShape[d];
            for (int j = 0; j < k; j++) {
                st[j][m] = (int) ops[j].strides()[d];
            }
            m++;
        }
        if (m == 0) {
            sh[0] = 1;
            m = 1;
        }
        rank = m;
        shape = java.util.Arrays.copyOf(sh, m);
        strides = new int[k][];
        base = new int[k];
        for (int j = 0; j < k; j++) {
            strides[j] = java.util.Arrays.copyOf(st[j], m);
            base[j] = (int) ops[j].offset();
        }
    }

    /** Dim d can merge into the previous merged dim when, for every operand, outer stride == inner stride × inner size. */
    private static boolean mergeable(Strided[] ops, int d, int prevSize, int[][] st, int prev, int[] fullShape) {
        for (int j = 0; j < ops.length; j++) {
            long inner = ops[j].strides()[d];
            if (st[j][prev] != inner * fullShape[d]) {
                return false;
            }
        }
        return true;
    }

    /** The inner stride of operand k. */
    int innerStride(int k) {
        return strides[k][rank - 1];
    }

    /** Runs {@code row} over the elements {@code [lo, hi)} in row-major order. */
    void run(long lo, long hi, Row row) {
        if (lo >= hi) {
            return;
        }
        int k = base.length;
        int[] idx = new int[rank];
        long rem = lo;
        for (int d = rank - 1; d >= 0; d--) {
            idx[d] = (int) (rem % shape[d]);
            rem /= shape[d];
        }
        int[] off = new int[k];
        for (int j = 0; j < k; j++) {
            long o = base[j];
            for (int d = 0; d < rank; d++) {
                o += (long) idx[d] * strides[j][d];
            }
            off[j] = (int) o;
        }
        int last = rank - 1;
        int n = shape[last];
        long pos = lo;
        while (pos < hi) {
            int j0 = idx[last];
            int count = (int) Math.min(n - j0, hi - pos);
            row.run(count, off);
            pos += count;
            if (pos >= hi) {
                break;
            }
            if (j0 + count < n) {
                idx[last] += count;
                for (int j = 0; j < k; j++) {
                    off[j] += count * strides[j][last];
                }
                continue;
            }
            // Wrap the inner dim, then carry into the outer dims.
            idx[last] = 0;
            for (int j = 0; j < k; j++) {
                off[j] -= j0 * strides[j][last];
            }
            for (int d = last - 1; d >= 0; d--) {
                idx[d]++;
                for (int j = 0; j < k; j++) {
                    off[j] += strides[j][d];
                }
                if (idx[d] < shape[d]) {
                    break;
                }
                idx[d] = 0;
                for (int j = 0; j < k; j++) {
                    off[j] -= shape[d] * strides[j][d];
                }
            }
        }
    }

    /** Runs the whole loop, split over the pool when it is large. */
    void runParallel(long grain, Row row) {
        Parallel.forRange(numel, grain, (lo, hi) -> run(lo, hi, row));
    }
}
