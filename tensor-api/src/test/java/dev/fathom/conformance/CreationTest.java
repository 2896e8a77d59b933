package dev.fathom.conformance;

import dev.fathom.conformance.Inputs.Layout;
import dev.fathom.conformance.Inputs.Pair;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Factories, dtype casts, reading values back to the host, and toString's PyTorch-like layout. */
class CreationTest extends ConformanceTest {

    @BackendTest
    void factories(TestBackends.Case backend) {
        Device device = use(backend);
        Check.exact("arange(5)", Tensor.arange(5), Ref.of(new int[] {5}, 0, 1, 2, 3, 4), DType.I64);
        Check.exact("arange(0)", Tensor.arange(0), new Ref(new int[] {0}, new double[0]), DType.I64);
        Check.exact("arange(1, 2, 0.25) F64", Tensor.arange(1, 2, 0.25, DType.F64), Ref.of(new int[] {4}, 1, 1.25, 1.5, 1.75), DType.F64);
        Check.exact("arange(5, 0, -2) F32", Tensor.arange(5, 0, -2, DType.F32), Ref.of(new int[] {3}, 5, 3, 1), DType.F32);
        Check.exact("arange(-3, 3, 2) I64", Tensor.arange(-3, 3, 2, DType.I64), Ref.of(new int[] {3}, -3, -1, 1), DType.I64);
        Check.exact("arange(0, 1, 0.3) has ceil((end-start)/step) elements", Tensor.arange(0, 1, 0.3, DType.F64),
                Ref.of(new int[] {4}, 0, 0.3, 0.6, 0.8999999999999999), DType.F64);
        Check.exact("eye(3)", Tensor.eye(3), Ref.of(new int[] {3, 3}, 1, 0, 0, 0, 1, 0, 0, 0, 1), DType.F32);
        Check.exact("eye(2, I64)", Tensor.eye(2, DType.I64), Ref.of(new int[] {2, 2}, 1, 0, 0, 1), DType.I64);
        Check.exact("eye(0)", Tensor.eye(0), new Ref(new int[] {0, 0}, new double[0]), DType.F32);
        Check.exact("zeros", Tensor.zeros(2, 3), Ref.full(new int[] {2, 3}, 0), DType.F32);
        Check.exact("ones F64", Tensor.ones(DType.F64, 4), Ref.full(new int[] {4}, 1), DType.F64);
        Check.exact("ones BOOL", Tensor.ones(DType.BOOL, 2), Ref.full(new int[] {2}, 1), DType.BOOL);
        Check.exact("full", Tensor.full(2.5, 3), Ref.full(new int[] {3}, 2.5), DType.F32);
        Check.exact("full I64", Tensor.full(-7, DType.I64, 2, 2), Ref.full(new int[] {2, 2}, -7), DType.I64);
        Check.exact("full 0-d", Tensor.full(3, DType.F64), Ref.scalar(3), DType.F64);
        Check.exact("zeros with a size-0 dim", Tensor.zeros(DType.F64, device, 3, 0), new Ref(new int[] {3, 0}, new double[0]), DType.F64);
        Tensor like = Tensor.of(new long[] {1, 2, 3, 4}, 2, 2);
        Check.exact("zerosLike", Tensor.zerosLike(like), Ref.full(new int[] {2, 2}, 0), DType.I64);
        Check.exact("onesLike", Tensor.onesLike(like), Ref.full(new int[] {2, 2}, 1), DType.I64);
        Check.exact("fullLike", Tensor.fullLike(like, 9), Ref.full(new int[] {2, 2}, 9), DType.I64);
        assertEquals(device, Tensor.zeros(2).device(), "factories use the default device");
        assertEquals(device, Tensor.ones(DType.F32, device, 2).device());
    }

