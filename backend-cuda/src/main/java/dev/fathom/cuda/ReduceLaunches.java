package dev.fathom.cuda;

import dev.fathom.spi.Strided;

/** The host side of {@code reduce.cu} (in progress). */
final class ReduceLaunches {
    private final CudaKernels kernels;
    private final KernelModule module;

    ReduceLaunches(CudaKernels kernels, CudaDevice device) {
        this.kernels = kernels;
        this.module = new KernelModule(device, "reduce");
    }

    private UnsupportedOperationException todo(String op, Strided s) {
        return new UnsupportedOperationException(kernels.device() + ": the backend has no " + op + " kernel yet (dtype "
                + s.buffer().dtype() + ")");
    }

    void reduce(dev.fathom.spi.ReduceOp op, Strided x, int[] axes, Strided out) {
        throw todo("reduce", x);
    }
}
