package dev.fathom.conformance;

import dev.fathom.conformance.Inputs.Layout;
import dev.fathom.conformance.Inputs.Pair;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;

/**
 * matmul with {@code torch.matmul}'s rules against the reference triple loop: 1-D and 2-D
 * operands, batched with broadcast batch dims, transposed operands (strides, not copies), sizes
 * that are not multiples of any tile (1, 7, 17, 33, 65), empty dims and one larger product.
 * Tolerances grow with the inner size K: F32 rounding of a K-term dot product of values in [-1, 1].
 */
class MatmulTest extends ConformanceTest {

    private static double tol(DType dt, int k) {
        return dt == DType.F32 ? 2e-6 * Math.max(k, 8) : 1e-13 * Math.max(k, 8);
    }

    private void check(String what, Pair a, Pair b, DType dt) {
        Ref expected = a.ref().matmul(b.ref());
        int k = a.ref().shape[a.ref().rank() - 1];
        Check.close("matmul " + what + " " + Arrays.toString(a.ref().shape) + " @ " + Arrays.toString(b.ref().shape),
                a.tensor().matmul(b.tensor()), expected, dt, tol(dt, k), tol(dt, k));
    }

    @BackendTest
    void shapeRules(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(1);
        int[][][] cases = {
            {{7}, {7}},                 // 1-D · 1-D: a 0-d dot product
            {{3, 5}, {5, 4}},           // 2-D
            {{5}, {5, 4}},              // 1-D · 2-D: [4]
            {{3, 5}, {5}},              // 2-D · 1-D: [3]
            {{2, 3, 4}, {4, 5}},        // batched · 2-D
            {{4, 5}, {3, 5, 2}},        // 2-D · batched
            {{2, 1, 3, 4}, {5, 4, 6}},  // broadcast batch dims: [2, 5, 3, 6]
            {{4}, {2, 4, 3}},           // 1-D · batched: [2, 3]
            {{2, 3, 4}, {4}},           // batched · 1-D: [2, 3]
            {{1, 1}, {1, 1}},
            {{3, 0}, {0, 4}},           // K = 0: zeros
            {{0, 5}, {5, 3}},           // M = 0
            {{2, 0, 5}, {5, 3}},        // empty batch rows
        };
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (int[][] c : cases) {
                for (Layout layout : Layout.values()) {
                    Pair a = in.random(c[0], dt, layout, -1, 1), b = in.random(c[1], dt, Layout.values()[(layout.ordinal() + 1) % 4], -1, 1);
                    check(layout.toString(), a, b, dt);
                }
            }
        }
    }

    /**
     * Few outputs and a long K, in every operand layout (a GPU backend cuts K into slices computed
     * by separate blocks and adds them afterwards; 1100 is not a multiple of any slice or tile).
     */
    @BackendTest
    void fewOutputsWithALongInnerSize(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(4);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (Layout layout : Layout.values()) {
                Pair a = in.random(new int[] {6, 1100}, dt, layout, -1, 1);
                Pair b = in.random(new int[] {1100, 9}, dt, Layout.values()[(layout.ordinal() + 1) % 4], -1, 1);
                check("long K " + layout, a, b, dt);
            }
        }
    }

    @BackendTest
    void transposedOperands(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(2);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (int[] mkn : new int[][] {{3, 5, 4}, {17, 33, 7}, {1, 65, 1}}) {
                int m = mkn[0], k = mkn[1], n = mkn[2];
                Ref at = in.values(new int[] {k, m}, dt, -1, 1), bt = in.values(new int[] {n, k}, dt, -1, 1);
                Ref a = in.values(new int[] {m, k}, dt, -1, 1), b = in.values(new int[] {k, n}, dt, -1, 1);
                Tensor tat = Inputs.upload(at, dt).t(), tbt = Inputs.upload(bt, dt).t();
                check("aᵀ·b", new Pair(at.transpose(0, 1), tat), new Pair(b, Inputs.upload(b, dt)), dt);
                check("a·bᵀ", new Pair(a, Inputs.upload(a, dt)), new Pair(bt.transpose(0, 1), tbt), dt);
                check("aᵀ·bᵀ", new Pair(at.transpose(0, 1), tat), new Pair(bt.transpose(0, 1), tbt), dt);
                // Batched, transposed on the last two dims, with a broadcast batch dim on b.
                Ref ab = in.values(new int[] {2, k, m}, dt, -1, 1), bb = in.values(new int[] {1, n, k}, dt, -1, 1);
                check("batched transposed", new Pair(ab.transpose(-1, -2), Inputs.upload(ab, dt).transpose(-1, -2)),
                        new Pair(bb.transpose(1, 2), Inputs.upload(bb, dt).transpose(1, 2)), dt);
            }
        }
    }

    /** Every combination of sizes that are not multiples of 16 (and 1, the degenerate tile). */
    @BackendTest
    void oddSizes(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(3);
        int[] sizes = {1, 7, 17, 33, 65};
        for (int m : sizes) {
            for (int k : sizes) {
                for (int n : sizes) {
                    Layout layout = Layout.values()[(m + k + n) % 3];
                    check("odd sizes F32 " + layout, in.random(new int[] {m, k}, DType.F32, layout, -1, 1),
                            in.random(new int[] {k, n}, DType.F32, Layout.CONTIGUOUS, -1, 1), DType.F32);
                }
            }
        }
        for (int s : sizes) {
            check("odd sizes F64", in.random(new int[] {s, 33}, DType.F64, Layout.CONTIGUOUS, -1, 1),
                    in.random(new int[] {33, 65 - s + 1}, DType.F64, Layout.PERMUTED, -1, 1), DType.F64);
        }
    }

    @BackendTest
    void largerProduct(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(4);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            check("130x70x90", in.random(new int[] {130, 70}, dt, Layout.CONTIGUOUS, -1, 1),
                    in.random(new int[] {70, 90}, dt, Layout.CONTIGUOUS, -1, 1), dt);
            check("130x70x90 transposed", in.random(new int[] {130, 70}, dt, Layout.PERMUTED, -1, 1),
                    in.random(new int[] {70, 90}, dt, Layout.PERMUTED, -1, 1), dt);
        }
        check("batched 3x64x48x40", in.random(new int[] {3, 64, 48}, DType.F32, Layout.NARROWED, -1, 1),
                in.random(new int[] {48, 40}, DType.F32, Layout.EXPANDED, -1, 1), DType.F32);
    }

    @BackendTest
    void integerMatmulIsExact(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(5);
        Pair a = in.random(new int[] {2, 3, 5}, DType.I64, Layout.PERMUTED, -20, 20);
        Pair b = in.random(new int[] {5, 4}, DType.I64, Layout.CONTIGUOUS, -20, 20);
        Check.exact("matmul I64", a.tensor().matmul(b.tensor()), a.ref().matmul(b.ref()), DType.I64);
    }
}
