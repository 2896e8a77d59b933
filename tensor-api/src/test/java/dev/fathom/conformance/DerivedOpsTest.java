package dev.fathom.conformance;

import dev.fathom.autograd.Gradcheck;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ops built from others rather than kernels: NaN and infinity tests, rounding, log1p/expm1,
 * any/all, norms, linspace and isclose, against {@link Math}'s functions and naive loops in F64
 * (signed zeros, halves, huge values, infinities and NaN included), with gradients by finite
 * differences.
 */
class DerivedOpsTest extends ConformanceTest {
    private static final double NAN = Double.NaN, INF = Double.POSITIVE_INFINITY;

    /** Values that test rounding: halves of both parities, near-halves, signed zeros, whole and huge values, infinities, NaN. */
    private static final double[] EDGES = {-2.5, -1.5, -0.5, -0.4, -0.0, 0.0, 0.3, 0.5, 0.49999999999999994, 1.5, 2.5, 2.7, -2.7, 7, -7,
        0x1p52 + 1, -0x1p52 - 1, 1e20, -1e20, 8388607.5, -8388607.5, INF, -INF, NAN};

    private static Ref ref(double[] v, DoubleUnaryOperator f) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = f.applyAsDouble(v[i]);
        }
        return new Ref(new int[] {v.length}, out);
    }

    /** Element by element, NaN matching NaN and zeros matching in sign. */
    private static void same(String what, Tensor got, Ref expected) {
        double[] g = got.toDoubleArray();
        assertEquals(expected.data.length, g.length, what);
        for (int i = 0; i < g.length; i++) {
            assertEquals(Double.doubleToLongBits(expected.data[i]), Double.doubleToLongBits(g[i]),   // one NaN; -0.0 differs from 0.0
                    what + " at " + i + ": expected " + expected.data[i] + ", got " + g[i]);
        }
    }

    @BackendTest
    void roundingFollowsMathInF64AndF32(TestBackends.Case backend) {
        use(backend);
        for (DType dt : new DType[] {DType.F64, DType.F32}) {
            double[] v = EDGES.clone();
            if (dt == DType.F32) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) v[i];
                }
            }
            Tensor x = Inputs.upload(new Ref(new int[] {v.length}, v), dt);
            same(dt + " floor", x.floor(), ref(v, Math::floor));
            same(dt + " ceil", x.ceil(), ref(v, Math::ceil));
            same(dt + " round (half to even)", x.round(), ref(v, Math::rint));
            same(dt + " trunc", x.trunc(), ref(v, a -> a < 0 ? Math.ceil(a) : Math.floor(a)));
            same(dt + " isnan", x.isnan().to(DType.F64), ref(v, a -> Double.isNaN(a) ? 1 : 0));
            same(dt + " isinf", x.isinf().to(DType.F64), ref(v, a -> Double.isInfinite(a) ? 1 : 0));
            same(dt + " isfinite", x.isfinite().to(DType.F64), ref(v, a -> Double.isFinite(a) ? 1 : 0));
        }
        Tensor ints = Tensor.of(new long[] {-3, 0, 5}, 3);
        assertArrayEquals(new long[] {-3, 0, 5}, ints.floor().toLongArray());
        assertArrayEquals(new boolean[] {false, false, false}, ints.isnan().toBooleanArray());
        assertArrayEquals(new boolean[] {true, true, true}, ints.isfinite().toBooleanArray());
        Check.fails(IllegalArgumentException.class, () -> Tensor.of(new boolean[] {true}, 1).round(), "round", "not defined for BOOL");
        // Rounding is piecewise constant: its gradient is 0, so its result is a constant.
        Tensor w = Tensor.of(new double[] {1.3, -2.7}, 2).requiresGrad(true);
        w.floor().add(w).sum().backward();
        assertArrayEquals(new double[] {1, 1}, w.grad().toDoubleArray());
    }

    @BackendTest
    void log1pAndExpm1KeepTheirTinyTails(TestBackends.Case backend) {
        use(backend);
        double[] v = {1e-300, -1e-20, 1e-10, -1e-7, 3e-5, 0.01, -0.3, 0.9, 5, -1, 700, 1e300, -INF, INF, NAN, 0.0, -0.0};
        Tensor x = Tensor.of(v, v.length);
        Check.close("log1p F64", x.log1p(), ref(v, Math::log1p), DType.F64, 0, 4e-16);
        Check.close("expm1 F64", x.expm1(), ref(v, Math::expm1), DType.F64, 0, 4e-16);
        float[] f = new float[v.length];
        double[] vf = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
            vf[i] = f[i];
        }
        Tensor xf = Tensor.of(f, f.length);
        Check.close("log1p F32", xf.log1p(), ref(vf, a -> (float) Math.log1p(a)), DType.F32, 0, 3e-7);
        Check.close("expm1 F32", xf.expm1(), ref(vf, a -> (float) Math.expm1(a)), DType.F32, 0, 3e-7);
        Tensor leaf = Inputs.upload(new Inputs(3).values(new int[] {2, 4}, DType.F64, -0.9, 2, u -> u), DType.F64).requiresGrad(true);
        assertTrue(Gradcheck.check(a -> a[0].log1p().mul(a[0]).sum(), leaf).passed());
        assertTrue(Gradcheck.check(a -> a[0].expm1().mul(a[0]).sum(), leaf).passed());
        Check.fails(IllegalArgumentException.class, () -> Tensor.of(new long[] {1}, 1).log1p(), "log1p", "needs a floating tensor");
    }

    @BackendTest
    void anyAllNormsLinspaceAndIsclose(TestBackends.Case backend) {
        use(backend);
        Tensor m = Tensor.of(new double[] {0, 0, 0, 1, 0, NAN, 2, 3, 4}, 3, 3);
        assertArrayEquals(new boolean[] {false, true, true}, m.any(1, false).toBooleanArray());
        assertArrayEquals(new boolean[] {false, false, true}, m.all(1, false).toBooleanArray(), "NaN is nonzero");
        assertArrayEquals(new int[] {1, 3}, m.all(0, true).shape());
        assertTrue(m.any().toBooleanArray()[0]);
        assertFalse(m.all().toBooleanArray()[0]);
        assertTrue(Tensor.of(new boolean[] {true, true}, 2).all().toBooleanArray()[0]);
        assertFalse(Tensor.zeros(DType.I64, 0).any().toBooleanArray()[0], "any of nothing is false");
        assertTrue(Tensor.zeros(DType.I64, 0).all().toBooleanArray()[0], "all of nothing is true");

        double[] v = {3, -4, 0, 1, -2, 2};
        Tensor x = Tensor.of(v, 2, 3);
        Check.close("norm", x.norm(), Ref.scalar(Math.sqrt(9 + 16 + 1 + 4 + 4)), DType.F64);
        Check.close("norm 1 over dim 1", x.norm(1, new int[] {1}, false), Ref.of(new int[] {2}, 7, 5), DType.F64);
        Check.close("norm inf over dim 0, kept", x.norm(INF, new int[] {0}, true), Ref.of(new int[] {1, 3}, 3, 4, 2), DType.F64);
        Check.close("norm 3", x.norm(3, new int[0], false), Ref.scalar(Math.cbrt(27 + 64 + 1 + 8 + 8)), DType.F64);
        Tensor leaf = Inputs.upload(new Inputs(4).values(new int[] {3, 4}, DType.F64, -2, 2, u -> u), DType.F64).requiresGrad(true);
        for (Function<Tensor, Tensor> norm : java.util.List.<Function<Tensor, Tensor>>of(t -> t.norm(), t -> t.norm(2, new int[] {1}, true),
                t -> t.norm(3, new int[] {0}, false))) {
            assertTrue(Gradcheck.check(a -> norm.apply(a[0]).sum(), leaf).passed());
        }
        Tensor zero = Tensor.zeros(DType.F64, 3).requiresGrad(true);
        zero.norm().backward();
        assertArrayEquals(new double[] {0, 0, 0}, zero.grad().toDoubleArray(), "the 2-norm's subgradient at 0, as PyTorch's, not 0/0");
        for (double p : new double[] {3, 1.5, 0.5}) {
            // torch 1.13: a zero row, and a zero inside a row, get gradient 0 from every p-norm.
            Tensor rows = Tensor.of(new double[] {0, 0, 1, 0, -2, 3}, 3, 2).requiresGrad(true);
            rows.norm(p, new int[] {1}, false).sum().backward();
            double n = Math.pow(Math.pow(2, p) + Math.pow(3, p), 1 / p);
            Check.close("p = " + p + " gradient with zeros", rows.grad(), Ref.of(new int[] {3, 2}, 0, 0, 1, 0,
                    -Math.pow(2 / n, p - 1), Math.pow(3 / n, p - 1)), DType.F64);
        }
        Check.fails(IllegalArgumentException.class, () -> x.norm(0, new int[0], false), "norm", "p must be positive");

        // torch.linspace(-1, 1, 4) and (0, 1, 5); one step is the start.
        Check.exact("linspace", Tensor.linspace(-1, 1, 4, DType.F64), Ref.of(new int[] {4}, -1, -1 + 2.0 / 3, 1 - 2.0 / 3, 1), DType.F64);
        Check.exact("linspace(-3.3, 7.1, 9) as torch 1.13 prints it", Tensor.linspace(-3.3, 7.1, 9, DType.F64),
                Ref.of(new int[] {9}, -3.3, -2.0, -0.7000000000000002, 0.5999999999999996, 1.9000000000000004, 3.2, 4.5, 5.8, 7.1), DType.F64);
        Check.exact("linspace F32", Tensor.linspace(0, 1, 5, DType.F32), Ref.of(new int[] {5}, 0, 0.25, 0.5, 0.75, 1), DType.F32);
        Check.exact("linspace 1", Tensor.linspace(2, 7, 1, DType.F64), Ref.of(new int[] {1}, 2), DType.F64);
        Check.fails(IllegalArgumentException.class, () -> Tensor.linspace(0, 1, 3, DType.I64), "linspace", "floating dtype");

        Tensor a = Tensor.of(new double[] {1, 1 + 1e-9, INF, -INF, NAN, 100}, 6), b = Tensor.of(new double[] {1, 1, INF, INF, NAN, 101}, 6);
        assertArrayEquals(new boolean[] {true, true, true, false, false, false}, a.isclose(b, 1e-5, 1e-8, false).toBooleanArray());
        assertArrayEquals(new boolean[] {true, true, true, false, true, true}, a.isclose(b, 0.01, 0, true).toBooleanArray());
        assertFalse(a.allclose(b, 1, 1));
        assertArrayEquals(new boolean[] {false, false}, Tensor.of(new double[] {INF, 1}, 2).isclose(Tensor.of(new double[] {1, INF}, 2), INF, INF, false)
                .toBooleanArray(), "an infinity is close only to itself, even with an infinite tolerance");
        assertTrue(a.narrow(0, 0, 3).allclose(b.narrow(0, 0, 3), 1e-5, 1e-8));
    }
}
