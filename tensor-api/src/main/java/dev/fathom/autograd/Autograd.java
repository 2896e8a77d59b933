package dev.fathom.autograd;

import dev.fathom.tensor.Tensor;

/**
 * Reverse-mode automatic differentiation: grad mode, {@link #grad} (as {@code torch.autograd.grad})
 * and the recording hook used by every differentiable op.
 *
 * <pre>{@code
 * try (var g = Autograd.noGrad()) { ... }       // nothing inside is recorded
 * Tensor[] dx = Autograd.grad(new Tensor[]{y}, new Tensor[]{x}, true);   // dx is differentiable again
 * }</pre>
 *
 * <p>Grad mode is per thread and on by default.
 */
public final class Autograd {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});
    private static final ThreadLocal<long[]> PASS = ThreadLocal.withInitial(() -> new long[1]);
    private static final java.util.concurrent.atomic.AtomicLong PASSES = new java.util.concurrent.atomic.AtomicLong();

    private Autograd() {
    }

    /** True when ops on this thread record the graph. */
    public static boolean isGradEnabled() {
        return ENABLED.get()[0];
    }

    /** Turns recording off until the returned guard is closed. */
    public static GradMode noGrad() {
        return set(false);
    }

    /** Turns recording on until the returned guard is closed (inside a noGrad region). */
    public static GradMode enableGrad() {
        return set(true);
    }

    private static GradMode set(boolean on) {
        boolean[] cell = ENABLED.get();
        GradMode guard = new GradMode(cell[0]);
        cell[0] = on;
        return guard;
    }

    static void setEnabled(boolean on) {
        ENABLED.get()[0] = on;
    }

    /**
     * A number that identifies the backward pass running on this thread, and 0 outside one. For an
     * op whose backward is spread over several nodes that must agree on what one pass delivered
     * (a recurrent layer's weight gradient, summed once over all its time steps).
     */
    public static long currentPass() {
        return PASS.get()[0];
    }

    /** Starts a pass on this thread; returns the enclosing one's number, for {@link #endPass}. */
    static long beginPass() {
        long[] cell = PASS.get();
        long outer = cell[0];
        cell[0] = PASSES.incrementAndGet();
        return outer;
    }

    static void endPass(long outer) {
        PASS.get()[0] = outer;
    }

    /** True when an op with these inputs must be recorded: grad mode is on and an input requires grad. */
    public static boolean shouldRecord(Tensor... inputs) {
        if (!isGradEnabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Gradients of {@code outputs} (each a scalar, seeded with 1) with respect to {@code inputs},
     * returned rather than accumulated into {@code .grad()}. With {@code createGraph} the backward
     * pass is itself recorded, so the results can be differentiated again (Hessian-vector
     * products, gradient penalties); the graph is then retained. The recorded pass makes
     * intermediate tensors that no result owns, as any recorded op does: call it inside a
     * {@link dev.fathom.tensor.Scope}, which closes them (outside one they wait for the garbage
     * collector).
     *
     * @return one gradient per input; a zero tensor where an input does not influence the outputs
     */
    public static Tensor[] grad(Tensor[] outputs, Tensor[] inputs, boolean createGraph) {
        return grad(outputs, null, inputs, createGraph, createGraph);
    }

    /**
     * As {@link #grad(Tensor[], Tensor[], boolean)} with explicit output gradients (null for
     * scalars seeded with 1) and retain flag.
     */
    public static Tensor[] grad(Tensor[] outputs, Tensor[] gradOutputs, Tensor[] inputs, boolean createGraph, boolean retainGraph) {
        if (inputs == null || inputs.length == 0) {
            throw new IllegalArgumentException("Autograd.grad: give at least one input to differentiate with respect to");
        }
        for (Tensor in : inputs) {
            java.util.Objects.requireNonNull(in, "Autograd.grad: an input is null");
            if (!in.requiresGrad()) {
                throw new IllegalArgumentException("Autograd.grad: input of shape " + dev.fathom.tensor.Shape.format(in.shape())
                        + " does not require grad; call requiresGrad(true) on it before computing the outputs");
            }
        }
        return Engine.run("Autograd.grad", outputs, gradOutputs, inputs, retainGraph || createGraph, createGraph);
    }

    /** {@code tensor.backward(gradient, retainGraph)}: accumulates into the leaves' {@code .grad()}. */
    public static void backward(Tensor tensor, Tensor gradient, boolean retainGraph) {
        Engine.run("backward", new Tensor[] {tensor}, gradient == null ? null : new Tensor[] {gradient}, null, retainGraph, false);
    }
}