    @BackendTest
    void ofAndHostReads(TestBackends.Case backend) {
        use(backend);
        Check.exact("of(float[])", Tensor.of(new float[] {1.5f, -2, 3}, 3), Ref.of(new int[] {3}, 1.5, -2, 3), DType.F32);
        Check.exact("of(double[]) 2-D", Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 3, 2), Ref.of(new int[] {3, 2}, 1, 2, 3, 4, 5, 6), DType.F64);
        Check.exact("of(long[])", Tensor.of(new long[] {Long.MAX_VALUE, -1}, 2), Ref.of(new int[] {2}, Long.MAX_VALUE, -1), DType.I64);
        Check.exact("of(boolean[])", Tensor.of(new boolean[] {true, false}, 2), Ref.of(new int[] {2}, 1, 0), DType.BOOL);
        Check.exact("of without a shape is 1-D", Tensor.of(new double[] {4, 5}), Ref.of(new int[] {2}, 4, 5), DType.F64);
        Check.exact("of one value without a shape is 1-D too", Tensor.of(new long[] {4}), Ref.of(new int[] {1}, 4), DType.I64);
        Check.exact("of empty", Tensor.of(new float[0], 2, 0), new Ref(new int[] {2, 0}, new double[0]), DType.F32);
        Check.exact("scalar(float)", Tensor.scalar(1.25f), Ref.scalar(1.25), DType.F32);
        Check.exact("scalar(double)", Tensor.scalar(1.25), Ref.scalar(1.25), DType.F64);
        Check.exact("scalar(long)", Tensor.scalar(3L), Ref.scalar(3), DType.I64);
        Check.exact("scalar(boolean)", Tensor.scalar(true), Ref.scalar(1), DType.BOOL);

        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).t();
        assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, x.toDoubleArray(), "toDoubleArray reads a transpose in its row-major order");
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, x.toFloatArray());
        assertEquals(5.0, x.select(0, 1).select(0, 1).itemDouble());
        assertEquals(5.0f, x.select(0, 1).select(0, 1).item());
        assertEquals(Long.MAX_VALUE, Tensor.scalar(Long.MAX_VALUE).itemLong(), "itemLong is exact beyond 2^53");
        assertArrayEquals(new long[] {1, 0}, Tensor.of(new boolean[] {true, false}, 2).toLongArray());
        assertArrayEquals(new boolean[] {false, true}, Tensor.of(new boolean[] {true, false, true}, 3).narrow(0, 1, 2).toBooleanArray());
        assertEquals(1.0, Tensor.scalar(true).itemDouble());
    }

    @BackendTest
    void casts(TestBackends.Case backend) {
        use(backend);
        double[] v = {0, -0.0, 1.5, -2.7, 2.7, -0.4, 1e10, Double.NaN, 3};
        Ref r = Ref.of(new int[] {v.length}, v);
        Tensor f64 = Inputs.upload(r, DType.F64);
        Check.exact("F64 -> F32 rounds to nearest", f64.to(DType.F32), r.map(x -> (float) x), DType.F32);
        Check.exact("F64 -> F32 -> F64", f64.to(DType.F32).to(DType.F64), r.map(x -> (float) x), DType.F64);
        Check.exact("F64 -> BOOL is != 0 (NaN is true)", f64.to(DType.BOOL), r.map(x -> x != 0 ? 1 : 0), DType.BOOL);
        Ref finite = Ref.of(new int[] {8}, 0, -0.0, 1.5, -2.7, 2.7, -0.4, 1e10, 3);
        for (DType from : new DType[] {DType.F32, DType.F64}) {
            Check.exact(from + " -> I64 truncates toward zero", Inputs.upload(finite, from).to(DType.I64),
                    finite.map(x -> (double) (long) Inputs.round(x, from)), DType.I64);
        }
        Tensor ints = Tensor.of(new long[] {-3, 0, 5, 1L << 40}, 4);
        Check.exact("I64 -> F64", ints.to(DType.F64), Ref.of(new int[] {4}, -3, 0, 5, 1L << 40), DType.F64);
        Check.exact("I64 -> F32", ints.to(DType.F32), Ref.of(new int[] {4}, -3, 0, 5, 1L << 40), DType.F32);
        Check.exact("I64 -> BOOL", ints.to(DType.BOOL), Ref.of(new int[] {4}, 1, 0, 1, 1), DType.BOOL);
        Tensor bools = Tensor.of(new boolean[] {true, false}, 2);
        for (DType to : new DType[] {DType.F32, DType.F64, DType.I64}) {
            Check.exact("BOOL -> " + to, bools.to(to), Ref.of(new int[] {2}, 1, 0), to);
        }
        assertSame(f64, f64.to(DType.F64), "to(own dtype) is the tensor itself");
        Inputs in = new Inputs(1);
        for (Layout layout : Layout.values()) {
            Pair p = in.random(new int[] {3, 4}, DType.F64, layout, -5, 5);
            Check.exact("F64 -> F32 of a " + layout + " tensor", p.tensor().to(DType.F32), p.ref().map(x -> (float) x), DType.F32);
            Check.exact("F64 -> I64 of a " + layout + " tensor", p.tensor().to(DType.I64), p.ref().map(x -> (double) (long) x), DType.I64);
        }
    }

    @BackendTest
    void toStringLooksLikePyTorch(TestBackends.Case backend) {
        Device device = use(backend);
        String tail = ", device=" + device + ")";
        assertEquals("tensor([1., 2., 3.], shape=[3], dtype=F32" + tail, Tensor.of(new float[] {1, 2, 3}, 3).toString());
        assertEquals("tensor([[ 1.5000, -2.2500],\n        [ 3.0000,  4.0000]], shape=[2, 2], dtype=F32" + tail,
                Tensor.of(new float[] {1.5f, -2.25f, 3, 4}, 2, 2).toString());
        assertEquals("tensor(2.5000, shape=[], dtype=F64" + tail, Tensor.scalar(2.5).toString());
        assertEquals("tensor([0, 1, 2], shape=[3], dtype=I64" + tail, Tensor.arange(3).toString());
        assertEquals("tensor([ true, false], shape=[2], dtype=BOOL" + tail, Tensor.of(new boolean[] {true, false}, 2).toString());
        assertEquals("tensor([1.0000e-05, 1.0000e+00], shape=[2], dtype=F64" + tail, Tensor.of(new double[] {1e-5, 1}, 2).toString());
        // PyTorch sizes the columns by the finite values only ("[nan, inf, 1.]"); Fathom pads every cell to the widest.
        assertEquals("tensor([nan, inf,  1.], shape=[3], dtype=F64" + tail,
                Tensor.of(new double[] {Double.NaN, Double.POSITIVE_INFINITY, 1}, 3).toString());
        assertEquals("tensor([], shape=[0, 2], dtype=F32" + tail, Tensor.zeros(0, 2).toString());
        assertEquals("tensor([   0,    1,    2, ..., 1997, 1998, 1999], shape=[2000], dtype=I64" + tail, Tensor.arange(2000).toString());
        assertEquals("tensor([[[1., 2.]],\n\n        [[3., 4.]]], shape=[2, 1, 2], dtype=F32" + tail,
                Tensor.of(new float[] {1, 2, 3, 4}, 2, 1, 2).toString());
        Tensor w = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        assertEquals("tensor([1., 2.], shape=[2], dtype=F64" + ", device=" + device + ", requiresGrad=true)", w.toString());
        assertEquals("tensor([2., 4.], shape=[2], dtype=F64" + ", device=" + device + ", gradFn=mul)", w.mul(2).toString());
        Tensor closed = Tensor.zeros(2);
        closed.close();
        assertEquals("tensor(<closed>, shape=[2], dtype=F32" + tail, closed.toString());
    }
}
