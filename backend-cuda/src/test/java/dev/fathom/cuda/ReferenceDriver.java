package dev.fathom.cuda;

/**
 * A {@link FakeDriver} whose kernels are the Java loops of {@link ReferenceKernels}. With
 * {@code -Dfathom.cuda.driver=dev.fathom.cuda.ReferenceDriver} the whole backend runs on it, so
 * the conformance suite checks the host side of {@link CudaKernels} numerically (the kernels
 * themselves are checked by the emulation tests).
 */
final class ReferenceDriver extends FakeDriver {
    ReferenceDriver() {
        ReferenceKernels.install(this);
    }
}
