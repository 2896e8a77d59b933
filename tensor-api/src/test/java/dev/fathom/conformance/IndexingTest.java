package dev.fathom.conformance;

import dev.fathom.conformance.Inputs.Layout;
import dev.fathom.conformance.Inputs.Pair;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertThrows;

/** indexSelect, gather and scatterAdd against the reference, including repeated and out-of-range indices. */
class IndexingTest extends ConformanceTest {

    /** Random indices in [0, bound) of {@code shape}, as a reference and an I64 tensor in {@code layout}. */
    private static Pair indices(Inputs in, int[] shape, int bound, Layout layout) {
        return in.random(shape, DType.I64, layout, 0, bound, u -> Math.floor(u));
    }

    @BackendTest
    void maskedFillMaskedSelectWhereWithANumberNonzeroAndUnbind(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.of(new float[] {1, -2, 3, -4, 5, -6}, 2, 3);
        Tensor negative = x.lt(0);
        Check.exact("maskedFill", x.maskedFill(negative, 0.5), Ref.of(new int[] {2, 3}, 1, 0.5, 3, 0.5, 5, 0.5), DType.F32);
        Check.exact("maskedFill with a broadcast mask", x.maskedFill(Tensor.of(new boolean[] {true, false, false}, 3), -1),
                Ref.of(new int[] {2, 3}, -1, -2, 3, -1, 5, -6), DType.F32);
        Check.exact("where(cond, x, number) keeps x's F32", Tensor.where(negative, x, 0.0), Ref.of(new int[] {2, 3}, 0, -2, 0, -4, 0, -6), DType.F32);
        Check.exact("where(cond, number, x)", Tensor.where(negative, 9, x), Ref.of(new int[] {2, 3}, 1, 9, 3, 9, 5, 9), DType.F32);
        Check.fails(IllegalArgumentException.class, () -> x.maskedFill(x, 0), "maskedFill", "the mask must be BOOL");
        Check.fails(IllegalArgumentException.class, () -> x.select(0, 0).maskedFill(negative, 0), "maskedFill", "does not broadcast to the tensor's shape [3]");
        Check.fails(IllegalArgumentException.class, () -> Tensor.where(negative, Tensor.of(new long[] {1, 2, 3}, 3), 0.5), "where", "0.5");

        Tensor m = Tensor.of(new double[] {0, 2, 0, Double.NaN, 0, -1}, 2, 3);
        Check.exact("nonzero", m.nonzero(), Ref.of(new int[] {3, 2}, 0, 1, 1, 0, 1, 2), DType.I64);
        Check.exact("nonzero of BOOL", negative.nonzero(), Ref.of(new int[] {3, 2}, 0, 1, 1, 0, 1, 2), DType.I64);
        Check.exact("nonzero of nothing", Tensor.zeros(DType.I64, 4).nonzero(), Ref.of(new int[] {0, 1}), DType.I64);

        Check.exact("maskedSelect", x.maskedSelect(negative), Ref.of(new int[] {3}, -2, -4, -6), DType.F32);
        Check.exact("maskedSelect with a broadcast mask", x.maskedSelect(Tensor.of(new boolean[] {false, true, true}, 3)),
                Ref.of(new int[] {4}, -2, 3, 5, -6), DType.F32);
        Check.exact("maskedSelect of nothing", x.maskedSelect(x.gt(100)), Ref.of(new int[] {0}), DType.F32);
        Check.fails(IllegalArgumentException.class, () -> x.maskedSelect(x), "maskedSelect", "the mask must be BOOL");
        Tensor picked = Tensor.of(new double[] {1, -2, 3}, 3).requiresGrad(true);
        picked.maskedSelect(picked.gt(0)).mul(Tensor.of(new double[] {7, 8}, 2)).sum().backward();
        Check.exact("maskedSelect gradient", picked.grad(), Ref.of(new int[] {3}, 7, 0, 8), DType.F64);

        // scatter along dim 1: out[i][index[i][j]] = src[i][j]; the rest stays x.
        Tensor base = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Tensor src = Tensor.of(new double[] {10, 20, 30, 40}, 2, 2).requiresGrad(true);
        Tensor idx = Tensor.of(new long[] {2, 0, 1, 2}, 2, 2);
        Tensor out = base.scatter(1, idx, src);
        Check.exact("scatter", out, Ref.of(new int[] {2, 3}, 20, 2, 10, 4, 30, 40), DType.F64);
        out.mul(Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3)).sum().backward();
        Check.exact("scatter's gradient to the input: none where written", base.grad(), Ref.of(new int[] {2, 3}, 0, 2, 0, 4, 0, 0), DType.F64);
        Check.exact("scatter's gradient to the source: gathered", src.grad(), Ref.of(new int[] {2, 2}, 3, 1, 5, 6), DType.F64);
        Check.exact("scatter of a number", Tensor.zeros(DType.F32, 2, 3).scatter(1, idx, 7),
                Ref.of(new int[] {2, 3}, 7, 0, 7, 0, 7, 7), DType.F32);
        Check.exact("sources meeting at one element give their mean", Tensor.zeros(DType.F64, 3).scatter(0, Tensor.of(new long[] {1, 1}, 2),
                Tensor.of(new double[] {2, 6}, 2)), Ref.of(new int[] {3}, 0, 4, 0), DType.F64);
        Check.fails(IllegalArgumentException.class, () -> base.scatter(1, idx, Tensor.zeros(DType.F64, 2, 3)), "scatter: index shape [2, 2] must equal "
                + "the source shape [2, 3]");

