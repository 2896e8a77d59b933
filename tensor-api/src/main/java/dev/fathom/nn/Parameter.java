package dev.fathom.nn;

import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

/**
 * A tensor owned by a {@link Module}: a trainable parameter (a leaf that requires grad) or a
 * buffer (state saved with the module but not trained, such as batch norm's running mean).
 *
 * <p>The holder is stable while its tensor may be replaced ({@link #set}, {@link Module#to},
 * {@link Module#loadStateDict}): optimizers keep the holder and read {@link #data()} each step.
 * The tensor lives outside every scope and is closed with the holder.
 */
public final class Parameter implements AutoCloseable {
    private final boolean trainable;
    private Tensor data;

    /** Takes ownership of {@code init} (removed from its scope); a trainable one becomes a leaf that requires grad. */
    public Parameter(Tensor init, boolean trainable) {
        this.trainable = trainable;
        this.data = adopt(init);
    }

    private Tensor adopt(Tensor t) {
        java.util.Objects.requireNonNull(t, "Parameter: the tensor is null");
        t.checkOpen("Parameter");
        Tensor leaf = t;
        if (!t.isLeaf() || t.requiresGrad()) {
            // The parameter keeps a detached view; the given tensor is ours to close (the storage lives on in the view).
            leaf = t.detach();
            t.close();
        }
        Scope.escape(leaf);
        if (trainable) {
            leaf.requiresGrad(true);
        }
        return leaf;
    }

    /** The current tensor; read it on every use, since {@link #set} may replace it. */
    public Tensor data() {
        return data;
    }

    /** The gradient accumulated by the last backward passes, or null. */
    public Tensor grad() {
        return data.grad();
    }

    /** True for parameters, false for buffers. */
    public boolean trainable() {
        return trainable;
    }

    /**
     * Replaces the tensor (the old one is closed); shape and dtype must match (the device may
     * differ: that is how a module moves). Takes ownership of {@code value}.
     */
    public void set(Tensor value) {
        java.util.Objects.requireNonNull(value, "Parameter.set: the tensor is null");
        if (!java.util.Arrays.equals(value.shape(), data.shape()) || value.dtype() != data.dtype()) {
            throw new IllegalArgumentException("Parameter.set: " + value.describe() + " does not match " + data.describe()
                    + " in shape and dtype");
        }
        Tensor old = data;
        data = adopt(value);
        if (old != data) {
            old.close();
        }
    }

    /** Moves the tensor to {@code device} (gradient dropped). */
    void to(Device device) {
        if (!data.device().equals(device)) {
            set(copied(t -> t.to(device)));
        }
    }

    /** Converts a floating tensor to the floating {@code dtype} (gradient dropped); others stay. */
    void to(dev.fathom.tensor.DType dtype) {
        if (data.dtype().isFloating() && data.dtype() != dtype) {
            Tensor old = data;
            data = adopt(copied(t -> t.to(dtype)));
            old.close();
        }
    }

    /** {@code convert} of the tensor without its history or gradient; the detached view it reads is closed again. */
    private Tensor copied(java.util.function.UnaryOperator<Tensor> convert) {
        try (Tensor detached = data.detach()) {
            return Scope.escape(convert.apply(detached));
        }
    }

    /** Drops the gradient (PyTorch's {@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        data.setGrad(null);
    }

    public int[] shape() {
        return data.shape();
    }

    public long numel() {
        return data.numel();
    }

    @Override
    public void close() {
        data.close();
    }

    @Override
    public String toString() {
        return (trainable ? "Parameter" : "Buffer") + "(" + data.describe() + ")";
    }
}
