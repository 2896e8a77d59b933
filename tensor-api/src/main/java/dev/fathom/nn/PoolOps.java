package dev.fathom.nn;

import dev.fathom.spi.Kernels;
import dev.fathom.spi.Pool2dGeometry;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import dev.fathom.tensor.internal.KernelOps;

import static dev.fathom.nn.KernelOperands.closeCopy;
import static dev.fathom.nn.KernelOperands.contiguous;

/**
 * Max and average pooling as recorded tensor ops. Both backward passes are linear in the incoming
 * gradient, so they are recorded too: the gradient of max-pool's backward is a gather at the saved
 * argmax indices, and average pooling's backward and forward are each other's transposes.
 * Arguments are validated by {@link Convolutions}.
 */
final class PoolOps {
    private PoolOps() {
    }

    static Tensor max(Pool2dGeometry g, Tensor x) {
        KernelOps.Hooks h = KernelOps.hooks();
        return h.intermediates(() -> {
            Tensor out = h.empty(x.dtype(), x.device(), g.outputShape());
            Tensor idx = h.empty(DType.I64, x.device(), g.outputShape());
            if (out.numel() > 0) {
                Tensor xc = contiguous(x);
                Backends.kernels(x.device()).maxPool2dForward(g, h.strided(xc), h.strided(out), h.strided(idx));
                closeCopy(xc, x);
            }
            return h.record("max_pool2d", out, new Tensor[] {x}, new Tensor[] {idx}, gy -> new Tensor[] {maxBackward(g, gy, idx)});
        });
    }

    /** gx (N, C, H, W): each gy element added at its window's argmax. */
    static Tensor maxBackward(Pool2dGeometry g, Tensor gy, Tensor idx) {
        KernelOps.Hooks h = KernelOps.hooks();
        Tensor gx = h.empty(gy.dtype(), gy.device(), g.inputShape());
        if (gx.numel() > 0) {
            Tensor gyc = contiguous(gy);
            Backends.kernels(gy.device()).maxPool2dBackward(g, h.strided(gyc), h.strided(idx), h.strided(gx));
            closeCopy(gyc, gy);
        }
        return h.record("max_pool2d_backward", gx, new Tensor[] {gy}, new Tensor[] {idx}, gg -> new Tensor[] {
            gg.reshape(g.n(), g.c(), g.h() * g.w()).gather(2, idx.reshape(g.n(), g.c(), g.outH() * g.outW()))
                    .reshape(g.outputShape())});
    }

    static Tensor avg(Pool2dGeometry g, boolean countIncludePad, Tensor x) {
        return linear("avg_pool2d", g.outputShape(), x, (k, a, out) -> k.avgPool2dForward(g, countIncludePad, a, out),
                gy -> new Tensor[] {avgBackward(g, countIncludePad, gy)});
    }

    static Tensor avgBackward(Pool2dGeometry g, boolean countIncludePad, Tensor gy) {
        return linear("avg_pool2d_backward", g.inputShape(), gy, (k, a, out) -> k.avgPool2dBackward(g, countIncludePad, a, out),
                gg -> new Tensor[] {avg(g, countIncludePad, gg)});
    }

    @FunctionalInterface
    private interface Kernel {
        void run(Kernels k, dev.fathom.spi.Strided a, dev.fathom.spi.Strided out);
    }

    private static Tensor linear(String op, int[] outShape, Tensor a, Kernel kernel, dev.fathom.autograd.BackwardFn backward) {
        KernelOps.Hooks h = KernelOps.hooks();
        Tensor out = h.empty(a.dtype(), a.device(), outShape);
        if (out.numel() > 0) {
            Tensor ac = contiguous(a);
            kernel.run(Backends.kernels(a.device()), h.strided(ac), h.strided(out));
            closeCopy(ac, a);
        }
        return h.record(op, out, new Tensor[] {a}, new Tensor[0], backward);
    }
}
