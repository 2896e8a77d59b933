package dev.fathom.conformance;

import dev.fathom.conformance.Inputs.Layout;
import dev.fathom.conformance.Inputs.Pair;
import dev.fathom.spi.UnaryOp;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;

/**
 * Every {@link UnaryOp} against its scalar formula (the constant's Javadoc), on every shape of
 * {@link Inputs#SHAPES}, every layout, F32 and F64 (and I64/BOOL where defined), plus the IEEE
 * edge values (NaN, ±inf, ±0, ±1000).
 */
class UnaryOpsTest extends ConformanceTest {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    /** The reference of each floating op and the input range its test draws from. */
    record Spec(DoubleUnaryOperator f, double lo, double hi) {
    }

    static Spec spec(UnaryOp op) {
        return switch (op) {
            case NEG -> new Spec(x -> -x, -10, 10);
            case ABS -> new Spec(Math::abs, -10, 10);
            case SIGN -> new Spec(Math::signum, -3, 3);
            case EXP -> new Spec(Math::exp, -10, 10);
            case LOG -> new Spec(Math::log, 0.01, 10);
            case SQRT -> new Spec(Math::sqrt, 0, 10);
            case RSQRT -> new Spec(x -> 1 / Math.sqrt(x), 0.01, 10);
            case RECIPROCAL -> new Spec(x -> 1 / x, 0.1, 10);
            case SIN -> new Spec(Math::sin, -10, 10);
            case COS -> new Spec(Math::cos, -10, 10);
            case TANH -> new Spec(Math::tanh, -10, 10);
            case SIGMOID -> new Spec(UnaryOpsTest::sigmoid, -20, 20);
            case RELU -> new Spec(x -> Double.isNaN(x) ? x : Math.max(x, 0), -5, 5);
            case GELU -> new Spec(x -> x / 2 * (1 + Erf.erf(x / Math.sqrt(2))), -6, 6);
            case GELU_TANH -> new Spec(x -> x / 2 * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))), -6, 6);
            case SILU -> new Spec(x -> x * sigmoid(x), -20, 20);
            case ERF -> new Spec(Erf::erf, -4, 4);
            case NOT -> new Spec(x -> x == 0 ? 1 : 0, 0, 1);
        };
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** Calls the op through the public API (the switch makes a new constant a compile error here). */
    static Tensor apply(UnaryOp op, Tensor x) {
        return switch (op) {
            case NEG -> x.neg();
            case ABS -> x.abs();
            case SIGN -> x.sign();
            case EXP -> x.exp();
            case LOG -> x.log();
            case SQRT -> x.sqrt();
            case RSQRT -> x.rsqrt();
            case RECIPROCAL -> x.reciprocal();
            case SIN -> x.sin();
            case COS -> x.cos();
            case TANH -> x.tanh();
            case SIGMOID -> x.sigmoid();
            case RELU -> x.relu();
            case GELU -> x.gelu();
            case GELU_TANH -> x.geluTanh();
            case SILU -> x.silu();
            case ERF -> x.erf();
            case NOT -> x.logicalNot();
        };
    }

    /** Transcendental ops in F64 get 1e-10 relative: a result computed in the dtype's precision is far closer. */
    private static double rtol(UnaryOp op, DType dt) {
        if (dt == DType.F32) {
            return 2e-5;
        }
        return EnumSet.of(UnaryOp.NEG, UnaryOp.ABS, UnaryOp.SIGN, UnaryOp.RELU).contains(op) ? 0 : 1e-10;
    }

    private static double atol(UnaryOp op, DType dt) {
        return dt == DType.F32 ? 2e-6 : 1e-12;
    }

    static Stream<Arguments> floatingOps() {
        return TestBackends.times(EnumSet.complementOf(EnumSet.of(UnaryOp.NOT)).toArray());
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("floatingOps")
    void floatingOpMatchesReference(TestBackends.Case backend, UnaryOp op) {
        use(backend);
        Inputs in = new Inputs(op.ordinal());
        Spec spec = spec(op);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (int[] shape : Inputs.SHAPES) {
                for (Layout layout : Layout.values()) {
                    Pair p = op == UnaryOp.RECIPROCAL
                            // Both signs, away from the pole: [-10, -0.1] and [0.1, 10].
                            ? in.random(shape, dt, layout, -1, 1, u -> Math.copySign(0.1 + 9.9 * Math.abs(u), u))
                            : in.random(shape, dt, layout, spec.lo(), spec.hi());
                    Ref x = p.ref();
                    Tensor t = p.tensor();
                    Ref expected = x.map(v -> Inputs.round(spec.f().applyAsDouble(v), dt));
                    Check.close(op + " " + layout, apply(op, t), expected, dt, atol(op, dt), rtol(op, dt));
                }
            }
        }
    }

    /** IEEE special values. GELU, GELU_TANH and SILU skip ±inf, where x·Φ(x) is inf·0 and the spec does not say. */
    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("floatingOps")
    void edgeValues(TestBackends.Case backend, UnaryOp op) {
        use(backend);
        Set<UnaryOp> noInfinity = EnumSet.of(UnaryOp.GELU, UnaryOp.GELU_TANH, UnaryOp.SILU);
        double[] values = noInfinity.contains(op)
                ? new double[] {Double.NaN, 0.0, -0.0, 1000, -1000, 1e-30, -2.5}
                : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, 1000, -1000, 1e-30, -2.5};
        Spec spec = spec(op);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Ref x = new Ref(new int[] {values.length}, values.clone()).map(v -> Inputs.round(v, dt));
            Ref expected = x.map(v -> Inputs.round(spec.f().applyAsDouble(v), dt));
            Check.close(op + " edge values " + Arrays.toString(values), apply(op, Inputs.upload(x, dt)), expected, dt,
                    atol(op, dt), rtol(op, dt));
        }
    }

    static Stream<Arguments> integerOps() {
        return TestBackends.times(UnaryOp.INTEGER.toArray());
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("integerOps")
    void integerOpIsExact(TestBackends.Case backend, UnaryOp op) {
        use(backend);
        Inputs in = new Inputs(100 + op.ordinal());
        for (int[] shape : Inputs.SHAPES) {
            for (Layout layout : Layout.values()) {
                Pair p = in.random(shape, DType.I64, layout, -50, 50);
                Check.exact(op + " " + layout, apply(op, p.tensor()), p.ref().map(spec(op).f()), DType.I64);
            }
        }
        Tensor big = Tensor.of(new long[] {Long.MAX_VALUE, -Long.MAX_VALUE, 0, 1L << 53 | 1});
        long[] got = apply(op, big).toLongArray();
        long[] want = switch (op) {
            case NEG -> new long[] {-Long.MAX_VALUE, Long.MAX_VALUE, 0, -(1L << 53 | 1)};
            case ABS -> new long[] {Long.MAX_VALUE, Long.MAX_VALUE, 0, 1L << 53 | 1};
            default -> new long[] {1, -1, 0, 1};
        };
        org.junit.jupiter.api.Assertions.assertArrayEquals(want, got, op + " on large I64 values must not go through double");
    }

    @BackendTest
    void logicalNot(TestBackends.Case backend) {
        use(backend);
        Inputs in = new Inputs(7);
        for (int[] shape : Inputs.SHAPES) {
            for (Layout layout : Layout.values()) {
                Pair p = in.random(shape, DType.BOOL, layout, 0, 1);
                Check.exact("logicalNot " + layout, p.tensor().logicalNot(), p.ref().map(v -> v == 0 ? 1 : 0), DType.BOOL);
            }
        }
    }
}
