package dev.fathom.conformance;

import dev.fathom.autograd.Gradcheck;
import dev.fathom.conformance.Inputs.Layout;
import dev.fathom.conformance.Inputs.Pair;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Sorted;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;
import java.util.Comparator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sort, argsort and topk against a stable sort of each row written here with
 * {@link Arrays#sort(Object[], Comparator)} (NaN last ascending, first descending, as PyTorch),
 * on every dim, layout and dtype, sizes that are and are not powers of two, ties, NaN and
 * infinities; the values' gradient by finite differences; bad arguments.
 */
class SortingTest extends ConformanceTest {

    /** The stable order of {@code row}: ascending or descending, NaN last ascending and first descending. */
    private static Integer[] order(double[] row, boolean descending) {
        Integer[] idx = new Integer[row.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Comparator<Integer> ascending = (a, b) -> {
            boolean na = Double.isNaN(row[a]), nb = Double.isNaN(row[b]);
            if (na || nb) {
                return Boolean.compare(na, nb);
            }
            return Double.compare(row[a] == 0 ? 0.0 : row[a], row[b] == 0 ? 0.0 : row[b]);   // -0.0 ties with 0.0, as in the tensor's ==
        };
        Arrays.sort(idx, descending ? (a, b) -> ascending.compare(b, a) : ascending);   // Arrays.sort on objects is stable
        return idx;
    }

    /** The reference {@code (values, indices)} of sorting {@code r} along {@code dim}, keeping the first {@code k}. */
    private static Ref[] reference(Ref r, int dim, boolean descending, int k) {
        int[] outShape = r.shape.clone();
        outShape[dim] = k;
        double[] values = new double[(int) Ref.numel(outShape)], indices = new double[values.length];
        int n = r.shape[dim];
        for (int f = 0; f < values.length; f++) {
            int[] at = Ref.unravel(f, outShape);
            if (at[dim] != 0) {
                continue;
            }
            double[] row = new double[n];
            for (int i = 0; i < n; i++) {
                at[dim] = i;
                row[i] = r.get(at);
            }
            Integer[] o = order(row, descending);
            for (int i = 0; i < k; i++) {
                at[dim] = i;
                int out = flat(outShape, at);
                values[out] = row[o[i]];
                indices[out] = o[i];
            }
        }
        return new Ref[] {new Ref(outShape, values), new Ref(outShape, indices)};
    }

    private static int flat(int[] shape, int[] at) {
        int[] strides = Ref.strides(shape);
        int f = 0;
        for (int i = 0; i < at.length; i++) {
            f += at[i] * strides[i];
        }
        return f;
    }

    @BackendTest
    void sortAndTopkMatchAStableSortOfEachRow(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(42);
        for (int[] shape : new int[][] {{3, 5, 7}, {2, 8, 1}, {4, 2, 9}}) {
            for (DType dt : new DType[] {DType.F32, DType.F64, DType.I64, DType.BOOL}) {
                for (Layout layout : new Layout[] {Layout.CONTIGUOUS, Layout.PERMUTED}) {
                    // I64 from a small range: many ties, which must keep their order.
                    Pair p = in.random(shape, dt, layout, dt == DType.I64 ? -3 : -9, dt == DType.I64 ? 3 : 9);
                    for (int dim = 0; dim < 3; dim++) {
                        for (boolean descending : new boolean[] {false, true}) {
                            String what = Arrays.toString(shape) + " " + layout + " dim " + dim + (descending ? " descending" : "");
                            Ref[] e = reference(p.ref(), dim, descending, shape[dim]);
                            try (Sorted s = p.tensor().sort(dim, descending)) {
                                Check.exact("sort values " + what, s.values(), e[0], dt);
                                Check.exact("sort indices " + what, s.indices(), e[1], DType.I64);
                            }
                            Check.exact("argsort " + what, p.tensor().argsort(dim - 3, descending), e[1], DType.I64);
                            int k = Math.min(3, shape[dim]);
                            Ref[] top = reference(p.ref(), dim, descending, k);
                            try (Sorted t = p.tensor().topk(k, dim, descending)) {
                                Check.exact("topk " + k + " values " + what, t.values(), top[0], dt);
                                Check.exact("topk " + k + " indices " + what, t.indices(), top[1], DType.I64);
                            }
                        }
                    }
                }
            }
        }
    }

    @BackendTest
    void nanAndInfinitiesSortAsInPyTorch(TestBackends.Case backend) {
        use(backend);
        double nan = Double.NaN, inf = Double.POSITIVE_INFINITY;
        double[] row = {3, nan, -inf, 0, inf, nan, -0.0, 3, 1e-30};
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor x = Inputs.upload(Ref.of(new int[] {9}, row), dt);
            // torch.sort(x, stable=True): NaNs last (ascending) or first (descending), each group in index order.
            Check.exact("ascending", x.argsort(0, false), Ref.of(new int[] {9}, 2, 3, 6, 8, 0, 7, 4, 1, 5), DType.I64);
            Check.exact("descending", x.argsort(0, true), Ref.of(new int[] {9}, 1, 5, 4, 0, 7, 8, 3, 6, 2), DType.I64);
        }
    }

    @BackendTest
    void edgeSizesAndGradients(TestBackends.Case backend) {
        use(backend);
        Tensor one = Tensor.of(new double[] {5, 4}, 2, 1);
        Check.exact("a dim of 1", one.sort(1, false).indices(), Ref.of(new int[] {2, 1}, 0, 0), DType.I64);
        Tensor empty = Tensor.zeros(DType.F32, 3, 0);
        assertArrayEquals(new int[] {3, 0}, empty.sort(1, true).values().shape());
        Tensor scalar = Tensor.scalar(2.5);
        assertEquals(2.5, scalar.sort(0, false).values().itemDouble());
        assertEquals(0, scalar.argsort(-1, true).itemLong());
        assertArrayEquals(new int[] {2, 0}, Tensor.zeros(DType.F32, 2, 5).topk(0, 1, true).values().shape());

        // Distinct values: the sort is a permutation, its gradient a scatter of the upstream one.
        Tensor x = Inputs.upload(new Inputs(8).values(new int[] {3, 6}, DType.F64, -3, 3, u -> u), DType.F64).requiresGrad(true);
        Tensor w = Inputs.upload(new Inputs(9).values(new int[] {3, 6}, DType.F64, -1, 1, u -> u), DType.F64);
        assertTrue(Gradcheck.check(a -> a[0].sort(1, true).values().mul(w).sum(), x).passed());
        assertTrue(Gradcheck.check(a -> a[0].topk(2, 0, false).values().mul(w.narrow(0, 0, 2)).sum(), x).passed());
    }

    @BackendTest
    void badArgumentsAreRefused(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.zeros(DType.F32, 2, 3);
        Check.fails(IllegalArgumentException.class, () -> x.topk(4, 1, true), "topk", "k must be in [0, 3] (the size of dim 1 of [2, 3]), got 4");
        Check.fails(IllegalArgumentException.class, () -> x.topk(-1, 0, true), "topk", "got -1");
        Check.fails(IllegalArgumentException.class, () -> x.sort(2, false), "sort", "dim 2 is out of range for shape [2, 3]");
        Check.fails(IllegalArgumentException.class, () -> x.argsort(-3, false), "argsort", "dim -3 is out of range");
    }
}
