package dev.fathom.conformance;

import dev.fathom.conformance.Inputs.Layout;
import dev.fathom.conformance.Inputs.Pair;
import dev.fathom.spi.BinaryOp;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every {@link BinaryOp} (arithmetic, comparisons, logical) against its scalar formula, on
 * broadcasting shape pairs in every layout and every dtype the op is defined for; the scalar
 * overloads ({@code x.add(2.0)}); where, clamp and pow.
 */
class BinaryOpsTest extends ConformanceTest {

    static double ref(BinaryOp op, double a, double b, DType dt) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> dt == DType.I64 ? (double) ((long) a / (long) b) : a / b;
            case POW -> Math.pow(a, b);
            case MAXIMUM -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
            case MINIMUM -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
            case AND -> a != 0 && b != 0 ? 1 : 0;
            case OR -> a != 0 || b != 0 ? 1 : 0;
            case XOR -> (a != 0) != (b != 0) ? 1 : 0;
        };
    }

    static Tensor apply(BinaryOp op, Tensor a, Tensor b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
            case POW -> a.pow(b);
            case MAXIMUM -> a.maximum(b);
            case MINIMUM -> a.minimum(b);
            case EQ -> a.eq(b);
            case NE -> a.ne(b);
            case LT -> a.lt(b);
            case LE -> a.le(b);
            case GT -> a.gt(b);
            case GE -> a.ge(b);
            case AND -> a.logicalAnd(b);
            case OR -> a.logicalOr(b);
            case XOR -> a.logicalXor(b);
        };
    }

    /** The dtypes each op is defined on (BinaryOp's Javadoc). */
    static List<DType> dtypes(BinaryOp op) {
        List<DType> out = new ArrayList<>();
        if (!EnumSetHolder.BOOL_ONLY.contains(op)) {
            out.add(DType.F32);
            out.add(DType.F64);
        }
        if (BinaryOp.INTEGER.contains(op)) {
            out.add(DType.I64);
        }
        if (BinaryOp.LOGICAL.contains(op)) {
            out.add(DType.BOOL);
        }
        return out;
    }

    private static final class EnumSetHolder {
        static final java.util.Set<BinaryOp> BOOL_ONLY = java.util.EnumSet.of(BinaryOp.AND, BinaryOp.OR, BinaryOp.XOR);
    }

    /** The left operand's range; comparisons draw small integers so that ties occur. */
    static double[] rangeA(BinaryOp op, DType dt) {
        if (BinaryOp.COMPARISON.contains(op) || op == BinaryOp.MAXIMUM || op == BinaryOp.MINIMUM) {
            return new double[] {-3, 3};
        }
        return op == BinaryOp.POW ? new double[] {0.1, 3} : new double[] {-10, 10};
    }

    static Pair operand(Inputs in, BinaryOp op, boolean right, int[] shape, DType dt, Layout layout) {
        if (right && op == BinaryOp.DIV) {
            // Divisors away from 0: [-5, -0.5] and [0.5, 5] (integers 1..5 for I64).
            return in.random(shape, dt, layout, -1, 1, u -> Math.copySign(0.5 + 4.5 * Math.abs(u) + (dt == DType.I64 ? 0.5 : 0), u));
        }
        if (right && op == BinaryOp.POW) {
            return in.random(shape, dt, layout, -2.5, 2.5);
        }
        double[] r = rangeA(op, dt);
        if (BinaryOp.COMPARISON.contains(op) || op == BinaryOp.MAXIMUM || op == BinaryOp.MINIMUM) {
            // Ties on purpose: values from {-3, ..., 3}, made fractional by 1/4 steps for the floating dtypes.
            return in.random(shape, dt, layout, r[0], r[1], u -> dt == DType.I64 ? Math.rint(u) : Math.rint(u * 4) / 4);
        }
        return in.random(shape, dt, layout, r[0], r[1]);
    }

    static Stream<Arguments> ops() {
        return TestBackends.times((Object[]) BinaryOp.values());
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("ops")
    void matchesReferenceWithBroadcasting(TestBackends.Case backend, BinaryOp op) {
        use(backend);
        Inputs in = new Inputs(op.ordinal());
        Layout[] layouts = Layout.values();
        for (DType dt : dtypes(op)) {
            boolean comparison = BinaryOp.COMPARISON.contains(op) || BinaryOp.LOGICAL.contains(op);
            DType outType = comparison ? DType.BOOL : dt;
            double rtol = dt == DType.F32 ? (op == BinaryOp.POW ? 2e-5 : 1e-6) : dt == DType.F64 ? 1e-14 : 0;
            double atol = dt == DType.F32 ? 1e-6 : 0;
            for (int[][] shapes : Inputs.BROADCAST_PAIRS) {
                for (int i = 0; i < layouts.length; i++) {
                    Layout la = layouts[i], lb = layouts[(i + 1) % layouts.length];
                    for (boolean swap : new boolean[] {false, true}) {
                        int[] sa = swap ? shapes[1] : shapes[0], sb = swap ? shapes[0] : shapes[1];
                        Pair a = operand(in, op, false, sa, dt, la), b = operand(in, op, true, sb, dt, lb);
                        Ref expected = a.ref().zip(b.ref(), (x, y) -> Inputs.round(ref(op, x, y, dt), outType));
                        Check.close(op + " " + java.util.Arrays.toString(sa) + " " + la + " with " + java.util.Arrays.toString(sb) + " " + lb,
                                apply(op, a.tensor(), b.tensor()), expected, outType, atol, rtol);
                    }
                }
            }
        }
    }

    /** Random broadcast pairs: a random shape, and a partner with some dims set to 1 and some leading dims dropped. */
    @BackendTest
    void randomBroadcastShapes(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(99);
        for (int trial = 0; trial < 40; trial++) {
            int[] sa = in.shape(4, 5);
            int drop = sa.length == 0 ? 0 : in.random.nextInt(sa.length + 1);
            int[] sb = java.util.Arrays.copyOfRange(sa, drop, sa.length);
            for (int d = 0; d < sb.length; d++) {
                if (in.random.nextInt(3) == 0) {
                    sb[d] = 1;
                }
            }
            if (in.random.nextBoolean()) {
                int[] t = sa;
                sa = sb;
                sb = t;
            }
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                Layout la = Layout.values()[in.random.nextInt(4)], lb = Layout.values()[in.random.nextInt(4)];
                Pair a = in.random(sa, dt, la, -3, 3), b = in.random(sb, dt, lb, -3, 3);
                for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.MUL, BinaryOp.MAXIMUM, BinaryOp.GE}) {
                    DType outType = BinaryOp.COMPARISON.contains(op) ? DType.BOOL : dt;
                    Check.close(op + " " + java.util.Arrays.toString(sa) + " " + la + " with " + java.util.Arrays.toString(sb) + " " + lb,
                            apply(op, a.tensor(), b.tensor()), a.ref().zip(b.ref(), (x, y) -> Inputs.round(ref(op, x, y, dt), outType)),
                            outType, 1e-6, 1e-6);
                }
            }
        }
    }

    @BackendTest
    void ieeeEdgeValues(TestBackends.Case backend) {
        use(backend);
        double[] xs = {Double.NaN, 1, Double.POSITIVE_INFINITY, 0, -0.0, 2, Double.NEGATIVE_INFINITY, 1};
        double[] ys = {1, Double.NaN, Double.POSITIVE_INFINITY, 0, 0, 0, 3, Double.NEGATIVE_INFINITY};
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Ref a = Ref.of(new int[] {8}, xs), b = Ref.of(new int[] {8}, ys);
            for (BinaryOp op : BinaryOp.values()) {
                // POW's edge cases differ between Java and C (pow(1, NaN)); see powEdgeValues.
                if (!dtypes(op).contains(dt) || op == BinaryOp.POW) {
                    continue;
                }
                DType outType = BinaryOp.COMPARISON.contains(op) ? DType.BOOL : dt;
                Check.close(op + " on NaN, ±inf, ±0", apply(op, Inputs.upload(a, dt), Inputs.upload(b, dt)),
                        a.zip(b, (x, y) -> Inputs.round(ref(op, x, y, dt), outType)), outType, 0, 1e-6);
            }
        }
    }

    /** The cases where Math.pow and C's pow agree. */
    @BackendTest
    void powEdgeValues(TestBackends.Case backend) {
        use(backend);
        double[] xs = {0, 2, -2, -2, 0, Double.POSITIVE_INFINITY, 4, -8, Double.NaN};
        double[] ys = {0, 0, 3, 0.5, -1, -1, 0.5, 1.0 / 3, 2};
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Ref a = Ref.of(new int[] {xs.length}, xs), b = Ref.of(new int[] {ys.length}, ys).map(v -> Inputs.round(v, dt));
            Check.close("pow edge values", Inputs.upload(a, dt).pow(Inputs.upload(b, dt)),
                    a.zip(b, (x, y) -> Inputs.round(Math.pow(x, y), dt)), dt, 0, 1e-6);
        }
    }

    @BackendTest
    void integerDivisionTruncatesAndThrowsOnZero(TestBackends.Case backend) {
        use(backend);
        Tensor a = Tensor.of(new long[] {7, -7, 7, -7, 0, Long.MIN_VALUE + 1});
        Tensor b = Tensor.of(new long[] {2, 2, -2, -2, 5, 1});
        Check.exact("div I64", a.div(b), Ref.of(new int[] {6}, 3, -3, -3, 3, 0, Long.MIN_VALUE + 1), DType.I64);
        Check.exact("add I64 beyond 2^53", Tensor.of(new long[] {1L << 60}).add(Tensor.of(new long[] {1})).sub(1L << 60),
                Ref.of(new int[] {1}, 1), DType.I64);
        assertThrows(ArithmeticException.class, () -> Tensor.of(new long[] {1, 2}).div(Tensor.of(new long[] {1, 0})).toLongArray(),
                "I64 division by zero throws like Java (BinaryOp.DIV)");
    }

    @BackendTest
    void scalarOverloads(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(31);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I64}) {
            for (Layout layout : Layout.values()) {
                Pair p = in.random(new int[] {3, 4}, dt, layout, -4, 4, u -> dt == DType.I64 ? Math.rint(u) : Math.rint(u * 2) / 2);
                Tensor x = p.tensor();
                Ref r = p.ref();
                double s = dt == DType.I64 ? 2 : 1.5;
                DoubleBinaryOperator div = dt == DType.I64 ? (u, v) -> (double) ((long) u / (long) v) : (u, v) -> u / v;
                String at = " " + dt + " " + layout;
                Check.close("add(s)" + at, x.add(s), r.map(v -> Inputs.round(v + s, dt)), dt);
                Check.close("sub(s)" + at, x.sub(s), r.map(v -> Inputs.round(v - s, dt)), dt);
                Check.close("mul(s)" + at, x.mul(s), r.map(v -> Inputs.round(v * s, dt)), dt);
                Check.close("div(s)" + at, x.div(s), r.map(v -> Inputs.round(div.applyAsDouble(v, s), dt)), dt);
                Check.exact("eq(s)" + at, x.eq(1.0), r.map(v -> v == 1 ? 1 : 0), DType.BOOL);
                Check.exact("ne(s)" + at, x.ne(1.0), r.map(v -> v != 1 ? 1 : 0), DType.BOOL);
                Check.exact("lt(s)" + at, x.lt(1.0), r.map(v -> v < 1 ? 1 : 0), DType.BOOL);
                Check.exact("le(s)" + at, x.le(1.0), r.map(v -> v <= 1 ? 1 : 0), DType.BOOL);
                Check.exact("gt(s)" + at, x.gt(1.0), r.map(v -> v > 1 ? 1 : 0), DType.BOOL);
                Check.exact("ge(s)" + at, x.ge(1.0), r.map(v -> v >= 1 ? 1 : 0), DType.BOOL);
                if (dt != DType.I64) {
                    for (double e : new double[] {2, 3, 0.5, -1, 0}) {
                        // Negative bases with a non-integer exponent give NaN, as Math.pow does.
                        Check.close("pow(" + e + ")" + at, x.pow(e), r.map(v -> Inputs.round(Math.pow(v, e), dt)), dt, 1e-6, 1e-6);
                    }
                }
            }
        }
    }

    @BackendTest
    void whereBroadcastsAllThree(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(41);
        int[][][] shapes = {{{2, 3}, {2, 3}, {2, 3}}, {{3, 1}, {1, 4}, {}}, {{4}, {2, 1}, {1}}, {{}, {2, 2}, {2, 2}}, {{0, 2}, {2}, {1, 2}}};
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I64, DType.BOOL}) {
            for (int[][] s : shapes) {
                for (Layout layout : Layout.values()) {
                    Pair c = in.random(s[0], DType.BOOL, layout, 0, 1);
                    Pair a = in.random(s[1], dt, layout, -5, 5), b = in.random(s[2], dt, Layout.CONTIGUOUS, -5, 5);
                    Check.exact("where " + layout, Tensor.where(c.tensor(), a.tensor(), b.tensor()), Ref.where(c.ref(), a.ref(), b.ref()), dt);
                }
            }
        }
    }

    @BackendTest
    void clamp(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(43);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I64}) {
            double lo = dt == DType.I64 ? -2 : -0.5, hi = dt == DType.I64 ? 3 : 0.75;
            for (int[] shape : Inputs.SHAPES) {
                for (Layout layout : Layout.values()) {
                    Pair p = in.random(shape, dt, layout, -5, 5);
                    Check.exact("clamp " + layout, p.tensor().clamp(lo, hi), p.ref().map(v -> Math.min(Math.max(v, lo), hi)), dt);
                }
            }
        }
        Check.close("clamp keeps NaN", Tensor.of(new double[] {Double.NaN, -9, 9}).clamp(-1, 1),
                Ref.of(new int[] {3}, Double.NaN, -1, 1), DType.F64);
        Check.exact("clamp with infinite bounds", Tensor.of(new double[] {-1e300, 5}).clamp(Double.NEGATIVE_INFINITY, 2),
                Ref.of(new int[] {2}, -1e300, 2), DType.F64);
    }

    @BackendTest
    void logicalOpsBroadcast(TestBackends.Case backend) {
        use(backend);
        Tensor a = Tensor.of(new boolean[] {true, false, true, false}, 4, 1);
        Tensor b = Tensor.of(new boolean[] {true, false}, 2);
        Ref ra = Ref.of(new int[] {4, 1}, 1, 0, 1, 0), rb = Ref.of(new int[] {2}, 1, 0);
        for (BinaryOp op : List.of(BinaryOp.AND, BinaryOp.OR, BinaryOp.XOR, BinaryOp.EQ, BinaryOp.NE)) {
            Check.exact(op + " [4, 1] with [2]", apply(op, a, b), ra.zip(rb, (x, y) -> ref(op, x, y, DType.BOOL)), DType.BOOL);
        }
    }
}
