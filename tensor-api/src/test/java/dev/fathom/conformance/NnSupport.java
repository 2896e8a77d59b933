package dev.fathom.conformance;

import dev.fathom.autograd.Gradcheck;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Small helpers shared by the nn conformance tests: F64 inputs, comparisons, gradchecks, error checks. */
final class NnSupport {
    final Inputs in;

    NnSupport(long seed) {
        this.in = new Inputs(seed);
    }

    /** Uniform values in [lo, hi). */
    double[] values(int n, double lo, double hi) {
        return in.values(new int[] {n}, DType.F64, lo, hi).data;
    }

    /** Values with magnitudes in [0.2, hi) and random signs: away from the kinks at 0. */
    double[] awayFromZero(int n, double hi) {
        return in.values(new int[] {n}, DType.F64, -1, 1, u -> Math.copySign(0.2 + (hi - 0.2) * Math.abs(u), u)).data;
    }

    /** An F64 leaf that requires grad. */
    static Tensor leaf(double[] data, int... shape) {
        return Tensor.of(data.clone(), shape).requiresGrad(true);
    }

    static Tensor f64(double[] data, int... shape) {
        return Tensor.of(data.clone(), shape);
    }

    static Tensor f32(double[] data, int... shape) {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return Tensor.of(f, shape);
    }

    static Tensor i64(long[] data, int... shape) {
        return Tensor.of(data.clone(), shape);
    }

    static double[] map(double[] x, DoubleUnaryOperator f) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = f.applyAsDouble(x[i]);
        }
        return out;
    }

    /**
     * Shape, then {@code dtype} (the dtype the result must have: that of the inputs, stated by the caller, never read
     * from {@code actual}), then values within {@code tol + tol·|ref|}.
     */
    static void close(String what, Tensor actual, double[] expected, int[] shape, DType dtype, double tol) {
        Check.close(what, actual, new Ref(shape, expected), dtype, tol, tol);
    }

    static void closeScalar(String what, Tensor actual, double expected, DType dtype, double tol) {
        close(what, actual, new double[] {expected}, new int[0], dtype, tol);
    }

    static void gradcheck(Function<Tensor[], Tensor> fn, Tensor... inputs) {
        assertTrue(Gradcheck.check(fn, inputs).passed());
    }

    /**
     * The call, or the read of its result, throws IllegalArgumentException whose message contains
     * every fragment: a check of the data (a class target, an id, a probability) may be reported at
     * the next read on an asynchronous device (Kernels.checkRange).
     */
    static void rejectsData(java.util.function.Supplier<Tensor> call, String... fragments) {
        rejects(() -> call.get().toDoubleArray(), fragments);
    }

    /** The call throws IllegalArgumentException whose message contains every fragment. */
    static void rejects(Runnable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message \"" + e.getMessage() + "\" should contain \"" + f + "\"");
        }
    }
}
