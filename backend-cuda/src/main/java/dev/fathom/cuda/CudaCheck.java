package dev.fathom.cuda;

import java.util.Objects;

/**
 * The one place a {@code CUresult} from a runtime driver call becomes an exception: every call the
 * allocator, stream and launcher make goes through {@link #check}, so every failure names the op,
 * its shapes, the driver call and the CUDA error.
 *
 * <p>Error names and strings come from the driver ({@code cuGetErrorName}/{@code cuGetErrorString})
 * and, where it does not know a code or cannot be asked, from {@link CudaError#statusName} and a
 * short table of descriptions for the codes users actually meet.
 */
final class CudaCheck {
    static final int SUCCESS = 0;
    static final int OUT_OF_MEMORY = 2;
    static final int NOT_READY = 600;

    private final CudaDriver driver;

    CudaCheck(CudaDriver driver) {
        this.driver = Objects.requireNonNull(driver, "driver");
    }

    /**
     * Throws a {@link CudaException} unless {@code status} is {@code CUDA_SUCCESS}.
     *
     * @param op     the op and driver call, e.g. {@code "matmul: cuLaunchKernel(gemm_f32)"}
     * @param shapes what the op worked on, e.g. {@code "[64, 128] x [128, 10]"} (its toString: a
     *               {@link LazyText} is formatted only here); may be empty
     */
    void check(String op, Object shapes, int status) {
        if (status != SUCCESS) {
            throw new CudaException(message(op, shapes, status), op, status);
        }
    }

    /** {@code "cuda: <op> <shapes> failed: CUDA_ERROR_X (n): description[; the context is now unusable...]"}. */
    String message(String op, Object shapes, int status) {
        StringBuilder m = new StringBuilder("cuda: ").append(op);
        String text = shapes == null ? "" : shapes.toString();
        if (!text.isBlank()) {
            m.append(' ').append(text);
        }
        m.append(" failed: ").append(describe(status));
        if (isSticky(status)) {
            m.append("; the CUDA context is now unusable (a kernel faulted), so restart the process; rerun with "
                    + "-Dfathom.cuda.sync=true to pin the failure to the op that caused it");
        }
        return m.toString();
    }

    /** {@code "CUDA_ERROR_OUT_OF_MEMORY (2): out of memory"}. */
    String describe(int status) {
        String name = safe(() -> driver.errorName(status));
        if (name == null) {
            name = CudaError.statusName(status);
            if (name.startsWith("CUresult")) {
                name = "unknown CUDA error";
            }
        }
        String text = safe(() -> driver.errorString(status));
        if (text == null) {
            text = builtInString(status);
        }
        return name + " (" + status + ")" + (text == null ? "" : ": " + text);
    }

    /**
     * Errors after which the context cannot be used again: illegal address (700), launch timeout
     * (702) and the kernel faults 714 to 719, which the CUDA documentation says leave the process
     * in an inconsistent state. 701 (too many resources) is refused at launch and is not sticky.
     */
    static boolean isSticky(int status) {
        return status == 700 || status == 702 || (status >= 714 && status <= 719);
    }

    /** The driver's descriptions of the common codes, for when the driver cannot be asked. */
    static String builtInString(int status) {
        return switch (status) {
            case 1 -> "invalid argument";
            case 2 -> "out of memory";
            case 3 -> "initialization error";
            case 35 -> "CUDA driver version is insufficient for CUDA runtime version";
            case 100 -> "no CUDA-capable device is detected";
            case 201 -> "invalid device context";
            case 209 -> "no kernel image is available for execution on the device";
            case 218 -> "a PTX JIT compilation failed";
            case 222 -> "the provided PTX was compiled with an unsupported toolchain.";
            case 400 -> "invalid resource handle";
            case 500 -> "named symbol not found";
            case 600 -> "device not ready";
            case 700 -> "an illegal memory access was encountered";
            case 701 -> "too many resources requested for launch";
            case 719 -> "unspecified launch failure";
            default -> null;
        };
    }

    /** The driver may be a fake without names, or a driver whose library failed to load: never let naming an error throw. */
    private static String safe(java.util.function.Supplier<String> s) {
        try {
            return s.get();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }
}
