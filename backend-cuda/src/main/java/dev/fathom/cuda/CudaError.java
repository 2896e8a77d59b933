package dev.fathom.cuda;

/** A driver API call returned an error status; the message names the call and the {@code CUresult}. */
final class CudaError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    CudaError(String call, int status) {
        super(call + " failed: " + statusName(status) + " (" + status + ")");
        this.status = status;
    }

    /** The {@code CUresult} value. */
    int status() {
        return status;
    }

    /** Throws unless {@code status} is {@code CUDA_SUCCESS} (0). */
    static void check(String call, int status) {
        if (status != 0) {
            throw new CudaError(call, status);
        }
    }

    /**
     * The {@code CUresult} name. The common codes are spelled out here because JCuda 12.6's
     * {@code CUresult.stringFor} does not know all of them (35, for one), and because a fake
     * driver in tests has no {@code cuGetErrorName}.
     */
    static String statusName(int status) {
        return switch (status) {
            case 0 -> "CUDA_SUCCESS";
            case 1 -> "CUDA_ERROR_INVALID_VALUE";
            case 2 -> "CUDA_ERROR_OUT_OF_MEMORY";
            case 3 -> "CUDA_ERROR_NOT_INITIALIZED";
            case 4 -> "CUDA_ERROR_DEINITIALIZED";
            case 34 -> "CUDA_ERROR_STUB_LIBRARY";
            case 35 -> "CUDA_ERROR_INSUFFICIENT_DRIVER";
            case 46 -> "CUDA_ERROR_DEVICE_UNAVAILABLE";
            case 100 -> "CUDA_ERROR_NO_DEVICE";
            case 101 -> "CUDA_ERROR_INVALID_DEVICE";
            case 200 -> "CUDA_ERROR_INVALID_IMAGE";
            case 201 -> "CUDA_ERROR_INVALID_CONTEXT";
            case 209 -> "CUDA_ERROR_NO_BINARY_FOR_GPU";
            case 218 -> "CUDA_ERROR_INVALID_PTX";
            case 221 -> "CUDA_ERROR_JIT_COMPILER_NOT_FOUND";
            case 222 -> "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
            case 400 -> "CUDA_ERROR_INVALID_HANDLE";
            case 500 -> "CUDA_ERROR_NOT_FOUND";
            case 600 -> "CUDA_ERROR_NOT_READY";
            case 700 -> "CUDA_ERROR_ILLEGAL_ADDRESS";
            case 701 -> "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
            case 702 -> "CUDA_ERROR_LAUNCH_TIMEOUT";
            case 714 -> "CUDA_ERROR_HARDWARE_STACK_ERROR";
            case 715 -> "CUDA_ERROR_ILLEGAL_INSTRUCTION";
            case 716 -> "CUDA_ERROR_MISALIGNED_ADDRESS";
            case 719 -> "CUDA_ERROR_LAUNCH_FAILED";
            case 802 -> "CUDA_ERROR_SYSTEM_NOT_READY";
            case 803 -> "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH";
            case 804 -> "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE";
            case 999 -> "CUDA_ERROR_UNKNOWN";
            default -> "CUresult " + status;
        };
    }
}
