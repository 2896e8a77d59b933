package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.KernelOps;

import java.util.ArrayList;
import java.util.List;

/**
 * One layer's hidden projections {@code hw_t = h_t·W_hhᵀ} over its time steps, whose weight
 * gradient is summed once for all steps: {@code dW_hhᵀ = Σ_t h_tᵀ·dhw_t}, one product of the
 * stacked inputs and gradients. Each step records its own node (gradient {@code dh_t = dhw_t·W_hh});
 * the steps' gradients are kept until the node of step 0 runs, which is the last of them in every
 * pass, as each later step depends on it, and which returns the weight gradient.
 *
 * <p>Step by step, each was a [G·H, N]·[N, H] product (K = the batch, far too thin for GEMM) and an
 * add of the [G·H, H] result into the running sum: a third of an LSTM char-LM step on the CPU.
 * A pass that builds a graph (createGraph) takes the per-step formula, which it records, so that
 * it can be differentiated again; a stored gradient counts only in the pass that stored it
 * ({@link Autograd#currentPass()}), so a pass cut short cannot leak into the next.
 */
final class RecurrentProjection {
    private final Tensor weight;
    /** {@code weight.t()}, the recorded input of every step: its gradient is the weight's, transposed. */
    private final Tensor weightT;
    private final Tensor[] inputs;
    private final Tensor[] grads;
    private final long[] passes;

    RecurrentProjection(Tensor weight, int steps) {
        this.weight = weight;
        this.weightT = weight.t();
        this.inputs = new Tensor[steps];
        this.grads = new Tensor[steps];
        this.passes = new long[steps];
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
        long pass = Autograd.currentPass();
        grads[t] = g.clone();
        passes[t] = pass;
        if (t > 0) {
            return new Tensor[] {dh, null};
        }
        List<Tensor> gs = new ArrayList<>(), hs = new ArrayList<>();
        for (int s = 0; s < grads.length; s++) {
            if (grads[s] != null && passes[s] == pass) {
                gs.add(grads[s]);
                hs.add(inputs[s]);
            }
            grads[s] = null;
        }
        Tensor stackedG = Tensor.cat(0, gs.toArray(Tensor[]::new)), stackedH = Tensor.cat(0, hs.toArray(Tensor[]::new));
        return new Tensor[] {dh, stackedG.transpose(-1, -2).matmul(stackedH).transpose(-1, -2)};
    }
}
