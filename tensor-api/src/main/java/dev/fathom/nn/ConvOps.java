package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.Conv2dGeometry;
import dev.fathom.spi.Kernels;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import dev.fathom.tensor.internal.KernelOps;

/**
 * The three convolution kernels as recorded tensor ops, each differentiable through the other two,
 * so gradients of any order exist. With {@code y = conv(x, w)} bilinear:
 * <ul>
 *   <li>{@code conv2d(x, w)}: dx = data(gy, w), dw = weight(x, gy)</li>
 *   <li>{@code data(gy, w)} (a transposed convolution): d gy = conv2d(gg, w), dw = weight(gg, gy)</li>
 *   <li>{@code weight(x, gy)}: dx = data(gy, gg), d gy = conv2d(x, gg)</li>
 * </ul>
 * {@code conv_transpose2d(x, w)} is {@code data(x, w)} under its own name.
 * (each follows from {@code <gg, data(gy, w)> = <conv2d(gg, w), gy>} and
 * {@code <gg, weight(x, gy)> = <conv2d(x, gg), gy>}). Arguments are validated by {@link Convolutions}.
 */
final class ConvOps {
    private ConvOps() {
    }

    static Tensor forward(Conv2dGeometry g, Tensor x, Tensor w) {
        return forward(g, x, w, null);
    }

    /** {@code conv2d(x, w)}, plus {@code bias (C_out)} when it is not null (see {@link #run}). */
    static Tensor forward(Conv2dGeometry g, Tensor x, Tensor w, Tensor bias) {
        return run("conv2d", g.outputShape(), x, w, bias, (k, a, b, out) -> k.conv2dForward(g, a, b, out),
                gg -> new Tensor[] {
                    x.requiresGrad() ? data(g, gg, w) : null,
                    w.requiresGrad() ? weight(g, x, gg) : null});
    }

    /** The gradient of conv2d with respect to x, from gy (N, C_out, OH, OW) and w. */
    static Tensor data(Conv2dGeometry g, Tensor gy, Tensor w) {
        return data("conv2d_backward_data", g, gy, w, null);
    }

    /**
     * {@code conv_transpose2d(x, w)}, plus {@code bias (C_out)} when it is not null: the same op as
     * {@link #data} (x in gy's place, g the convolution that maps the transposed convolution's output
     * back to x), recorded by its own name.
     */
    static Tensor transpose(Conv2dGeometry g, Tensor x, Tensor w, Tensor bias) {
        return data("conv_transpose2d", g, x, w, bias);
    }

    private static Tensor data(String op, Conv2dGeometry g, Tensor gy, Tensor w, Tensor bias) {
        return run(op, g.inputShape(), gy, w, bias, (k, a, b, out) -> k.conv2dBackwardData(g, a, b, out),
                gg -> new Tensor[] {
                    gy.requiresGrad() ? forward(g, gg, w) : null,
                    w.requiresGrad() ? weight(g, gg, gy) : null});
    }

    /** The gradient of conv2d with respect to w, from x and gy (N, C_out, OH, OW). */
    static Tensor weight(Conv2dGeometry g, Tensor x, Tensor gy) {
        return run("conv2d_backward_weight", g.weightShape(), x, gy, null, (k, a, b, out) -> k.conv2dBackwardWeight(g, a, b, out),
                gg -> new Tensor[] {
                    x.requiresGrad() ? data(g, gy, gg) : null,
                    gy.requiresGrad() ? forward(g, x, gg) : null});
    }

    /** Closes {@code copy} unless it is null or {@code original} itself. */
    private static void closeCopy(Tensor copy, Tensor original) {
        if (copy != null && copy != original) {
            copy.close();
        }
    }

    @FunctionalInterface
    private interface Kernel {
        void run(Kernels k, dev.fathom.spi.Strided a, dev.fathom.spi.Strided b, dev.fathom.spi.Strided out);
    }

    /**
     * out = kernel(a, b) on contiguous copies of a and b (closed at once), recorded with
     * {@code backward}. A bias {@code (C)}, when not null, is added in place into the fresh output
     * {@code (N, C, H, W)} as a broadcast over batch and plane (a separate add would write a second
     * tensor of the output's size); it becomes a third input, whose gradient is gy summed over
     * batch and plane.
     */
    private static Tensor run(String op, int[] outShape, Tensor a, Tensor b, Tensor bias, Kernel kernel,
                              dev.fathom.autograd.BackwardFn backward) {
        KernelOps.Hooks h = KernelOps.hooks();
        Tensor out = h.empty(a.dtype(), a.device(), outShape);
        if (out.numel() > 0) {
            Tensor ac = null, bc = null, spread = null;
            try (GradMode off = Autograd.noGrad()) {
                ac = a.contiguous();
                bc = b.contiguous();
                Kernels k = Backends.kernels(a.device());
                kernel.run(k, h.strided(ac), h.strided(bc), h.strided(out));
                if (bias != null) {
                    spread = bias.reshape(1, bias.size(0), 1, 1).expand(outShape);
                    k.binary(BinaryOp.ADD, h.strided(out), h.strided(spread), h.strided(out));
                }
            } finally {
                closeCopy(spread, null);
                closeCopy(ac, a);
                closeCopy(bc, b);
            }
        }
        if (bias == null) {
            return h.record(op, out, new Tensor[] {a, b}, new Tensor[] {a, b}, backward);
        }
        return h.record(op, out, new Tensor[] {a, b, bias}, new Tensor[] {a, b, bias}, gg -> {
            Tensor[] ab = backward.apply(gg);
            return new Tensor[] {ab[0], ab[1], bias.requiresGrad() ? gg.sum(0, 2, 3) : null};
        });
    }
}
