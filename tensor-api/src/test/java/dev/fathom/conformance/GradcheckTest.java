package dev.fathom.conformance;

import dev.fathom.autograd.Gradcheck;
import dev.fathom.autograd.Gradcheck.GradcheckException;
import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.UnaryOp;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.EnumSet;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Gradcheck} on every differentiable op: each backward formula against central finite
 * differences in F64, with inputs away from the kinks where the two legitimately differ (relu and
 * abs at 0, clamp bounds, ties of max). Broadcasting, views and a few second derivatives too.
 */
class GradcheckTest extends ConformanceTest {
    private final Inputs in = new Inputs(2718);

    /** A fresh F64 leaf that requires grad, with values drawn as {@code draw(u)}, u uniform in [lo, hi). */
    private Tensor leaf(int[] shape, double lo, double hi, DoubleUnaryOperator draw) {
        return Inputs.upload(in.values(shape, DType.F64, lo, hi, draw), DType.F64).requiresGrad(true);
    }

    private Tensor leaf(double lo, double hi, int... shape) {
        return leaf(shape, lo, hi, u -> u);
    }

    /** Magnitudes in [0.3, 2] with random signs: away from 0 (relu, abs, reciprocal, sign). */
    private Tensor awayFromZero(int... shape) {
        return leaf(shape, -1, 1, u -> Math.copySign(0.3 + 1.7 * Math.abs(u), u));
    }

    private static void check(Function<Tensor[], Tensor> fn, Tensor... inputs) {
        Gradcheck.Report report = Gradcheck.check(fn, inputs);
        assertTrue(report.passed());
    }

