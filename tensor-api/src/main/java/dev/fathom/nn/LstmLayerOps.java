package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.spi.Kernels;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import dev.fathom.tensor.internal.KernelOps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.fathom.nn.KernelOperands.closeCopy;
import static dev.fathom.nn.KernelOperands.contiguous;

/**
 * One LSTM layer over all its time steps as one recorded op, through the backend's fused cell
 * kernels ({@link Kernels#lstmCell}, {@link Kernels#lstmCellBackward}), as cuDNN's RNN does: the
 * graph gets one node per layer, not four per step.
 *
 * <p>Why: recorded step by step, a 2-layer LSTM over 128 steps made some 15 kernel launches per
 * step and layer, most of them the autograd engine's bookkeeping (the pair of h' and c' embedded
 * into zeros for its gradient, a clone for the add that hands one gradient to two inputs, the step
 * gradients copied into the weight gradient's stack, the outputs stacked). On a GPU each launch
 * costs several µs whatever its size: the char-LM step took 34.5 ms on an H200 where PyTorch's
 * cuDNN LSTM took 12. This op makes 2 launches per step forward (h·W_hhᵀ, and the cell, which adds
 * the input projection) and 2 backward (the cell's backward, which adds the next step's dh, and
 * dgates·W_hh), each GEMM one launch with cuBLAS. Counted on the dry-run driver, whose own GEMM
 * adds a split-K pass, that step went from 3,931 launches to 1,894 with the layer op, and to
 * about 1,370 with the adds folded into the cell.
 *
 * <p>The op's output is {@code Y [T, 2, N, H]}: {@code Y[t, 0] = h_t}, {@code Y[t, 1] = c_t}. The
 * layer hands out views of it: the output sequence {@code Y[:, 0]} and the final state
 * {@code Y[T−1]}. So the gradient of {@code Y[t, 1]} is zero below {@code T − 1}, and the backward
 * writes each step's {@code dc_{t−1}} straight into that slot of its copy of the gradient.
 *
 * <p>A pass that builds a graph ({@code createGraph}) recomputes the layer from its inputs with
 * recorded tensor ops ({@link LSTM#composite}) and differentiates that, so that the gradient is
 * itself differentiable.
 */
final class LstmLayerOps {
    private LstmLayerOps() {
    }

    /**
     * {@code {output [T, N, H], h_T [N, H], c_T [N, H]}} of one layer from its input projection
     * {@code xw [T, N, 4H]} (both biases in it), {@code whh [4H, H]} and the initial state
     * {@code h0}, {@code c0} {@code [N, H]}; or null when the backend has no fused cell, or the
     * operands are not all of one dtype and device with these shapes: the caller then runs the
     * steps one by one.
     */
    static Tensor[] run(Tensor xw, Tensor whh, Tensor h0, Tensor c0) {
        if (xw.dim() != 3 || whh.dim() != 2 || h0 == null || c0 == null) {
            return null;
        }
        int steps = xw.size(0), n = xw.size(1), hidden = whh.size(1);
        int[] state = {n, hidden};
        if (steps < 1 || xw.size(2) != 4 * hidden || whh.size(0) != 4 * hidden || !Arrays.equals(h0.shape(), state)
                || !Arrays.equals(c0.shape(), state) || !same(xw, whh) || !same(xw, h0) || !same(xw, c0)) {
            return null;
        }
        KernelOps.Hooks k = KernelOps.hooks();
        Kernels kernels = Backends.kernels(xw.device());
        Tensor y = k.empty(xw.dtype(), xw.device(), new int[] {steps, 2, n, hidden});
        Tensor acts = k.empty(xw.dtype(), xw.device(), new int[] {steps, n, 5 * hidden});
        Tensor xwc = contiguous(xw), c0c = contiguous(c0);
        Tensor whhView, whhT;
        try (GradMode off = Autograd.noGrad()) {
            // W_hhᵀ laid out once for all steps: as a transposed view, the CPU's GEMM packed it
            // through register transposes at every step.
            whhView = whh.t();
            whhT = contiguous(whhView);
        }
        try (GradMode off = Autograd.noGrad()) {
            Tensor h = h0, c = c0c;
            for (int t = 0; t < steps; t++) {
                Tensor step = y.select(0, t);
                try (Tensor gates = h.matmul(whhT)) {
                    kernels.lstmCell(k.strided(gates), k.strided(xwc.select(0, t)), k.strided(c), k.strided(step),
                            k.strided(acts.select(0, t)));
                } catch (UnsupportedOperationException e) {
                    // Only the first step can get here: a backend either has the kernel or not.
                    y.close();
                    acts.close();
                    closeCopy(xwc, xw);
                    closeCopy(c0c, c0);
                    return null;
                }
                h = step.select(0, 0);
                c = step.select(0, 1);
            }
        } finally {
            closeCopy(whhT, whhView);
            whhView.close();
        }
        closeCopy(xwc, xw);
        if (Autograd.shouldRecord(xw, whh, h0, c0)) {
            List<Tensor> saved = new ArrayList<>(List.of(xw, whh, h0, c0, y, acts));
            if (c0c != c0) {
                saved.add(c0c);
            }
            k.record("lstm_layer", y, new Tensor[] {xw, whh, h0, c0}, saved.toArray(new Tensor[0]), gy -> Autograd.isGradEnabled()
                    ? recomputedGrads(xw, whh, h0, c0, gy)
                    : kernelGrads(k, kernels, xw, whh, h0, c0, c0c, y, acts, gy));
        } else {
            closeCopy(c0c, c0);
            acts.close();
        }
        Tensor last = y.select(0, steps - 1);
        return new Tensor[] {y.select(1, 0), last.select(0, 0), last.select(0, 1)};
    }

