package dev.fathom.tensor;

import dev.fathom.spi.Kernels;

/** Copies: dtype casts, device moves, clones and the in-place fill/copy. */
final class Conversions {
    private Conversions() {
    }

    /** A contiguous copy (recorded: the gradient passes through unchanged). */
    static Tensor copy(Tensor x) {
        Ops.open("clone", x);
        Tensor out = Ops.empty(x.dtype(), x.device(), x.shape);
        if (out.numel() > 0) {
            Ops.kernels(x.device()).copy(Ops.strided(x), Ops.strided(out));
        }
        return Ops.record("clone", out, new Tensor[] {x}, new Tensor[0], g -> new Tensor[] {g});
    }

    static Tensor to(Tensor x, DType dtype) {
        Ops.open("to", x);
        java.util.Objects.requireNonNull(dtype, "to: the dtype is null");
        if (x.dtype() == dtype) {
            return x;
        }
        Tensor out = Ops.empty(dtype, x.device(), x.shape);
        if (out.numel() > 0) {
            Ops.kernels(x.device()).copy(Ops.strided(x), Ops.strided(out));
        }
        if (!dtype.isFloating()) {
            return out;
        }
        DType from = x.dtype();
        return Ops.record("to(" + dtype + ")", out, new Tensor[] {x}, new Tensor[0], g -> new Tensor[] {g.to(from)});
    }

    static Tensor to(Tensor x, Device device) {
        Ops.open("to", x);
        java.util.Objects.requireNonNull(device, "to: the device is null");
        if (x.device().equals(device)) {
            return x;
        }
        Kernels target = Ops.kernels(device);
        Tensor out = Ops.empty(x.dtype(), device, x.shape);
        int n = Math.toIntExact(x.numel());
        if (n > 0) {
            Object host = Host.contiguousHostArray(x);
            target.upload(host, 0, out.storage.buffer, 0, n);
        }
        Device from = x.device();
        return Ops.record("to(" + device + ")", out, new Tensor[] {x}, new Tensor[0], g -> new Tensor[] {g.to(from)});
    }

    static Tensor fillInPlace(Tensor x, double value) {
        Ops.open("fillInPlace", x);
        Ops.writable("fillInPlace", x);
        String notI64 = Ops.notI64(x.dtype(), value);
        if (notI64 != null) {
            throw new IllegalArgumentException("fillInPlace: " + notI64 + ", but the tensor is " + x.describe());
        }
        if (x.numel() > 0) {
            Ops.kernels(x.device()).fill(Ops.strided(x), value);
        }
        x.storage.bumpVersion();
        return x;
    }

    static Tensor copyFrom(Tensor x, Tensor src) {
        return Scope.intermediates(() -> copyFromOf(x, src));
    }

    private static Tensor copyFromOf(Tensor x, Tensor src) {
        Ops.open("copyFrom", x, src);
        Ops.sameDtype("copyFrom", x, src);
        Ops.writable("copyFrom", x, src);
        Tensor s = src.device().equals(x.device()) ? src : to(src, x.device());
        Ops.broadcastsTo("copyFrom", s, x);
        s = Ops.unaliased(s, x);
        if (x.numel() > 0) {
            Ops.kernels(x.device()).copy(Ops.broadcast(s, x.shape), Ops.strided(x));
        }
        x.storage.bumpVersion();
        return x;
    }
}
