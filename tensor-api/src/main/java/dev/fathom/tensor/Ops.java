package dev.fathom.tensor;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.BackwardFn;
import dev.fathom.autograd.Node;
import dev.fathom.spi.Kernels;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.internal.Backends;

/** Checks and plumbing shared by the op classes: validation before dispatch, operands, outputs, recording. */
final class Ops {
    private Ops() {
    }

    static Strided strided(Tensor t) {
        return new Strided(t.storage.buffer, t.shape, t.strides, t.offset);
    }

    /** t seen with {@code shape} (t's shape broadcast to it: stride 0 on new and size-1 dims). */
    static Strided broadcast(Tensor t, int[] shape) {
        return new Strided(t.storage.buffer, shape, broadcastStrides(t.shape, t.strides, shape), t.offset);
    }

    static long[] broadcastStrides(int[] from, long[] strides, int[] to) {
        long[] out = new long[to.length];
        int lead = to.length - from.length;
        for (int d = 0; d < to.length; d++) {
            int s = d - lead;
            out[d] = s < 0 || from[s] == 1 && to[d] != 1 ? 0 : strides[s];
        }
        return out;
    }

    static Kernels kernels(Device device) {
        return Backends.kernels(device);
    }

    /** A fresh contiguous tensor whose contents are unspecified. */
    static Tensor empty(DType dtype, Device device, int[] shape) {
        Kernels k = kernels(device);
        long n = Shape.numel(shape);
        Storage s = new Storage(k, k.allocate(dtype, n));
        return new Tensor(s, shape, Shape.contiguousStrides(shape), 0);
    }

    /** A new view of t's storage. */
    static Tensor view(Tensor t, int[] shape, long[] strides, long offset) {
        return new Tensor(t.storage, shape, strides, offset);
    }

    static void open(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t == null) {
                throw new NullPointerException(op + ": a tensor argument is null");
            }
            t.checkOpen(op);
        }
    }

    static void sameDevice(String op, Tensor a, Tensor b) {
        if (!a.device().equals(b.device())) {
            throw new IllegalArgumentException(op + ": tensors are on different devices: " + a.describe() + " and " + b.describe()
                    + "; move one with .to(Device) (Fathom never copies between devices implicitly)");
        }
    }

    static void sameDtype(String op, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(op + ": dtypes differ: " + a.describe() + " and " + b.describe()
                    + "; convert one with .to(DType." + a.dtype() + ") or .to(DType." + b.dtype() + ") (Fathom never promotes silently)");
        }
    }

    /** {@code t} (the op's {@code what}: condition, mask) is BOOL, or the op's message says how to make one. */
    static void bool(String op, String what, Tensor t) {
        if (t.dtype() != DType.BOOL) {
            throw new IllegalArgumentException(op + ": the " + what + " must be BOOL, got " + t.describe() + "; use a comparison such as x.gt(0)");
        }
    }

    static void floating(String op, Tensor t) {
        if (!t.dtype().isFloating()) {
            throw new IllegalArgumentException(op + ": needs a floating tensor (F32 or F64), got " + t.describe()
                    + "; convert with .to(DType.F32)");
        }
    }

    /** Records {@code out} as computed by {@code op} when autograd must; returns {@code out}. */
    static Tensor record(String op, Tensor out, Tensor[] inputs, Tensor[] saved, BackwardFn fn) {
        if (Autograd.shouldRecord(inputs)) {
            out.attach(new Node(op, inputs, saved, fn));
        }
        return out;
    }

    /** The first dim of {@code t} whose elements are one memory location (size above 1, stride 0), or -1. */
    static int sharedDim(Tensor t) {
        for (int d = 0; d < t.shape.length; d++) {
            if (t.strides[d] == 0 && t.shape[d] > 1) {
                return d;
            }
        }
        return -1;
    }

    /**
     * Why {@code value} cannot be an element of {@code dtype} when that is I64 (not an integer, or
     * beyond a long: a cast would saturate), or null when it can.
     */
    static String notI64(DType dtype, double value) {
        if (dtype != DType.I64) {
            return null;
        }
        if (value != Math.rint(value)) {
            return value + " is not an integer";
        }
        return value >= -0x1p63 && value < 0x1p63 ? null : value + " is beyond the range of I64 (a long)";
    }

    /**
     * In-place writes are never recorded: refuse them where they would silently break a gradient,
     * and where several elements of the target are one memory location (a dimension of size above 1
     * with stride 0, as {@code expand} makes), whose result would depend on the order the backend
     * writes in; PyTorch refuses the same.
     */
    static void writable(String op, Tensor target, Tensor... sources) {
        int d = sharedDim(target);
        if (d >= 0) {
            throw new IllegalArgumentException(op + ": the target " + target.describe() + " has stride 0 in dim " + d
                    + " (strides " + java.util.Arrays.toString(target.strides) + ", a view made by expand), so "
                    + target.shape[d] + " of its elements are one memory location; write into a copy of it (clone())");
        }
        if (Autograd.isGradEnabled()) {
            if (target.requiresGrad()) {
                throw new IllegalStateException(op + ": cannot write in place into " + target.describe()
                        + ", which requires grad, while autograd is recording; use the out-of-place op, or wrap the update in Autograd.noGrad()");
            }
            for (Tensor s : sources) {
                if (s != null && s.requiresGrad()) {
                    throw new IllegalStateException(op + ": in-place ops are not recorded, but the source " + s.describe()
                            + " requires grad; use the out-of-place op, or wrap it in Autograd.noGrad()");
                }
            }
        }
    }

    /** The broadcast of {@code src} to {@code target}'s shape must be exactly that shape (in-place ops). */
    static void broadcastsTo(String op, Tensor src, Tensor target) {
        int[] b = Shape.broadcast(op, target.shape, src.shape);
        if (!java.util.Arrays.equals(b, target.shape)) {
            throw new IllegalArgumentException(op + ": source of shape " + Shape.format(src.shape) + " cannot be broadcast to the target shape "
                    + Shape.format(target.shape) + " (an in-place op cannot change its target's shape)");
        }
    }

    /** src, or a private copy of it when it overlaps target's storage with a different layout. */
    static Tensor unaliased(Tensor src, Tensor target) {
        if (src.storage == target.storage
                && !(src.offset == target.offset && java.util.Arrays.equals(src.shape, target.shape) && java.util.Arrays.equals(src.strides, target.strides))) {
            try (var g = Autograd.noGrad()) {
                return Conversions.copy(src);
            }
        }
        return src;
    }
}
