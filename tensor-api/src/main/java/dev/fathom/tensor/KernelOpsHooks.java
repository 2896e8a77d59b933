package dev.fathom.tensor;

import dev.fathom.autograd.BackwardFn;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.internal.KernelOps;

import java.util.function.Supplier;

/** Lends {@link Ops}' plumbing to {@link KernelOps} (see there); installs itself when loaded. */
final class KernelOpsHooks implements KernelOps.Hooks {
    static {
        KernelOps.install(new KernelOpsHooks());
    }

    private KernelOpsHooks() {
    }

    @Override
    public Strided strided(Tensor t) {
        return Ops.strided(t);
    }

    @Override
    public Tensor empty(DType dtype, Device device, int[] shape) {
        return Ops.empty(dtype, device, shape);
    }

    @Override
    public Tensor record(String op, Tensor out, Tensor[] inputs, Tensor[] saved, BackwardFn fn) {
        return Ops.record(op, out, inputs, saved, fn);
    }

    @Override
    public Tensor intermediates(Supplier<Tensor> body) {
        return Scope.intermediates(body);
    }

    @Override
    public void modified(Tensor t) {
        t.storage.bumpVersion();
    }

    @Override
    public boolean soleView(Tensor t) {
        return t.isContiguous() && t.storage.refs() == 1;
    }

    @Override
    public boolean selfOverlapping(Tensor t) {
        return Ops.sharedDim(t) >= 0;
    }
}
