package dev.fathom.conformance;

import dev.fathom.autograd.Gradcheck;
import dev.fathom.conformance.Inputs.Layout;
import dev.fathom.conformance.Inputs.Pair;
import dev.fathom.nn.Functional;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;

import java.util.function.Function;
import java.util.function.ToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * flip, roll, repeat, tril/triu, cumsum, and {@code Functional.oneHot} and {@code pad}: each output
 * entry against the index rule that defines it (written here as naive loops over F64 values), on
 * every layout and dtype; gradients by finite differences; bad arguments refused by name.
 */
class RearrangementsTest extends ConformanceTest {

    /** The F64 array of {@code shape} whose entry at each index is {@code rule(index)}. */
    private static Ref built(int[] shape, ToDoubleFunction<int[]> rule) {
        double[] d = new double[(int) Ref.numel(shape)];
        for (int f = 0; f < d.length; f++) {
            d[f] = rule.applyAsDouble(Ref.unravel(f, shape));
        }
        return new Ref(shape, d);
    }

    @BackendTest
    void everyEntryFollowsItsIndexRule(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(11);
        int[] shape = {2, 3, 4};
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I64, DType.BOOL}) {
            for (Layout layout : Layout.values()) {
                Pair p = in.random(shape, dt, layout, -9, 9);
                Tensor x = p.tensor();
                Ref r = p.ref();
                String at = " " + layout;
                Check.exact("flip(0, 2)" + at, x.flip(0, 2), built(shape, i -> r.get(1 - i[0], i[1], 3 - i[2])), dt);
                Check.exact("flip(-1)" + at, x.flip(-1), built(shape, i -> r.get(i[0], i[1], 3 - i[2])), dt);
                Check.exact("roll(1, 1)" + at, x.roll(1, 1), built(shape, i -> r.get(i[0], Math.floorMod(i[1] - 1, 3), i[2])), dt);
                Check.exact("roll(-5, -1)" + at, x.roll(-5, -1), built(shape, i -> r.get(i[0], i[1], Math.floorMod(i[2] + 5, 4))), dt);
                Check.exact("roll({1, -1}, 0, 2)" + at, x.roll(new int[] {1, -1}, 0, 2),
                        built(shape, i -> r.get(Math.floorMod(i[0] - 1, 2), i[1], Math.floorMod(i[2] + 1, 4))), dt);
                Check.exact("roll flattened by 7" + at, x.roll(new int[] {7}),
                        built(shape, i -> r.data[Math.floorMod(i[0] * 12 + i[1] * 4 + i[2] - 7, 24)]), dt);
                Check.exact("repeat(2, 1, 3)" + at, x.repeat(2, 1, 3), built(new int[] {4, 3, 12}, i -> r.get(i[0] % 2, i[1], i[2] % 4)), dt);
                Check.exact("repeat(2, 1, 1, 1)" + at, x.repeat(2, 1, 1, 1), built(new int[] {2, 2, 3, 4}, i -> r.get(i[1], i[2], i[3])), dt);
                Check.exact("repeat(1, 0, 1)" + at, x.repeat(1, 0, 1), built(new int[] {2, 0, 4}, i -> 0), dt);
                for (int k : new int[] {-3, -1, 0, 1, 2, 5}) {
                    int diagonal = k;
                    Check.exact("tril(" + k + ")" + at, x.tril(k), built(shape, i -> i[2] - i[1] <= diagonal ? r.get(i) : 0), dt);
                    Check.exact("triu(" + k + ")" + at, x.triu(k), built(shape, i -> i[2] - i[1] >= diagonal ? r.get(i) : 0), dt);
                }
                DType sumType = dt == DType.BOOL ? DType.I64 : dt;
                for (int dim : new int[] {0, 1, -1}) {
                    int d = Math.floorMod(dim, 3);
                    Check.close("cumsum(" + dim + ")" + at, x.cumsum(dim), built(shape, i -> {
                        double s = 0;
                        int[] j = i.clone();
                        for (j[d] = 0; j[d] <= i[d]; j[d]++) {
                            s += r.get(j);
                        }
                        return s;
                    }), sumType);
                }
                assertFalse(x.flip(0).sharesStorageWith(x) || x.repeat(1, 1, 1).sharesStorageWith(x) || x.roll(0, 1).sharesStorageWith(x)
                        || x.cumsum(0).sharesStorageWith(x), "copies, as in PyTorch");
            }
        }
        Tensor s = Tensor.scalar(4.0);
        Check.exact("0-d flip", s.flip(0), Ref.scalar(4), DType.F64);
        Check.exact("0-d cumsum", s.cumsum(0), Ref.scalar(4), DType.F64);
        Check.exact("0-d repeat(3)", s.repeat(3), Ref.of(new int[] {3}, 4, 4, 4), DType.F64);
    }

    @BackendTest
    void cumsumOfManyF32ValuesStaysNearTheF64Sum(TestBackends.Case backend) {
        use(backend);
        Pair p = new Inputs(5).random(new int[] {3, 5000}, DType.F32, Layout.CONTIGUOUS, -1, 1);
        double[] got = p.tensor().cumsum(1).toDoubleArray();
        double worst = 0;
        for (int row = 0; row < 3; row++) {
            double s = 0, abs = 0;
            for (int i = 0; i < 5000; i++) {
                s += p.ref().get(row, i);
                abs += Math.abs(p.ref().get(row, i));
                worst = Math.max(worst, Math.abs(got[row * 5000 + i] - s) / abs);
            }
        }
        // A tree of depth log2(5000) ≈ 13 adds: within 13 F32 roundings of the sum of magnitudes.
        assertTrue(worst < 13 * 0x1p-24, "worst error relative to the sum of |x|: " + worst);
    }

    @BackendTest
    void oneHotAndPad(TestBackends.Case backend) {
        use(backend);
        Tensor labels = Tensor.of(new long[] {2, 0, 3, 3, 1, 0}, 2, 3);
        Check.exact("oneHot(5)", Functional.oneHot(labels, 5), built(new int[] {2, 3, 5}, i -> i[2] == new long[] {2, 0, 3, 3, 1, 0}[i[0] * 3 + i[1]] ? 1 : 0),
                DType.I64);
        assertEquals(4, Functional.oneHot(labels, -1).size(-1), "-1 infers the largest label + 1");
        Check.fails(IllegalArgumentException.class, () -> Functional.oneHot(labels, 3), "oneHot", "run from 0 to 3, outside [0, 3)", "raise numClasses");
        Check.fails(IllegalArgumentException.class, () -> Functional.oneHot(labels.to(DType.F32), 5), "oneHot", "must be I64 indices");

        Pair p = new Inputs(3).random(new int[] {2, 3, 4}, DType.F32, Layout.PERMUTED, -9, 9);
        Ref r = p.ref();
        // Last dim: 1 before, 2 after; the middle dim: crop 1 in front, add 1 behind.
        Check.exact("pad({1, 2, -1, 1}, 7)", Functional.pad(p.tensor(), new int[] {1, 2, -1, 1}, 7), built(new int[] {2, 3, 7}, i -> {
            int row = i[1] + 1, col = i[2] - 1;
            return row < 3 && col >= 0 && col < 4 ? r.get(i[0], row, col) : 7;
        }), DType.F32);
        Check.exact("pad of nothing copies", Functional.pad(p.tensor(), new int[0], 0), r, DType.F32);
        assertFalse(Functional.pad(p.tensor(), new int[0], 0).sharesStorageWith(p.tensor()));
        Check.fails(IllegalArgumentException.class, () -> Functional.pad(p.tensor(), new int[] {1}, 0), "pad", "(before, after) pairs");
        Check.fails(IllegalArgumentException.class, () -> Functional.pad(p.tensor(), new int[] {-3, -2}, 0), "pad", "crops 5 entries from dim 2, which holds 4");
    }

    @BackendTest
    void gradientsMatchFiniteDifferences(TestBackends.Case backend) {
        use(backend);
        Tensor x = Inputs.upload(new Inputs(9).values(new int[] {3, 4}, DType.F64, -2, 2, u -> u), DType.F64).requiresGrad(true);
        Tensor w = Inputs.upload(new Inputs(10).values(new int[] {6, 8}, DType.F64, -2, 2, u -> u), DType.F64);
        // Each op's output times fixed weights, so every entry's gradient differs.
        for (Function<Tensor, Tensor> op : java.util.List.<Function<Tensor, Tensor>>of(
                t -> t.flip(0, 1), t -> t.roll(new int[] {1, -3}, 0, 1), t -> t.roll(new int[] {5}), t -> t.repeat(2, 2), t -> t.tril(1), t -> t.triu(-1),
                t -> t.cumsum(1), t -> t.cumsum(0), t -> Functional.pad(t, new int[] {2, 2, -1, 0}, 0.5))) {
            Gradcheck.Report report = Gradcheck.check(a -> {
                Tensor y = op.apply(a[0]);
                return y.mul(w.narrow(0, 0, y.size(0)).narrow(1, 0, y.size(1))).sum();
            }, x);
            assertTrue(report.passed());
        }
    }

    @BackendTest
    void badArgumentsAreRefusedByName(TestBackends.Case backend) {
        Device device = use(backend);
        Tensor x = Tensor.zeros(DType.F32, 2, 3);
        long live = Backends.kernels(device).memoryStats().liveBuffers();
        Check.fails(IllegalArgumentException.class, x::flip, "flip", "no dims given for shape [2, 3]");
        Check.fails(IllegalArgumentException.class, () -> x.flip(2), "flip", "dim 2 is out of range for shape [2, 3]");
        Check.fails(IllegalArgumentException.class, () -> x.flip(1, -1), "flip", "appears more than once");
        Check.fails(IllegalArgumentException.class, () -> x.roll(new int[] {1, 2}), "roll", "without dims, one shift");
        Check.fails(IllegalArgumentException.class, () -> x.roll(new int[] {1, 2}, 0), "roll", "2 shifts [1, 2] for 1 dims [0]");
        Check.fails(IllegalArgumentException.class, () -> x.repeat(2), "repeat", "1 repeats [2] for shape [2, 3]");
        Check.fails(IllegalArgumentException.class, () -> x.repeat(1, -1), "repeat", "must be >= 0");
        Check.fails(IllegalArgumentException.class, () -> x.select(0, 0).tril(), "tril", "at least 2 dims", "shape [3]");
        Check.fails(IllegalArgumentException.class, () -> x.cumsum(2), "cumsum", "dim 2 is out of range");
        assertEquals(live, Backends.kernels(device).memoryStats().liveBuffers(), "a refused call allocates nothing");
    }
}
