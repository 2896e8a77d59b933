package dev.fathom.conformance;

import dev.fathom.conformance.Inputs.Layout;
import dev.fathom.conformance.Inputs.Pair;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reductions against the reference: sum, mean, var, std over every subset of dims (with and
 * without keepDim), max/min, argmax/argmin (first occurrence), logsumexp, softmax and log-softmax
 * (including inputs of ±1e4), and the accuracy of long F32 sums.
 */
class ReductionsTest extends ConformanceTest {
    /** Shapes reductions run on, including 0-d, a size-0 dim and size-1 dims. */
    private static final int[][] SHAPES = {{}, {0}, {1}, {6}, {3, 4}, {2, 0, 3}, {4, 1, 5}, {2, 3, 4}, {3, 2, 2, 3}};

    /** Every dims argument to try for a rank: none (all), each dim, negative dims, pairs, all explicitly. */
    static List<int[]> dimSets(int rank) {
        List<int[]> out = new ArrayList<>();
        out.add(new int[0]);
        for (int d = 0; d < rank; d++) {
            out.add(new int[] {d});
            out.add(new int[] {d - rank});
            for (int e = d + 1; e < rank; e++) {
                out.add(new int[] {e, d});
            }
        }
        if (rank >= 3) {
            int[] all = new int[rank];
            for (int d = 0; d < rank; d++) {
                all[d] = d;
            }
            out.add(all);
        }
        return out;
    }

