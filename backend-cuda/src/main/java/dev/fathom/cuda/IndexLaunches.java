package dev.fathom.cuda;

import dev.fathom.spi.Strided;

/** The host side of {@code index.cu} (in progress). */
final class IndexLaunches {
    private final CudaKernels kernels;
    private final KernelModule module;

    IndexLaunches(CudaKernels kernels, CudaDevice device) {
        this.kernels = kernels;
        this.module = new KernelModule(device, "index");
    }

    private UnsupportedOperationException todo(String op, Strided s) {
        return new UnsupportedOperationException(kernels.device() + ": the backend has no " + op + " kernel yet (dtype "
                + s.buffer().dtype() + ")");
    }

    void gather(Strided x, int dim, Strided index, Strided out) {
        throw todo("gather", x);
    }

    void scatterAdd(Strided src, int dim, Strided index, Strided out) {
        throw todo("scatterAdd", src);
    }
}