    static Stream<Arguments> unaryOps() {
        return TestBackends.times(EnumSet.complementOf(EnumSet.of(UnaryOp.NOT)).toArray());
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("unaryOps")
    void unary(TestBackends.Case backend, UnaryOp op) {
        use(backend);
        Tensor x = switch (op) {
            case LOG, SQRT, RSQRT -> leaf(0.2, 3, 2, 3);
            case ABS, SIGN, RELU, RECIPROCAL -> awayFromZero(2, 3);
            default -> leaf(-2.5, 2.5, 2, 3);
        };
        check(a -> UnaryOpsTest.apply(op, a[0]), x);
        check(a -> UnaryOpsTest.apply(op, a[0].t()).mul(a[0].t()), x);
    }

    static Stream<Arguments> binaryOps() {
        return TestBackends.times(EnumSet.range(BinaryOp.ADD, BinaryOp.MINIMUM).toArray());
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("binaryOps")
    void binaryWithBroadcasting(TestBackends.Case backend, BinaryOp op) {
        use(backend);
        int[][][] pairs = {{{2, 3}, {2, 3}}, {{2, 3}, {3}}, {{2, 1}, {1, 3}}, {{}, {2, 2}}, {{3, 1, 2}, {2, 2}}};
        for (int[][] shapes : pairs) {
            Tensor a = op == BinaryOp.POW ? leaf(0.5, 2, shapes[0]) : leaf(-2, 2, shapes[0]);
            Tensor b = op == BinaryOp.DIV ? awayFromZero(shapes[1]) : op == BinaryOp.POW ? leaf(-2, 2, shapes[1]) : leaf(-2, 2, shapes[1]);
            check(t -> BinaryOpsTest.apply(op, t[0], t[1]), a, b);
            // One side a constant: only the other is perturbed and checked.
            check(t -> BinaryOpsTest.apply(op, t[0], t[1]), a, b.detach());
        }
    }

    @BackendTest
    void scalarOverloadsWhereAndClamp(TestBackends.Case backend) {
        use(backend);
        Tensor x = leaf(0.5, 2, 2, 3);
        check(t -> t[0].add(2).sub(0.5).mul(3).div(4), x);
        check(t -> t[0].pow(3.0), x);
        check(t -> t[0].pow(-0.5), x);
        check(t -> t[0].pow(2.5), x);
        Tensor cond = Tensor.of(new boolean[] {true, false, false, true, true, false}, 2, 3);
        Tensor a = leaf(-2, 2, 2, 3), b = leaf(-2, 2, 3);
        check(t -> Tensor.where(t[0], t[1], t[2]), cond, a, b);
        check(t -> Tensor.where(t[0], t[1], t[2]), cond.select(0, 0), a, leaf(-2, 2, 2, 1));
        // Values in [-2, -1.1] ∪ [-0.4, 0.4] ∪ [1.1, 2]: inside and outside [-0.5, 1], never at a bound.
        Tensor c = leaf(new int[] {3, 4}, -1, 1, u -> Math.abs(u) < 0.4 ? u : Math.copySign(1.1 + (Math.abs(u) - 0.4) * 1.5, u));
        check(t -> t[0].clamp(-0.5, 1), c);
    }

    @BackendTest
    void reductions(TestBackends.Case backend) {
        use(backend);
        Tensor x = leaf(-2, 2, 2, 3, 2);
        for (int[] dims : new int[][] {{}, {0}, {1}, {-1}, {0, 2}}) {
            for (boolean keep : new boolean[] {false, true}) {
                check(t -> t[0].sum(dims, keep), x);
                check(t -> t[0].mean(dims, keep), x);
                check(t -> t[0].logsumexp(dims, keep), x);
                for (int correction : new int[] {0, 1}) {
                    check(t -> t[0].var(dims, correction, keep), x);
                    check(t -> t[0].std(dims, correction, keep), x);
                }
            }
        }
        check(t -> t[0].sum(), x);
        check(t -> t[0].mean(), x);
        check(t -> t[0].var(), x);
        check(t -> t[0].std(), x);
        // Distinct values: no ties, so max and min have one clear winner to route the gradient to.
        Tensor distinct = Tensor.of(new double[] {0.3, -1.2, 2.5, 0.9, 1.7, -0.4, 0.1, 2.2, -2.0, 1.1, 0.6, -0.8}, 3, 4).requiresGrad(true);
        check(t -> t[0].max(), distinct);
        check(t -> t[0].min(), distinct);
        for (int d = -2; d < 2; d++) {
            int dim = d;
            check(t -> t[0].max(dim), distinct);
            check(t -> t[0].min(dim, true), distinct);
            check(t -> t[0].softmax(dim), leaf(-2, 2, 3, 4));
            check(t -> t[0].logSoftmax(dim), leaf(-2, 2, 3, 4));
        }
        check(t -> t[0].softmax(2), x);
    }

    @BackendTest
    void matmul(TestBackends.Case backend) {
        use(backend);
        int[][][] cases = {{{3}, {3}}, {{2, 3}, {3, 4}}, {{3}, {3, 2}}, {{2, 3}, {3}}, {{2, 2, 3}, {3, 2}}, {{2, 1, 2, 3}, {3, 3, 2}}, {{3}, {2, 3, 2}}};
        for (int[][] c : cases) {
            check(t -> t[0].matmul(t[1]), leaf(-1, 1, c[0]), leaf(-1, 1, c[1]));
        }
        Tensor a = leaf(-1, 1, 3, 2), b = leaf(-1, 1, 4, 3);
        check(t -> t[0].t().matmul(t[1].t()), a, b);
        // A transposed operand gets its gradient in its base's layout; one used three times (a
        // recurrent weight) sums those gradients as their transposes. Batched a folds into rows.
        Tensor x = leaf(-1, 1, 2, 3), w = leaf(-1, 1, 4, 3), z = leaf(-1, 1, 2, 2, 3);
        check(t -> {
            Tensor wt = t[1].t();
            return t[0].matmul(wt).tanh().add(t[0].mul(2).matmul(wt)).add(t[0].matmul(wt).mul(t[0].matmul(wt)));
        }, x, w);
        check(t -> t[0].matmul(t[1].t()).tanh(), z, w);
    }

    @BackendTest
    void viewOps(TestBackends.Case backend) {
        use(backend);
        Tensor x = leaf(-2, 2, 2, 3, 2);
        check(t -> t[0].reshape(3, 4), x);
        check(t -> t[0].view(-1), x);
        check(t -> t[0].permute(2, 0, 1), x);
        check(t -> t[0].transpose(0, 2), x);
        check(t -> t[0].select(2, 0).t(), x);
        check(t -> t[0].unsqueeze(1), x);
        check(t -> t[0].unsqueeze(0).squeeze(), x);
        check(t -> t[0].squeeze(0), leaf(-1, 1, 1, 3));
        check(t -> t[0].expand(4, 2, 3), leaf(-1, 1, 2, 1));
        check(t -> t[0].narrow(1, 1, 2), x);
        check(t -> t[0].slice(1, 0, 3, 2), x);
        check(t -> t[0].select(1, -1), x);
        check(t -> t[0].flatten(), x);
        check(t -> t[0].flatten(0, 1), x);
        check(t -> t[0].transpose(0, 1).contiguous(), x);
        check(t -> t[0].transpose(0, 1).reshape(6, 2), x);
        check(t -> t[0].clone(), x);
        check(t -> {
            Tensor[] parts = t[0].chunk(2, 1);
            return parts[0].mul(parts[1].sum(new int[] {1}, true));
        }, x);
        check(t -> {
            Tensor[] parts = t[0].split(2, 1);
            return parts[1].mul(3).add(parts[0].select(1, 0).unsqueeze(1));
        }, x);
        Tensor y = leaf(-2, 2, 2, 1, 2);
        check(t -> Tensor.cat(1, t[0], t[1], t[0]), x, y);
        check(t -> Tensor.stack(0, t[0], t[1].mul(t[0])), leaf(-1, 1, 2, 2), leaf(-1, 1, 2, 2));
        check(t -> Tensor.stack(-1, t[0], t[1]), leaf(-1, 1, 3), leaf(-1, 1, 3));
    }

    @BackendTest
    void indexing(TestBackends.Case backend) {
        use(backend);
        Tensor x = leaf(-2, 2, 4, 3);
        Tensor repeated = Tensor.of(new long[] {2, 0, 2, 3, 2}, 5);
        check(t -> t[0].indexSelect(0, t[1]), x, repeated);
        check(t -> t[0].indexSelect(1, t[1]), x, Tensor.of(new long[] {1, 1, 0}, 3));
        Tensor index = Tensor.of(new long[] {0, 3, 3, 1, 2, 0}, 2, 3);
        check(t -> t[0].gather(0, t[1]), x, index);
        check(t -> t[0].gather(1, t[1]), x, Tensor.of(new long[] {2, 2, 0, 1, 0, 1, 2, 2}, 4, 2));
        Tensor src = leaf(-2, 2, 2, 3);
        check(t -> t[0].scatterAdd(0, t[1], t[2]), x, index, src);
        check(t -> t[0].scatterAdd(0, t[1], t[2]).mul(t[0]), x, index, src);
    }

    @BackendTest
    void castsAndComposites(TestBackends.Case backend) {
        use(backend);
        // Values below 3e-4, so that F32 resolves steps of 1e-6 well enough for the default tolerances.
        Tensor small = leaf(-3e-4, 3e-4, 2, 3);
        check(t -> t[0].to(DType.F32).mul(2).sin().to(DType.F64), small);
        check(t -> t[0].to(DType.F32).to(DType.F64).mul(t[0]), small);
        Tensor a = leaf(-1, 1, 3, 2), b = leaf(-1, 1, 2), w = leaf(-1, 1, 2, 4);
        // A small MLP layer with bias broadcast, a view, a reduction and a softmax.
        check(t -> t[0].add(t[1]).matmul(t[2]).tanh().t().softmax(0).mul(t[0].sum(1).unsqueeze(0)).mean(1), a, b, w);
        check(t -> t[0].mul(t[0]).sum(0).sqrt().add(t[1].exp()).log(), a, b);
    }

    @BackendTest
    void secondOrder(TestBackends.Case backend) {
        use(backend);
        Tensor a = leaf(-1, 1, 2, 3), b = leaf(-1, 1, 3), c = leaf(-1, 1, 3, 2);
        assertTrue(Gradcheck.checkSecondOrder(t -> t[0].mul(t[1]), a, b).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> t[0].tanh(), a).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> t[0].matmul(t[1]).tanh(), a, c).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> t[0].softmax(1), a).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> t[0].exp().mul(t[1]), a, b).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> t[0].sigmoid().mul(t[0]).sum(0), a).passed());
        // Through views and indexing, whose backward formulas (embed, scatterAdd) need their own backward.
        assertTrue(Gradcheck.checkSecondOrder(t -> t[0].narrow(1, 1, 2).mul(t[0].select(1, 0).unsqueeze(1)), a).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> t[0].slice(1, 0, 3, 2).pow(3.0).t(), a).passed());
        Tensor index = Tensor.of(new long[] {1, 0, 1, 1, 1, 0}, 2, 3);
        assertTrue(Gradcheck.checkSecondOrder(t -> t[0].gather(0, t[1]).mul(t[0]), leaf(-1, 1, 2, 3), index).passed());
        assertTrue(Gradcheck.checkSecondOrder(t -> Tensor.cat(0, t[0], t[0].mul(t[0])).logsumexp(0), a).passed());
    }

    @BackendTest
    void gradcheckCatchesAWrongGradient(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.of(new double[] {0.5, -1, 2}, 3).requiresGrad(true);
        // The backward of detach(x)·x gives W·x, but the function's derivative is 2·W·x: the check must say so.
        GradcheckException e = assertThrows(GradcheckException.class, () -> Gradcheck.check(t -> t[0].detach().mul(t[0]), x));
        assertTrue(e.getMessage().contains("input 0") && e.getMessage().contains("analytic") && e.getMessage().contains("numeric"), e.getMessage());
        Gradcheck.Report r = e.report();
        assertEquals(0, r.input());
        assertEquals(2 * r.analytic(), r.numeric(), 1e-6, "the numeric side is twice the analytic one at the worst element");
        assertTrue(!r.passed() && r.maxAbsError() > 0);
        assertNull(x.grad(), "gradcheck leaves the inputs' .grad alone");
    }

    @BackendTest
    void gradcheckValidatesAndCleansUp(TestBackends.Case backend) {
        Device device = use(backend);
        Tensor f32 = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gradcheck.check(t -> t[0].mul(t[1]), Tensor.of(new double[] {1, 2}, 2).requiresGrad(true), f32));
        assertTrue(e.getMessage().contains("input 1") && e.getMessage().contains("F32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Gradcheck.check(t -> t[0].exp(), Tensor.of(new double[] {1}, 1)),
                "no input requires grad");
        Tensor x = leaf(-1, 1, 3, 2);
        long live = settledLiveBuffers(device);
        Gradcheck.check(t -> t[0].matmul(t[0].t()).exp(), x);
        Gradcheck.checkSecondOrder(t -> t[0].matmul(t[0].t()).tanh(), x);
        assertEquals(live, Backends.kernels(device).memoryStats().liveBuffers(), "gradcheck closes every tensor it makes");
        assertNull(x.grad());
    }
}
