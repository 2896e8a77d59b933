package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
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
 * One LSTM step's elementwise part through the backend's fused kernel ({@link Kernels#lstmCell}
 * and its backward); {@link LSTM#cell} holds the composite that defines it and uses that when a
 * backend has no such kernel (a null result here).
 *
 * <p>The kernel writes h' and c' as the two halves of one {@code [2, ..., H]} tensor, which is
 * what the graph records, and the activations {@code (i, f, g, o, tanh c')} the backward kernel
 * needs; h' and c' are views of it, so a step whose c' is not used gets a zero gradient there.
 * A pass that builds a graph ({@code createGraph}) gets the gradient from tensor ops instead,
 * the gates' activations recomputed, so that it is recorded and differentiable again.
 */
final class LstmCellOps {
    private LstmCellOps() {
    }

    /**
     * {@code {h', c'}} from the gates' pre-activations {@code [..., 4H]} and c {@code [..., H]}, or
     * null without a kernel, or when c's shape is not the gates' with H for 4H (an unbatched
     * layer's c broadcasts against its gates) or the two differ in dtype or device: the composite
     * handles the first and names the others in its error.
     */
    static Tensor[] cell(Tensor gates, Tensor c) {
        int[] hs = gates.shape().clone();
        if (hs.length == 0 || hs[hs.length - 1] % 4 != 0 || gates.dtype() != c.dtype() || !gates.device().equals(c.device())) {
            return null;
        }
        hs[hs.length - 1] /= 4;
        if (!Arrays.equals(hs, c.shape())) {
            return null;
        }
        KernelOps.Hooks h = KernelOps.hooks();
        Tensor gc = contiguous(gates), cc = contiguous(c);
        int[] cs = c.shape();
        int[] pair = new int[cs.length + 1];
        pair[0] = 2;
        System.arraycopy(cs, 0, pair, 1, cs.length);
        int[] actsShape = cs.clone();
        actsShape[cs.length - 1] *= 5;
        Tensor out = h.empty(c.dtype(), c.device(), pair);
        Tensor acts = h.empty(c.dtype(), c.device(), actsShape);
        try {
            Backends.kernels(c.device()).lstmCell(h.strided(gc), h.strided(cc), h.strided(out), h.strided(acts));
        } catch (UnsupportedOperationException e) {
            out.close();
            acts.close();
            closeCopy(gc, gates);
            closeCopy(cc, c);
            return null;
        }
        List<Tensor> saved = new ArrayList<>(List.of(gates, c, acts));
        if (gc != gates) {
            saved.add(gc);
        }
        if (cc != c) {
            saved.add(cc);
        }
        Tensor y = h.record("lstm_cell", out, new Tensor[] {gates, c}, saved.toArray(new Tensor[0]), gy -> {
            if (!Autograd.shouldRecord(gates, c, gy)) {
                Tensor[] g = kernelGrads(h, gates, c, acts, cc, gy);
                if (g != null) {
                    return g;
                }
            }
            return compositeGrads(gates, c, gy);
        });
        return new Tensor[] {y.select(0, 0), y.select(0, 1)};
    }

    /** The gradients by the backward kernel, or null when the backend has none. */
    private static Tensor[] kernelGrads(KernelOps.Hooks h, Tensor gates, Tensor c, Tensor acts, Tensor cc, Tensor gy) {
        Tensor gyc = contiguous(gy);
        Tensor gz = h.empty(gates.dtype(), gates.device(), gates.shape());
        Tensor gcPrev = h.empty(c.dtype(), c.device(), c.shape());
        try {
            Backends.kernels(c.device()).lstmCellBackward(h.strided(acts), h.strided(cc), h.strided(gyc), h.strided(gz), h.strided(gcPrev));
        } catch (UnsupportedOperationException e) {
            gz.close();
            gcPrev.close();
            return null;
        } finally {
            closeCopy(gyc, gy);
        }
        if (!c.requiresGrad()) {
            gcPrev.close();
            gcPrev = null;
        }
        if (!gates.requiresGrad()) {
            gz.close();
            gz = null;
        }
        return new Tensor[] {gz, gcPrev};
    }

    /** The kernel's formula ({@link Kernels#lstmCellBackward}) in tensor ops, from the gates themselves. */
    private static Tensor[] compositeGrads(Tensor gates, Tensor c, Tensor gy) {
        Tensor[] z = gates.chunk(4, -1);
        Tensor i = z[0].sigmoid(), f = z[1].sigmoid(), g = z[2].tanh(), o = z[3].sigmoid();
        Tensor t = f.mul(c).add(i.mul(g)).tanh();
        Tensor gh = gy.select(0, 0);
        Tensor d = gy.select(0, 1).add(gh.mul(o).mul(t.mul(t).neg().add(1.0)));
        Tensor gz = gates.requiresGrad()
                ? Tensor.cat(-1, d.mul(g).mul(i.mul(i.neg().add(1.0))), d.mul(c).mul(f.mul(f.neg().add(1.0))),
                        d.mul(i).mul(g.mul(g).neg().add(1.0)), gh.mul(t).mul(o.mul(o.neg().add(1.0))))
                : null;
        return new Tensor[] {gz, c.requiresGrad() ? d.mul(f) : null};
    }
}
