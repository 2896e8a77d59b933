package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.tensor.Tensor;

/**
 * Tensors as the operands of a backend's fused kernel ({@code NormOps}, {@code PoolOps},
 * {@code FusedAttention}, {@code LstmLayerOps}): contiguous, the copy (when one was needed) made
 * outside the graph, and closed again once the kernel has read it.
 */
final class KernelOperands {
    private KernelOperands() {
    }

    /** {@code t}, or a contiguous copy of it that no graph records; null stays null. */
    static Tensor contiguous(Tensor t) {
        if (t == null) {
            return null;
        }
        try (GradMode off = Autograd.noGrad()) {
            return t.contiguous();
        }
    }

    /** Closes {@code copy} when {@link #contiguous} made it for {@code original} (and it is not null). */
    static void closeCopy(Tensor copy, Tensor original) {
        if (copy != null && copy != original) {
            copy.close();
        }
    }
}
