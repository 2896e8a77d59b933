package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import dev.fathom.tensor.internal.KernelOps;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.DoubleFunction;
import java.util.function.Supplier;

/** Input checks shared by the layer functions; every message starts with the op's name. */
final class Checks {
    private Checks() {
    }

    /** x is open, non-null and floating. */
    static void floating(String op, String what, Tensor x) {
        Objects.requireNonNull(x, () -> op + ": " + what + " is null");
        x.checkOpen(op);
        if (!x.dtype().isFloating()) {
            throw new IllegalArgumentException(op + ": " + what + " must be floating (F32 or F64), got " + x.describe()
                    + "; convert with .to(DType.F32)");
        }
    }

    /**
     * Every value of x lies in {@code [lo, hi]} or equals {@code allowed} (NaN: nothing is), else
     * {@code failure}'s exception for the first that does not. The backend checks the data where it
     * lives ({@link dev.fathom.spi.Kernels#checkRange}), so a GPU is not waited for: there the
     * exception comes from the next read or synchronization, naming the op and the value all the same.
     */
    static void values(String op, Tensor x, double lo, double hi, double allowed, DoubleFunction<RuntimeException> failure) {
        if (x.numel() == 0) {
            return;
        }
        Tensor c = KernelOperands.contiguous(x);
        try {
            Backends.kernels(x.device()).checkRange(op, KernelOps.hooks().strided(c), lo, hi, allowed, failure);
        } finally {
            KernelOperands.closeCopy(c, x);  // in stream order on a GPU: the check has read it by the time the memory is reused
        }
    }

    /**
     * {@code t.describe()} for a message that may be built after t is closed (a {@link #values}
     * failure on a GPU): the parts are taken now, the text is formatted only if it is shown.
     */
    static Supplier<String> describeLater(Tensor t) {
        int[] shape = t.shape();
        DType dtype = t.dtype();
        var device = t.device();
        return () -> Shape.format(shape) + " " + dtype + " " + device;
    }

    /** An I64 value as {@link #values} reports it: exact, or ±infinity for one that a device saw only as an int's bound. */
    static String integer(double v) {
        return Double.isInfinite(v) ? (v > 0 ? "≥ 2147483647" : "≤ -2147483648") : Long.toString((long) v);
    }

    /** x is open, non-null and I64 (class indices, token ids). */
    static void indices(String op, String what, Tensor x) {
        Objects.requireNonNull(x, () -> op + ": " + what + " is null");
        x.checkOpen(op);
        if (x.dtype() != DType.I64) {
            throw new IllegalArgumentException(op + ": " + what + " must be I64 indices, got " + x.describe() + "; convert with .to(DType.I64)");
        }
    }

    /** other (when not null) has x's dtype and device. */
    static void like(String op, String whatX, Tensor x, String whatOther, Tensor other) {
        if (other == null) {
            return;
        }
        other.checkOpen(op);
        if (!other.device().equals(x.device())) {
            throw new IllegalArgumentException(op + ": " + whatOther + " " + other.describe() + " is on another device than " + whatX + " "
                    + x.describe() + "; move it with .to(Device)");
        }
        if (other.dtype() != x.dtype()) {
            throw new IllegalArgumentException(op + ": " + whatOther + " " + other.describe() + " must have the dtype of " + whatX + " "
                    + x.describe() + "; convert with .to(DType." + x.dtype() + ")");
        }
    }

    /** Same device only (index tensors next to floating ones). */
    static void sameDevice(String op, String whatX, Tensor x, String whatOther, Tensor other) {
        if (!other.device().equals(x.device())) {
            throw new IllegalArgumentException(op + ": " + whatOther + " " + other.describe() + " is on another device than " + whatX + " "
                    + x.describe() + "; move it with .to(Device)");
        }
    }

    /** other (when not null) has exactly {@code shape}. */
    static void shape(String op, String what, Tensor t, int... shape) {
        if (t != null && !Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + what + " must have shape " + Shape.format(shape) + ", got " + Shape.format(t.shape()));
        }
    }

    /** Input and target of an elementwise loss have the same shape, dtype and device. */
    static void pair(String op, Tensor input, Tensor target) {
        floating(op, "input", input);
        floating(op, "target", target);
        like(op, "input", input, "target", target);
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException(op + ": input " + Shape.format(input.shape()) + " and target " + Shape.format(target.shape())
                    + " must have the same shape");
        }
    }

    /** A finite value in [lo, hi]. */
    static void range(String op, String what, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) {
            throw new IllegalArgumentException(op + ": " + what + " must be in [" + lo + ", " + hi + "], got " + v);
        }
    }

    /** The row of PyTorch's {@code padding_idx} among {@code num} embeddings (from the end when negative), or the op's error. */
    static int paddingRow(String op, int paddingIdx, int num) {
        if (paddingIdx < -num || paddingIdx >= num) {
            throw new IllegalArgumentException(op + ": padding index " + paddingIdx + " is outside [" + -num + ", " + num + ") for " + num
                    + " embeddings");
        }
        return paddingIdx < 0 ? paddingIdx + num : paddingIdx;
    }

    static void positive(String op, String what, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(op + ": " + what + " must be positive and finite, got " + v);
        }
    }

    static Reduction reduction(String op, Reduction r) {
        if (r == null) {
            throw new IllegalArgumentException(op + ": reduction is null (use Reduction.MEAN, SUM or NONE)");
        }
        return r;
    }
}
