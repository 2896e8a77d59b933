package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.KernelOps;

import java.util.Arrays;

/**
 * One layer's hidden projections {@code hw_t = h_t·W_hhᵀ} over its time steps, whose weight
 * gradient is summed once for all steps: {@code dW_hhᵀ = Σ_t h_tᵀ·dhw_t}, one product of the
 * stacked inputs and gradients. Each step records its own node (gradient {@code dh_t = dhw_t·W_hh});
 * the steps' gradients are kept until the node of step 0 runs, which is the last of them in every
 * pass, as each later step depends on it, and which returns the weight gradient.
 *
 * <p>Step by step, each was a [G·H, N]·[N, H] product (K = the batch, far too thin for GEMM) and an
 * add of the [G·H, H] result into the running sum: a fifth of an LSTM char-LM step on the CPU.
 * A pass that builds a graph (createGraph) takes the per-step formula, which it records, so that
 * it can be differentiated again. The gradients go into one [steps·N, G·H] tensor of the pass
 * ({@link Autograd#currentPass()}), so a pass cut short cannot leak into the next.
 */
final class RecurrentProjection {
    private final Tensor weight;
    /** {@code weight.t()}, the recorded input of every step: its gradient is the weight's, transposed. */
    private final Tensor weightT;
    private final Tensor[] inputs;
    /** The output gradients of the steps the current pass has reached, step t in rows [t·N, (t+1)·N). */
    private Tensor grads;
    /** The pass that grads belongs to, and the first (highest) step it reached. */
    private long gradsPass;
    private int top;

    RecurrentProjection(Tensor weight, int steps) {
        this.weight = weight;
        this.weightT = weight.t();
        this.inputs = new Tensor[steps];
    }

    /** {@code h·W_hhᵀ} for step t, recorded when autograd must. */
    Tensor step(int t, Tensor h) {
        Tensor out;
        try (GradMode off = Autograd.noGrad()) {
            out = h.matmul(weightT);
        }
        inputs[t] = h;
        return KernelOps.hooks().record("matmul", out, new Tensor[] {h, weightT}, new Tensor[] {h, weightT},
                g -> backward(t, h, g));
    }

    private Tensor[] backward(int t, Tensor h, Tensor g) {
        Tensor dh = h.requiresGrad() ? g.matmul(weight) : null;
        if (!weightT.requiresGrad()) {
            return new Tensor[] {dh, null};
        }
        if (Autograd.isGradEnabled()) {
            // A graph-building pass: the matmul formula, in W's own layout (see LinearAlgebra).
            return new Tensor[] {dh, g.transpose(-1, -2).matmul(h).transpose(-1, -2)};
        }
        // A pass reaches step 0 last, and every step below the first it reaches: the steps it
        // stored are 0..top.
        long pass = Autograd.currentPass();
        int n = g.shape()[0];
        if (grads == null || gradsPass != pass) {
            grads = KernelOps.hooks().empty(g.dtype(), g.device(), new int[] {inputs.length * n, g.shape()[1]});
            gradsPass = pass;
            top = t;
        }
        grads.narrow(0, t * n, n).copyFrom(g);
        if (t > 0) {
            return new Tensor[] {dh, null};
        }
        Tensor stackedG = grads.narrow(0, 0, (top + 1) * n);
        Tensor stackedH = Tensor.cat(0, Arrays.copyOf(inputs, top + 1));
        grads = null;
        return new Tensor[] {dh, stackedG.transpose(-1, -2).matmul(stackedH).transpose(-1, -2)};
    }
}
