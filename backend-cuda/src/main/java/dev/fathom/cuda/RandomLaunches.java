package dev.fathom.cuda;

import dev.fathom.spi.Strided;

/** The host side of {@code random.cu} (in progress). */
final class RandomLaunches {
    private final CudaKernels kernels;
    private final KernelModule module;

    RandomLaunches(CudaKernels kernels, CudaDevice device) {
        this.kernels = kernels;
        this.module = new KernelModule(device, "random");
    }

    private UnsupportedOperationException todo(String op, Strided s) {
        return new UnsupportedOperationException(kernels.device() + ": the backend has no " + op + " kernel yet (dtype "
                + s.buffer().dtype() + ")");
    }

    void random(dev.fathom.spi.RandomOp op, Strided out, long seed, long counter, double a, double b) {
        throw todo("random", out);
    }
}
