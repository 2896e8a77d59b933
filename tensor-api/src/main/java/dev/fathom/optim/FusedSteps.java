package dev.fathom.optim;

import dev.fathom.spi.AdamUpdate;
import dev.fathom.spi.SgdUpdate;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import dev.fathom.tensor.internal.KernelOps;

import java.util.Arrays;

/**
 * SGD and Adam/AdamW steps through the backend's fused kernels ({@link dev.fathom.spi.Kernels#sgdUpdate},
 * {@link dev.fathom.spi.Kernels#adamUpdate}): one pass over parameter, gradient and state in place.
 * Each method returns false, having changed nothing, when the kernel cannot serve: a parameter that
 * is not contiguous (the kernel writes it in place), a gradient or state of another dtype, device
 * or shape, or a backend without the kernel; the optimizer then runs its composite update, which
 * defines the step. Called under noGrad inside the step's scope (a contiguous copy of the gradient
 * is freed with it).
 */
final class FusedSteps {
    private FusedSteps() {
    }

    static boolean sgd(Tensor param, Tensor grad, Tensor momentumBuffer, SgdUpdate hyper) {
        if (!fits(param, grad, momentumBuffer)) {
            return false;
        }
        KernelOps.Hooks h = KernelOps.hooks();
        Tensor g = grad.contiguous();
        try {
            Backends.kernels(param.device()).sgdUpdate(h.strided(param), h.strided(g), strided(h, momentumBuffer), hyper);
        } catch (UnsupportedOperationException e) {
            return false;
        }
        modified(h, param, momentumBuffer);
        return true;
    }

    static boolean adam(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq, AdamUpdate hyper) {
        if (!fits(param, grad, expAvg, expAvgSq, maxExpAvgSq)) {
            return false;
        }
        KernelOps.Hooks h = KernelOps.hooks();
        Tensor g = grad.contiguous();
        try {
            Backends.kernels(param.device()).adamUpdate(h.strided(param), h.strided(g), h.strided(expAvg), h.strided(expAvgSq),
                    strided(h, maxExpAvgSq), hyper);
        } catch (UnsupportedOperationException e) {
            return false;
        }
        modified(h, param, expAvg, expAvgSq, maxExpAvgSq);
        return true;
    }

    /** Whether param (contiguous) and the others (any layout for grad, contiguous state) match in dtype, device and shape. */
    private static boolean fits(Tensor param, Tensor grad, Tensor... state) {
        if (!param.isContiguous() || param.numel() == 0 || !like(param, grad)) {
            return false;
        }
        for (Tensor s : state) {
            if (s != null && (!s.isContiguous() || !like(param, s) || s.sharesStorageWith(param))) {
                return false;
            }
        }
        return true;
    }

    private static boolean like(Tensor a, Tensor b) {
        return a.dtype() == b.dtype() && a.device().equals(b.device()) && Arrays.equals(a.shape(), b.shape());
    }

    private static Strided strided(KernelOps.Hooks h, Tensor t) {
        return t == null ? null : h.strided(t);
    }

    private static void modified(KernelOps.Hooks h, Tensor... written) {
        for (Tensor t : written) {
            if (t != null) {
                h.modified(t);
            }
        }
    }
}