    @BackendTest
    void sumAndMean(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(1);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            double tol = dt == DType.F32 ? 1e-5 : 1e-12;
            for (int[] shape : SHAPES) {
                for (Layout layout : Layout.values()) {
                    Pair p = in.random(shape, dt, layout, -5, 5);
                    String at = " " + Arrays.toString(shape) + " " + layout;
                    for (int[] dims : dimSets(shape.length)) {
                        for (boolean keep : new boolean[] {false, true}) {
                            String what = " dims=" + Arrays.toString(dims) + " keepDim=" + keep + at;
                            Check.close("sum" + what, p.tensor().sum(dims, keep), p.ref().sum(dims, keep), dt, tol, tol);
                            Check.close("mean" + what, p.tensor().mean(dims, keep), p.ref().mean(dims, keep), dt, tol, tol);
                        }
                    }
                    Check.close("sum()" + at, p.tensor().sum(), p.ref().sum(new int[0], false), dt, tol, tol);
                    Check.close("mean()" + at, p.tensor().mean(), p.ref().mean(new int[0], false), dt, tol, tol);
                }
            }
        }
    }

    @BackendTest
    void randomShapes(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(7);
        for (int trial = 0; trial < 40; trial++) {
            int[] shape = in.shape(4, 6);
            DType dt = trial % 2 == 0 ? DType.F32 : DType.F64;
            double tol = dt == DType.F32 ? 1e-5 : 1e-12;
            Layout layout = Layout.values()[trial % 4];
            Pair p = in.random(shape, dt, layout, -5, 5);
            List<int[]> sets = dimSets(shape.length);
            int[] dims = sets.get(in.random.nextInt(sets.size()));
            boolean keep = in.random.nextBoolean();
            String what = " " + Arrays.toString(shape) + " " + layout + " dims=" + Arrays.toString(dims) + " keepDim=" + keep;
            Check.close("sum" + what, p.tensor().sum(dims, keep), p.ref().sum(dims, keep), dt, tol, tol);
            Check.close("logsumexp" + what, p.tensor().logsumexp(dims, keep), p.ref().logsumexp(dims, keep), dt, tol, tol);
            if (Ref.numel(shape) > 0) {
                Check.exact("max()" + what, p.tensor().max(), p.ref().max(new int[0], false), dt);
                if (shape.length > 0) {
                    int d = in.random.nextInt(shape.length);
                    Check.exact("min(" + d + ")" + what, p.tensor().min(d, keep), p.ref().min(new int[] {d}, keep), dt);
                    Check.exact("argmax(" + d + ")" + what, p.tensor().argmax(d, keep), p.ref().argExtreme(d, keep, true), DType.I64);
                }
            }
        }
    }

    @BackendTest
    void integerAndBooleanSums(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(2);
        for (int[] shape : SHAPES) {
            for (Layout layout : Layout.values()) {
                Pair i = in.random(shape, DType.I64, layout, -100, 100);
                Pair b = in.random(shape, DType.BOOL, layout, 0, 1);
                for (int[] dims : dimSets(shape.length)) {
                    Check.exact("sum I64 " + layout, i.tensor().sum(dims), i.ref().sum(dims, false), DType.I64);
                    Check.exact("sum BOOL counts into I64 " + layout, b.tensor().sum(dims), b.ref().sum(dims, false), DType.I64);
                }
            }
        }
        Check.exact("sum I64 beyond 2^53", Tensor.of(new long[] {1L << 60, 1, -(1L << 60)}).sum(), Ref.scalar(1), DType.I64);
    }

    /** A 0-d tensor takes dim 0 or -1 as its one element, as PyTorch does (torch.tensor(3.).sum(0) is 3). */
    @BackendTest
    void aZeroDimTensorReducesOverDimZero(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.scalar(3f);
        Check.exact("sum(0) of a 0-d tensor", x.sum(0), Ref.scalar(3), DType.F32);
        Check.exact("mean(-1)", x.mean(-1), Ref.scalar(3), DType.F32);
        Check.exact("max(0)", x.max(0), Ref.scalar(3), DType.F32);
        Check.exact("sum([0], keepDim)", x.sum(new int[] {0}, true), Ref.scalar(3), DType.F32);
        Check.exact("argmax(0)", x.argmax(0), Ref.scalar(0), DType.I64);
        Check.exact("argmin(-1, keepDim)", x.argmin(-1, true), Ref.scalar(0), DType.I64);
        Check.fails(IllegalArgumentException.class, () -> x.sum(1), "sum: dim 1 is out of range for shape []", "[-1, 0]");
        Check.fails(IllegalArgumentException.class, () -> x.sum(0, -1), "sum", "more than once");
        Check.fails(IllegalArgumentException.class, () -> x.argmax(1), "argmax: dim 1 is out of range for shape []");
    }

    @BackendTest
    void varAndStd(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(3);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            double tol = dt == DType.F32 ? 5e-5 : 1e-11;
            for (int[] shape : new int[][] {{1}, {6}, {3, 4}, {4, 1, 5}, {2, 3, 4}}) {
                for (Layout layout : Layout.values()) {
                    Pair p = in.random(shape, dt, layout, -3, 3);
                    for (int[] dims : dimSets(shape.length)) {
                        for (int correction : new int[] {0, 1}) {
                            for (boolean keep : new boolean[] {false, true}) {
                                String what = " dims=" + Arrays.toString(dims) + " correction=" + correction + " keepDim=" + keep + " "
                                        + Arrays.toString(shape) + " " + layout;
                                Ref var = p.ref().var(dims, correction, keep);
                                Check.close("var" + what, p.tensor().var(dims, correction, keep), var, dt, tol, tol);
                                Check.close("std" + what, p.tensor().std(dims, correction, keep), var.map(Math::sqrt), dt, tol, tol);
                            }
                        }
                    }
                    Check.close("var() unbiased", p.tensor().var(), p.ref().var(new int[0], 1, false), dt, tol, tol);
                    Check.close("std() unbiased", p.tensor().std(), p.ref().var(new int[0], 1, false).map(Math::sqrt), dt, tol, tol);
                }
            }
        }
    }

    @BackendTest
    void maxMinAndArgExtremes(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(4);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I64}) {
            for (int[] shape : new int[][] {{}, {1}, {7}, {3, 4}, {4, 1, 5}, {2, 3, 4}}) {
                for (Layout layout : Layout.values()) {
                    // Small integers: many ties, so "first occurrence" is really tested (+ 0.0 turns -0.0 into 0.0).
                    Pair p = in.random(shape, dt, layout, -3, 3, u -> Math.rint(u) + 0.0);
                    Tensor t = p.tensor();
                    Ref r = p.ref();
                    String at = " " + Arrays.toString(shape) + " " + layout;
                    Check.exact("max()" + at, t.max(), r.max(new int[0], false), dt);
                    Check.exact("min()" + at, t.min(), r.min(new int[0], false), dt);
                    Check.exact("argmax()" + at, t.argmax(), r.reshape((int) Ref.numel(shape)).argExtreme(0, false, true), DType.I64);
                    Check.exact("argmin()" + at, t.argmin(), r.reshape((int) Ref.numel(shape)).argExtreme(0, false, false), DType.I64);
                    for (int d = -shape.length; d < shape.length; d++) {
                        for (boolean keep : new boolean[] {false, true}) {
                            String what = " dim=" + d + " keepDim=" + keep + at;
                            Check.exact("max" + what, t.max(d, keep), r.max(new int[] {d}, keep), dt);
                            Check.exact("min" + what, t.min(d, keep), r.min(new int[] {d}, keep), dt);
                            Check.exact("argmax" + what, t.argmax(d, keep), r.argExtreme(d, keep, true), DType.I64);
                            Check.exact("argmin" + what, t.argmin(d, keep), r.argExtreme(d, keep, false), DType.I64);
                        }
                    }
                }
            }
        }
    }

    @BackendTest
    void nanPropagatesThroughMaxAndArgmax(TestBackends.Case backend) {
        use(backend);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Ref r = Ref.of(new int[] {2, 4}, 1, Double.NaN, 5, 2, -1, -2, Double.NEGATIVE_INFINITY, 0);
            Tensor t = Inputs.upload(r, dt);
            Check.exact("max(1) with NaN", t.max(1), r.max(new int[] {1}, false), dt);
            Check.exact("min(1) with NaN", t.min(1), r.min(new int[] {1}, false), dt);
            Check.exact("argmax(1) with NaN", t.argmax(1), Ref.of(new int[] {2}, 1, 3), DType.I64);
            Check.exact("argmin(1) with NaN", t.argmin(1), Ref.of(new int[] {2}, 1, 2), DType.I64);
            Check.exact("max() with NaN", t.max(), Ref.scalar(Double.NaN), dt);
        }
    }

    @BackendTest
    void logsumexpSoftmaxLogSoftmax(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(5);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            double tol = dt == DType.F32 ? 2e-5 : 1e-12;
            for (int[] shape : new int[][] {{1}, {7}, {3, 4}, {4, 1, 5}, {2, 3, 4}, {2, 0, 3}}) {
                for (Layout layout : Layout.values()) {
                    Pair p = in.random(shape, dt, layout, -8, 8);
                    String at = " " + Arrays.toString(shape) + " " + layout;
                    for (int[] dims : dimSets(shape.length)) {
                        for (boolean keep : new boolean[] {false, true}) {
                            Check.close("logsumexp dims=" + Arrays.toString(dims) + " keepDim=" + keep + at,
                                    p.tensor().logsumexp(dims, keep), p.ref().logsumexp(dims, keep), dt, tol, tol);
                        }
                    }
                    for (int d = -shape.length; d < shape.length; d++) {
                        Check.close("softmax dim=" + d + at, p.tensor().softmax(d), p.ref().softmax(d), dt, tol, tol);
                        Check.close("logSoftmax dim=" + d + at, p.tensor().logSoftmax(d), p.ref().logSoftmax(d), dt, tol, tol);
                    }
                }
            }
        }
    }

    private static final Ref LARGE = Ref.of(new int[] {3, 3}, 1e4, 1e4 - 1, 1e4 - 3, -1e4, -1e4 + 2, -1e4 - 5, 1e4, -1e4, 0);

    /**
     * Inputs of ±1e4 overflow a naive exp; the results must still be finite and right. The F32
     * tolerance here is 1e-3, the ulp of 1e4 in F32 (see the next test for full accuracy).
     */
    @BackendTest
    void softmaxFamilyIsStableForLargeInputs(TestBackends.Case backend) {
        use(backend);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            double tol = dt == DType.F32 ? 1e-3 : 1e-12;
            Tensor t = Inputs.upload(LARGE, dt);
            for (int d : new int[] {0, 1}) {
                Check.close("softmax(±1e4) dim=" + d, t.softmax(d), LARGE.softmax(d), dt, tol, tol);
                Check.close("logSoftmax(±1e4) dim=" + d, t.logSoftmax(d), LARGE.logSoftmax(d), dt, tol, tol);
            }
            Check.close("logsumexp(±1e4)", t.logsumexp(1), LARGE.logsumexp(new int[] {1}, false), dt, tol, tol);
            Check.close("logsumexp of a -inf row", Inputs.upload(Ref.full(new int[] {1, 3}, Double.NEGATIVE_INFINITY), dt).logsumexp(1),
                    Ref.of(new int[] {1}, Double.NEGATIVE_INFINITY), dt);
        }
    }

    /**
     * Softmax is shift-invariant, so the F32 inputs [1e4, -1e4, 1e4] (exactly representable) have
     * softmax [0.5, 0, 0.5] exactly, and an implementation that subtracts the maximum first gets
     * it to F32 rounding. Subtracting a rounded logsumexp (≈ 1e4 + ln 2, ulp 1e-3) instead loses
     * about 3 digits.
     */
    @BackendTest
    void softmaxOfLargeF32InputsIsAccurate(TestBackends.Case backend) {
        use(backend);
        Tensor t = Inputs.upload(LARGE, DType.F32);
        for (int d : new int[] {0, 1}) {
            Check.close("softmax(±1e4) dim=" + d, t.softmax(d), LARGE.softmax(d), DType.F32, 1e-6, 1e-5);
            Check.close("logSoftmax(±1e4) dim=" + d, t.logSoftmax(d), LARGE.logSoftmax(d), DType.F32, 1e-6, 1e-5);
        }
    }

    /**
     * Few long rows, which a GPU backend cuts into chunks reduced by separate blocks and then merged:
     * the first extreme must still win across chunks (ties 8000 apart, a NaN late in a row), and
     * the sums must match an F64 loop.
     */
    @BackendTest
    void fewLongRowsKeepTheFirstExtremeAndTheirSums(TestBackends.Case backend) {
        use(backend);
        int n = 20_000;
        double[] v = new double[3 * n];
        java.util.SplittableRandom random = new java.util.SplittableRandom(8);
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextInt(-1000, 1000) / 8.0;  // exact in F32: every sum below is exact in F64
        }
        v[7000] = 500;
        v[15000] = 500;                  // row 0: max 500 first at 7000
        v[n + 3] = -500;
        v[n + 19_999] = -500;            // row 1: min -500 first at 3
        v[2 * n + 12_000] = Double.NaN;  // row 2: NaN wins max and min
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor t = Inputs.upload(Ref.of(new int[] {3, n}, v), dt);
            assertArrayEquals(new double[] {7000, argmaxOf(v, n, 1), 12_000}, t.argmax(1).toDoubleArray(), 0,
                    "argmax " + dt);
            assertArrayEquals(new double[] {argminOf(v, n, 0), 3, 12_000}, t.argmin(1).toDoubleArray(), 0, "argmin " + dt);
            double[] max = t.max(1).toDoubleArray();
            assertEquals(500, max[0], 0, "max row 0 " + dt);
            assertTrue(Double.isNaN(max[2]), "max row 2 " + dt);
            double[] sums = t.sum(1).toDoubleArray();
            for (int r = 0; r < 2; r++) {
                double ref = 0;
                for (int j = 0; j < n; j++) {
                    ref += v[r * n + j];
                }
                assertEquals(ref, sums[r], 0, "sum row " + r + " " + dt);
            }
        }
    }

    private static double argmaxOf(double[] v, int n, int row) {
        int best = 0;
        for (int j = 1; j < n; j++) {
            best = v[row * n + j] > v[row * n + best] ? j : best;
        }
        return best;
    }

    private static double argminOf(double[] v, int n, int row) {
        int best = 0;
        for (int j = 1; j < n; j++) {
            best = v[row * n + j] < v[row * n + best] ? j : best;
        }
        return best;
    }

    @BackendTest
    void sumOfTenMillionF32OnesIsExact(TestBackends.Case backend) {
        use(backend);
        assertEquals(1e7, Tensor.ones(10_000_000).sum().itemDouble(), 0, "F32 sum of 10^7 ones (a naive float accumulator stops at 2^24)");
        assertEquals(1e7 / 2, Tensor.ones(10_000_000).reshape(2, 5_000_000).sum(1).toDoubleArray()[1], 0, "row sum of 5·10^6 ones");
    }

    @BackendTest
    void longF32SumIsAccurate(TestBackends.Case backend) {
        use(backend);
        java.util.SplittableRandom random = new java.util.SplittableRandom(6);
        float[] v = new float[1_000_000];
        double exact = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextDouble();
            exact += v[i];
        }
        double got = Tensor.of(v, v.length).sum().itemDouble();
        assertTrue(Math.abs(got - exact) / exact < 1e-6, "sum of 10^6 F32 values: got " + got + ", F64 reference " + exact
                + " (relative error " + Math.abs(got - exact) / exact + ")");
        double mean = Tensor.of(v, 1000, 1000).mean(0).toDoubleArray()[17];
        double exactMean = 0;
        for (int i = 0; i < 1000; i++) {
            exactMean += v[i * 1000 + 17];
        }
        exactMean /= 1000;
        assertEquals(exactMean, mean, 1e-6 * exactMean, "mean over a strided column of 1000 F32 values");
    }

    @BackendTest
    void emptyReductions(TestBackends.Case backend) {
        use(backend);
        Tensor empty = Tensor.zeros(DType.F32, 2, 0);
        Check.exact("sum over an empty dim is 0", empty.sum(1), Ref.of(new int[] {2}, 0, 0), DType.F32);
        Check.exact("mean over an empty dim is NaN", empty.mean(1), Ref.of(new int[] {2}, Double.NaN, Double.NaN), DType.F32);
        Check.exact("sum over a non-empty dim of an empty tensor", empty.sum(0), new Ref(new int[] {0}, new double[0]), DType.F32);
        Check.exact("max over a non-empty dim of an empty tensor", empty.max(0), new Ref(new int[] {0}, new double[0]), DType.F32);
        // As PyTorch: an extreme over an empty dim is an error, which says which.
        assertEquals("max: cannot reduce over dim 1 of size 0 in shape [2, 0] (a maximum of nothing is undefined)",
                assertThrows(IllegalArgumentException.class, () -> empty.max(1)).getMessage());
        assertEquals("min: cannot reduce over dim 0 of size 0 in shape [0] (a minimum of nothing is undefined)",
                assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(0).min()).getMessage());
    }
}
