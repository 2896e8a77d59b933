package dev.fathom.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * A reduction's input seen as runs of axes: neighbouring axes that are both reduced or both kept,
 * and whose strides nest (the outer one's stride is the inner one's times its size), read as one
 * axis; axes of size 1 drop out. A sum of a contiguous {@code [B, T, C]} over B and T is then the
 * runs {@code reduced(B·T, stride C), kept(C, stride 1)}: one reduced run with kept columns after
 * it, which {@code reduce.cu}'s column kernels read in place. {@link ReduceLaunches} asks for the two
 * shapes besides rows that it launches without copying x first.
 */
record ReduceLayout(List<Run> runs) {

    /** One run of axes: {@code size} elements {@code stride} apart. */
    record Run(boolean reduced, long size, long stride) {}

    /**
     * The column kernels' view: element (a, r, c) at {@code a·outerStride + r·rowStride + c·colStride},
     * reduced over r. {@code outer} is 1 (stride 0) when no kept run precedes the reduced one.
     */
    record Columns(long outer, long outerStride, long rows, long rowStride, long cols, long colStride) {}

    /**
     * Rows reduced first, then columns: {@code [R1, K, R2]} with R2 contiguous (a conv bias gradient
     * sums {@code [N, C, H·W]} over N and H·W). The {@code outerRows·keptCols} rows (r1, k) of
     * {@code inner} elements lie {@code keptStride} apart; their results, a contiguous
     * {@code [R1, K]}, are then reduced over R1 as columns.
     */
    record RowsThenColumns(long outerRows, long keptCols, long keptStride, long inner) {}

    static ReduceLayout of(int[] shape, long[] strides, boolean[] reduced) {
        List<Run> runs = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            Run last = runs.isEmpty() ? null : runs.getLast();
            if (last != null && last.reduced() == reduced[d] && last.stride() == strides[d] * shape[d]) {
                runs.set(runs.size() - 1, new Run(reduced[d], last.size() * shape[d], strides[d]));
            } else {
                runs.add(new Run(reduced[d], shape[d], strides[d]));
            }
        }
        return new ReduceLayout(List.copyOf(runs));
    }

    /**
     * The column view when the runs are {@code [kept?] reduced kept}: one reduced run with a kept run
     * after it (and at most one before it); null otherwise.
     */
    Columns columns() {
        int n = runs.size();
        if (n < 2 || n > 3 || runs.get(n - 1).reduced() || !runs.get(n - 2).reduced() || (n == 3 && runs.getFirst().reduced())) {
            return null;
        }
        Run r = runs.get(n - 2), c = runs.get(n - 1);
        Run a = n == 3 ? runs.getFirst() : new Run(false, 1, 0);
        return new Columns(a.size(), a.stride(), r.size(), r.stride(), c.size(), c.stride());
    }

    /**
     * The rows-then-columns view when the runs are exactly {@code reduced kept reduced}, the last
     * reduced run contiguous and the first one's stride the kept run's span (so every (r1, k) row
     * starts {@code keptStride} after the one before it); null otherwise.
     */
    RowsThenColumns rowsThenColumns() {
        if (runs.size() != 3 || !runs.get(0).reduced() || runs.get(1).reduced() || !runs.get(2).reduced()) {
            return null;
        }
        Run r1 = runs.get(0), k = runs.get(1), r2 = runs.get(2);
        if (r2.stride() != 1 || r1.stride() != k.size() * k.stride()) {
            return null;
        }
        return new RowsThenColumns(r1.size(), k.size(), k.stride(), r2.size());
    }
}