    private static boolean same(Tensor a, Tensor b) {
        return a.dtype() == b.dtype() && a.device().equals(b.device());
    }

    /**
     * The gradients of xw, whh, h0 and c0 (null for those that do not require grad) from
     * {@code gy [T, 2, N, H]}, by the fused cell's backward, one step at a time from the last;
     * {@code c0c} is c0 as the forward's kernels read it.
     */
    private static Tensor[] kernelGrads(KernelOps.Hooks k, Kernels kernels, Tensor xw, Tensor whh, Tensor h0, Tensor c0, Tensor c0c,
            Tensor y, Tensor acts, Tensor gy) {
        int steps = y.size(0), n = y.size(2), hidden = y.size(3);
        Tensor dxw = k.empty(y.dtype(), y.device(), new int[] {steps, n, 4 * hidden});
        Tensor dc0 = k.empty(y.dtype(), y.device(), new int[] {n, hidden});
        Tensor dh0 = null, dwhh = null;
        // A copy of the output gradient, into which each step writes dc for the step before.
        Tensor g = k.empty(y.dtype(), y.device(), y.shape());
        Tensor dh = null;  // dgates_{t+1}·W_hh: step t+1's share of the gradient of h_t, which the cell adds
        try (GradMode off = Autograd.noGrad()) {
            g.copyFrom(gy);
            for (int t = steps - 1; t >= 0; t--) {
                Tensor cPrev = t > 0 ? y.select(0, t - 1).select(0, 1) : c0c;
                Tensor dcPrev = t > 0 ? g.select(0, t - 1).select(0, 1) : dc0;
                kernels.lstmCellBackward(k.strided(acts.select(0, t)), k.strided(cPrev), k.strided(g.select(0, t)),
                        dh == null ? null : k.strided(dh), k.strided(dxw.select(0, t)), k.strided(dcPrev));
                if (dh != null) {
                    dh.close();
                    dh = null;
                }
                if (t > 0) {
                    dh = dxw.select(0, t).matmul(whh);
                }
            }
            if (h0.requiresGrad()) {
                dh0 = dxw.select(0, 0).matmul(whh);
            }
            if (whh.requiresGrad()) {
                // dW_hh = Σ_t dgates_tᵀ·h_{t−1}: one product of the stacked step gradients and the
                // stacked inputs h0, h_0, ..., h_{T−2}.
                try (Tensor hPrev = k.empty(y.dtype(), y.device(), new int[] {steps, n, hidden})) {
                    hPrev.select(0, 0).copyFrom(h0);
                    if (steps > 1) {
                        hPrev.narrow(0, 1, steps - 1).copyFrom(y.narrow(0, 0, steps - 1).select(1, 0));
                    }
                    dwhh = dxw.reshape(steps * n, 4 * hidden).t().matmul(hPrev.reshape(steps * n, hidden));
                }
            }
        } finally {
            g.close();
            if (dh != null) {
                dh.close();
            }
        }
        if (!c0.requiresGrad()) {
            dc0.close();
            dc0 = null;
        }
        if (!xw.requiresGrad()) {
            dxw.close();
            dxw = null;
        }
        return new Tensor[] {dxw, dwhh, dh0, dc0};
    }

    /** A graph-building pass: the layer once more in recorded tensor ops, differentiated with the graph kept. */
    private static Tensor[] recomputedGrads(Tensor xw, Tensor whh, Tensor h0, Tensor c0, Tensor gy) {
        Tensor[] inputs = {xw, whh, h0, c0};
        List<Tensor> wrt = new ArrayList<>();
        for (Tensor t : inputs) {
            if (t.requiresGrad()) {
                wrt.add(t);
            }
        }
        Tensor[] grads = new Tensor[inputs.length];
        if (wrt.isEmpty()) {
            return grads;
        }
        Tensor[] found = Autograd.grad(new Tensor[] {composite(xw, whh, h0, c0)}, new Tensor[] {gy}, wrt.toArray(new Tensor[0]), true, true);
        for (int i = 0, j = 0; i < inputs.length; i++) {
            if (inputs[i].requiresGrad()) {
                grads[i] = found[j++];
            }
        }
        return grads;
    }

    /** The layer's definition in recorded tensor ops: {@code Y [T, 2, N, H]} as {@link #run} computes it. */
    private static Tensor composite(Tensor xw, Tensor whh, Tensor h0, Tensor c0) {
        Tensor whhT = whh.t();
        Tensor h = h0, c = c0;
        Tensor[] pairs = new Tensor[xw.size(0)];
        for (int t = 0; t < pairs.length; t++) {
            Tensor[] next = LSTM.composite(xw.select(0, t).add(h.matmul(whhT)), c);
            h = next[0];
            c = next[1];
            pairs[t] = Tensor.stack(0, h, c);
        }
        return Tensor.stack(0, pairs);
    }
}