        Tensor[] rows = x.unbind(0), cols = x.unbind(-1);
        Check.exact("unbind(0)[1]", rows[1], Ref.of(new int[] {3}, -4, 5, -6), DType.F32);
        Check.exact("unbind(-1)[2]", cols[2], Ref.of(new int[] {2}, 3, -6), DType.F32);
        org.junit.jupiter.api.Assertions.assertEquals(3, cols.length);
        org.junit.jupiter.api.Assertions.assertTrue(rows[0].sharesStorageWith(x), "views, as select gives");

        // maskedFill's gradient flows where the mask does not hold.
        Tensor leaf = Tensor.of(new double[] {1, -2, 3}, 3).requiresGrad(true);
        leaf.maskedFill(leaf.lt(0), 0).mul(Tensor.of(new double[] {4, 5, 6}, 3)).sum().backward();
        Check.exact("maskedFill gradient", leaf.grad(), Ref.of(new int[] {3}, 4, 0, 6), DType.F64);
    }

    @BackendTest
    void indexSelect(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(1);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I64, DType.BOOL}) {
            for (Layout layout : Layout.values()) {
                Pair x = in.random(new int[] {4, 5, 3}, dt, layout, -9, 9);
                for (int dim = -3; dim < 3; dim++) {
                    int size = x.ref().shape[Ref.norm(dim, 3)];
                    long[] idx = {size - 1, 0, size - 1, 1, 1};
                    Check.exact("indexSelect dim " + dim + " " + Arrays.toString(idx) + " " + layout, x.tensor().indexSelect(dim, Tensor.of(idx, 5)),
                            x.ref().indexSelect(dim, idx), dt);
                }
                Check.exact("indexSelect with an empty index", x.tensor().indexSelect(1, Tensor.of(new long[0], 0)),
                        x.ref().indexSelect(1), dt);
                Check.exact("indexSelect with a 0-d index keeps the dim", x.tensor().indexSelect(2, Tensor.scalar(2L)),
                        x.ref().indexSelect(2, 2), dt);
                Tensor strided = Tensor.of(new long[] {2, 9, 0, 9, 3}, 5).slice(0, 0, 5, 2);
                Check.exact("indexSelect with a strided index", x.tensor().indexSelect(0, strided), x.ref().indexSelect(0, 2, 0, 3), dt);
            }
        }
    }

    @BackendTest
    void gather(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(2);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I64}) {
            for (Layout layout : Layout.values()) {
                Pair x = in.random(new int[] {4, 5, 3}, dt, layout, -9, 9);
                for (int dim = 0; dim < 3; dim++) {
                    // The index may be longer than x on dim and shorter on the others.
                    int[] ishape = {3, 4, 2};
                    ishape[dim] = 6;
                    Pair idx = indices(in, ishape, x.ref().shape[dim], Layout.values()[(layout.ordinal() + dim) % 4]);
                    Check.exact("gather dim " + dim + " " + layout, x.tensor().gather(dim, idx.tensor()), x.ref().gather(dim, idx.ref()), dt);
                    Check.exact("gather dim " + (dim - 3), x.tensor().gather(dim - 3, idx.tensor()), x.ref().gather(dim, idx.ref()), dt);
                }
            }
        }
        Tensor logits = Tensor.of(new float[] {0.1f, 0.7f, 0.2f, 0.5f, 0.25f, 0.25f}, 2, 3);
        Check.exact("gather picks one class per row (cross-entropy's use)", logits.gather(1, Tensor.of(new long[] {1, 0}, 2, 1)),
                Ref.of(new int[] {2, 1}, 0.7f, 0.5f), DType.F32);
    }

    @BackendTest
    void scatterAddAccumulatesRepeatedIndices(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(3);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I64}) {
            // Floating sums of repeated indices are exact only up to their order: CUDA adds them with
            // atomics in whatever order the threads arrive (as PyTorch's index_add_ does there), and an
            // H200 run came out 1.8e-15 off a sequential F64 sum. I64 addition is exact in any order.
            double tol = Check.tol(dt);
            for (Layout layout : Layout.values()) {
                Pair x = in.random(new int[] {4, 5, 3}, dt, layout, -9, 9);
                for (int dim = 0; dim < 3; dim++) {
                    int[] sshape = {3, 4, 2};
                    sshape[dim] = 9;
                    // 9 indices into at most 5 slots: repeats are certain.
                    Pair idx = indices(in, sshape, x.ref().shape[dim], Layout.CONTIGUOUS);
                    Pair src = in.random(sshape, dt, Layout.values()[(layout.ordinal() + 1) % 4], -9, 9);
                    Check.close("scatterAdd dim " + dim + " " + layout, x.tensor().scatterAdd(dim, idx.tensor(), src.tensor()),
                            x.ref().scatterAdd(dim, idx.ref(), src.ref()), dt, tol, tol);
                }
            }
        }
        Tensor counts = Tensor.zeros(DType.F64, 3).scatterAdd(0, Tensor.of(new long[] {2, 0, 2, 2, 0}, 5), Tensor.ones(DType.F64, 5));
        Check.exact("scatterAdd counts repeated indices", counts, Ref.of(new int[] {3}, 2, 0, 3), DType.F64);
        Tensor base = Tensor.of(new double[] {1, 2, 3}, 3);
        base.scatterAdd(0, Tensor.of(new long[] {0}, 1), Tensor.of(new double[] {10}, 1));
        Check.exact("scatterAdd returns a copy and leaves its input alone", base, Ref.of(new int[] {3}, 1, 2, 3), DType.F64);
    }

    @BackendTest
    void outOfRangeIndicesThrow(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertThrows(IndexOutOfBoundsException.class, () -> x.gather(1, Tensor.of(new long[] {0, 3}, 2, 1)).toDoubleArray(), "gather index 3 of size 3");
        assertThrows(IndexOutOfBoundsException.class, () -> x.gather(0, Tensor.of(new long[] {-1}, 1, 1)).toDoubleArray(), "gather index -1");
        assertThrows(IndexOutOfBoundsException.class, () -> x.indexSelect(0, Tensor.of(new long[] {0, 2}, 2)).toDoubleArray(), "indexSelect index 2 of size 2");
        assertThrows(IndexOutOfBoundsException.class,
                () -> x.scatterAdd(1, Tensor.of(new long[] {5}, 1, 1), Tensor.of(new double[] {1}, 1, 1)).toDoubleArray(), "scatterAdd index 5 of size 3");
    }
}
