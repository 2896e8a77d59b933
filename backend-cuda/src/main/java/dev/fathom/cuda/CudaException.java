package dev.fathom.cuda;

/**
 * A CUDA driver call failed while running an op. The message names the op, the shapes it worked
 * on, the driver call and the CUDA error (name, number and the driver's description), e.g.
 * {@code "cuda: matmul [64, 128] x [128, 10] failed in cuLaunchKernel(gemm_f32): CUDA_ERROR_INVALID_VALUE (1): invalid argument"}.
 *
 * <p>An {@link IllegalStateException}: the device or context is in a state where the op cannot
 * run. Kernel faults (illegal address, launch failure, ...; see {@link CudaCheck#isSticky}) are
 * sticky: the context is unusable afterwards and the message says so.
 */
public class CudaException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final String op;
    private final int status;

    CudaException(String message, String op, int status) {
        super(message);
        this.op = op;
        this.status = status;
    }

    /** The op (and driver call) that failed, e.g. {@code "matmul"}. */
    public String op() {
        return op;
    }

    /** The {@code CUresult}; 0 when the failure is not a driver status (e.g. a refused request). */
    public int status() {
        return status;
    }
}
