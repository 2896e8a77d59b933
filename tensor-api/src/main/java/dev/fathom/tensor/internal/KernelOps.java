package dev.fathom.tensor.internal;

import dev.fathom.autograd.BackwardFn;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Tensor;

import java.util.function.Supplier;

/**
 * Not API. The tensor layer's plumbing for ops that live outside {@code dev.fathom.tensor} but call
 * kernels directly and record their own gradients (convolution, pooling and normalization in
 * {@code dev.fathom.nn}; the fused optimizer steps in {@code dev.fathom.optim}), and the one fact
 * about storage that autograd needs ({@link Hooks#soleView}).
 * The package-private implementation in {@code dev.fathom.tensor} installs itself on first use, the
 * JDK's "shared secrets" pattern: no extra public method on {@link Tensor}.
 */
public final class KernelOps {
    /** What {@code dev.fathom.tensor} lends: the same plumbing its own op classes use. */
    public interface Hooks {
        /** The tensor's buffer and layout, for a kernel operand. */
        Strided strided(Tensor t);

        /** A fresh contiguous tensor (owned by the current scope) whose contents are unspecified. */
        Tensor empty(DType dtype, Device device, int[] shape);

        /** Records {@code out} as made by {@code op} from {@code inputs} when autograd must; returns out. */
        Tensor record(String op, Tensor out, Tensor[] inputs, Tensor[] saved, BackwardFn fn);

        /**
         * Runs a composite op: tensors it creates besides its result are adopted by the result's
         * graph node when there is one, else closed at once.
         */
        Tensor intermediates(Supplier<Tensor> body);

        /**
         * Marks {@code t} as written in place by a kernel called through these hooks (the fused
         * optimizer steps), so autograd's saved-tensor check sees the write as an in-place op's.
         */
        void modified(Tensor t);

        /**
         * True when {@code t} is contiguous and no other open tensor shares its storage: handing
         * {@code t} itself on (autograd's first gradient of a leaf) gives away nothing anyone else sees.
         */
        boolean soleView(Tensor t);

        /**
         * True when several of {@code t}'s elements are one memory location (a dim of size above 1
         * with stride 0, as expand makes), so no in-place op may write it.
         */
        boolean selfOverlapping(Tensor t);
    }

    private static volatile Hooks hooks;

    private KernelOps() {
    }

    /** Called once, by {@code dev.fathom.tensor}; a second call is an error. */
    public static synchronized void install(Hooks h) {
        if (hooks != null) {
            throw new IllegalStateException("KernelOps: hooks are installed already");
        }
        hooks = h;
    }

    /** The hooks, installing them on first use. */
    public static Hooks hooks() {
        Hooks h = hooks;
        if (h == null) {
            try {
                Class.forName("dev.fathom.tensor.KernelOpsHooks", true, KernelOps.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("KernelOps: dev.fathom.tensor.KernelOpsHooks is missing", e);
            }
            h = hooks;
        }
        return h;
    }
}
