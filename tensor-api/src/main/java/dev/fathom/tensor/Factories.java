package dev.fathom.tensor;

import dev.fathom.Fathom;
import dev.fathom.spi.Kernels;
import dev.fathom.spi.RandomOp;
import dev.fathom.spi.Strided;

/** Creation of tensors from host data, constants, ranges and random streams. */
final class Factories {
    private Factories() {
    }

    /** A tensor of {@code data}; an empty shape means 1-D of the data's length (use {@link #scalar} for 0-d). */
    static Tensor of(Object data, int length, DType dtype, int[] shape) {
        java.util.Objects.requireNonNull(data, "Tensor.of: data is null");
        java.util.Objects.requireNonNull(shape, "Tensor.of: shape is null (give none for 1-D)");
        return upload(data, length, dtype, shape.length == 0 ? new int[] {length} : Shape.check("Tensor.of", shape));
    }

    /** A 0-d tensor holding the single element of {@code data}. */
    static Tensor scalar(Object data, DType dtype) {
        return upload(data, 1, dtype, new int[0]);
    }

    private static Tensor upload(Object data, int length, DType dtype, int[] s) {
        return upload(data, length, dtype, Fathom.defaultDevice(), s);
    }

    /** {@code data} (a host array of {@code dtype}'s kind, {@code length} values) on {@code device}, of shape {@code s}. */
    static Tensor upload(Object data, int length, DType dtype, Device device, int[] s) {
        if (s.length == 0 && length != 1 || s.length > 0 && Shape.numel(s) != length) {
            throw new IllegalArgumentException("Tensor.of: " + length + " values cannot fill shape " + Shape.format(s) + " ("
                    + Shape.numel(s) + " elements)");
        }
        Tensor t = Ops.empty(dtype, device, s);
        if (length > 0) {
            Ops.kernels(t.device()).upload(data, 0, t.storage.buffer, 0, length);
        }
        return t;
    }

    /** {@code data.length} for {@link #of}, or the op's message when the array is null ({@code length} -1). */
    static int length(String op, int length) {
        if (length < 0) {
            throw new NullPointerException(op + ": the data array is null");
        }
        return length;
    }

    static Tensor full(double value, DType dtype, Device device, int[] shape) {
        java.util.Objects.requireNonNull(dtype, "Tensor.full: dtype is null");
        int[] s = Shape.check("Tensor.full", shape);
        String notI64 = Ops.notI64(dtype, value);
        if (notI64 != null) {
            throw new IllegalArgumentException("Tensor.full: " + notI64 + ", but the dtype is I64");
        }
        Tensor t = Ops.empty(dtype, device == null ? Fathom.defaultDevice() : device, s);
        if (t.numel() > 0) {
            Ops.kernels(t.device()).fill(Ops.strided(t), value);
        }
        return t;
    }

    static Tensor arange(double start, double end, double step, DType dtype) {
        if (step == 0 || !Double.isFinite(step) || !Double.isFinite(start) || !Double.isFinite(end)) {
            throw new IllegalArgumentException("arange: need finite bounds and a finite, non-zero step, got start=" + start + " end=" + end + " step=" + step);
        }
        if (end != start && (end > start) != (step > 0)) {
            throw new IllegalArgumentException("arange: the step " + step + " goes away from the end: start=" + start + " end=" + end
                    + " (the end is excluded; for a descending range give a negative step, e.g. arange(5, 0, -1))");
        }
        if (dtype == DType.BOOL) {
            throw new IllegalArgumentException("arange: not defined for BOOL");
        }
        double count = Math.ceil((end - start) / step);
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("arange: " + count + " elements are too many");
        }
        int n = (int) Math.max(0, count);
        Object host = switch (dtype) {
            case F32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (float) (start + i * step);
                }
                yield a;
            }
            case F64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = start + i * step;
                }
                yield a;
            }
            case I64 -> {
                if (start != Math.rint(start) || step != Math.rint(step)) {
                    throw new IllegalArgumentException("arange: I64 needs integer start and step, got start=" + start + " step=" + step);
                }
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (long) start + i * (long) step;
                }
                yield a;
            }
            case BOOL -> throw new AssertionError();
        };
        return of(host, n, dtype, new int[] {n});
    }

    /** {@code torch.linspace}: {@code steps} values from {@code start} to {@code end}, both included, evenly spaced (F32 or F64). */
    static Tensor linspace(double start, double end, int steps, DType dtype) {
        java.util.Objects.requireNonNull(dtype, "linspace: dtype is null");
        if (!Double.isFinite(start) || !Double.isFinite(end) || steps < 0 || !dtype.isFloating()) {
            throw new IllegalArgumentException("linspace: needs finite start and end, steps >= 0 and a floating dtype; got " + start + ", " + end
                    + ", " + steps + ", " + dtype);
        }
        double[] v = new double[steps];
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        for (int i = 0; i < steps; i++) {
            // From both ends, as PyTorch computes it: the last value is end exactly.
            v[i] = i < steps / 2 || steps == 1 ? start + i * step : end - (steps - 1 - i) * step;
        }
        if (dtype == DType.F64) {
            return of(v, steps, dtype, new int[] {steps});
        }
        float[] f = new float[steps];
        for (int i = 0; i < steps; i++) {
            f[i] = (float) v[i];
        }
        return of(f, steps, dtype, new int[] {steps});
    }

    static Tensor eye(int n, DType dtype) {
        if (n < 0) {
            throw new IllegalArgumentException("eye: size must be >= 0, got " + n);
        }
        Tensor t = full(0, dtype, null, new int[] {n, n});
        if (n > 0) {
            // The diagonal is a strided view: stride n + 1.
            Ops.kernels(t.device()).fill(new Strided(t.storage.buffer, new int[] {n}, new long[] {n + 1L}, 0), 1);
        }
        return t;
    }

    static Tensor random(RandomOp op, double a, double b, DType dtype, Generator generator, int[] shape) {
        String name = switch (op) {
            case UNIFORM -> "rand";
            case NORMAL -> "randn";
            case BERNOULLI -> "bernoulli";
        };
        java.util.Objects.requireNonNull(generator, () -> name + ": generator is null (use Generator.global())");
        java.util.Objects.requireNonNull(dtype, () -> name + ": dtype is null");
        int[] s = Shape.check(name, shape);
        if (op != RandomOp.BERNOULLI && !dtype.isFloating()) {
            throw new IllegalArgumentException(name + ": needs a floating dtype (F32 or F64), got " + dtype);
        }
        if (op == RandomOp.BERNOULLI && !(a >= 0 && a <= 1)) {
            throw new IllegalArgumentException(name + ": probability must be in [0, 1], got " + a);
        }
        if (op == RandomOp.NORMAL && !(b >= 0)) {
            throw new IllegalArgumentException(name + ": standard deviation must be >= 0, got " + b);
        }
        if (op == RandomOp.UNIFORM && !(a <= b)) {
            throw new IllegalArgumentException(name + ": need lo <= hi, got [" + a + ", " + b + ")");
        }
        Tensor t = Ops.empty(dtype, Fathom.defaultDevice(), s);
        long[] pos = generator.reserve(t.numel());
        if (t.numel() > 0) {
            Kernels k = Ops.kernels(t.device());
            k.random(op, Ops.strided(t), pos[0], pos[1], a, b);
        }
        return t;
    }
}
