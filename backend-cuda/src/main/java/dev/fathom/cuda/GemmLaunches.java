package dev.fathom.cuda;

import dev.fathom.spi.Strided;

/** The host side of {@code gemm.cu} (in progress). */
final class GemmLaunches {
    private final CudaKernels kernels;
    private final KernelModule module;

    GemmLaunches(CudaKernels kernels, CudaDevice device) {
        this.kernels = kernels;
        this.module = new KernelModule(device, "gemm");
    }

    private UnsupportedOperationException todo(String op, Strided s) {
        return new UnsupportedOperationException(kernels.device() + ": the backend has no " + op + " kernel yet (dtype "
                + s.buffer().dtype() + ")");
    }

    void matmul(Strided a, Strided b, Strided out) {
        throw todo("matmul", a);
    }
}
