package dev.fathom.cuda;

import java.nio.ByteBuffer;

/**
 * The calls to the NVIDIA driver API that the backend makes, as an interface so that host logic
 * can be tested against a fake driver. Any method may throw {@link LinkageError} when the driver
 * library is missing.
 *
 * <p>Two styles, on purpose: the probe's calls (up to {@link #computeCapability}) throw
 * {@link CudaError}, because the probe turns each failure into one availability line. The
 * runtime calls below them return the {@code CUresult} (0 is {@code CUDA_SUCCESS}) and hand
 * results back through one-element arrays, as the C API does, so that every one of them goes
 * through {@link CudaCheck#check}, which names the op and the shapes. Device pointers, streams,
 * events, modules and functions are {@code long} handles; stream 0 is the legacy default stream.
 */
interface CudaDriver {

    /** {@code cuInit(0)}. */
    void init();

    /** {@code cuDriverGetVersion}: e.g. 12080 for CUDA 12.8. */
    int driverVersion();

    /** {@code cuDeviceGetCount}. */
    int deviceCount();

    /** {@code cuDeviceGetName} of device {@code ordinal}. */
    String deviceName(int ordinal);

    /** {@code cuDeviceTotalMem} of device {@code ordinal}, in bytes. */
    long totalMemory(int ordinal);

    /** Compute capability of device {@code ordinal} as {major, minor}. */
    int[] computeCapability(int ordinal);

    /** {@code cuDevicePrimaryCtxRetain} then {@code cuCtxSetCurrent} on the calling thread. */
    int ctxRetainPrimary(int ordinal);

    /** {@code cuCtxSynchronize}: waits for all work in the current context. */
    int ctxSynchronize();

    /** {@code cuMemAlloc}: {@code ptr[0]} receives the device address. */
    int memAlloc(long[] ptr, long bytes);

    /** {@code cuMemFree} of an address that {@link #memAlloc} returned. */
    int memFree(long ptr);

    /** {@code cuMemGetInfo}: {@code freeAndTotal[0]} free bytes, {@code freeAndTotal[1]} total bytes. */
    int memGetInfo(long[] freeAndTotal);

    /**
     * {@code cuMemAllocHost}: page-locked host memory, which copies reach at full PCIe speed and
     * truly asynchronously; {@code out[0]} receives it as a direct buffer of {@code bytes}.
     */
    int memAllocHost(java.nio.ByteBuffer[] out, long bytes);

    /** {@code cuMemFreeHost} of a buffer {@link #memAllocHost} returned. */
    int memFreeHost(java.nio.ByteBuffer buffer);

    /** {@code cuMemcpyHtoDAsync} of {@code bytes} from {@code src}'s position (a direct buffer) to {@code dst}. */
    int memcpyHtoDAsync(long dst, ByteBuffer src, long bytes, long stream);

    /** {@code cuMemcpyDtoHAsync} of {@code bytes} from {@code src} into {@code dst}'s position (a direct buffer). */
    int memcpyDtoHAsync(ByteBuffer dst, long src, long bytes, long stream);

    /** {@code cuStreamCreate} with default flags: {@code stream[0]} receives the handle. */
    int streamCreate(long[] stream);

    /** {@code cuStreamSynchronize}. */
    int streamSynchronize(long stream);

    /** {@code cuStreamDestroy}. */
    int streamDestroy(long stream);

    /** {@code cuEventCreate} with default flags. */
    int eventCreate(long[] event);

    /** {@code cuEventRecord} on {@code stream}. */
    int eventRecord(long event, long stream);

    /** {@code cuEventQuery}: 0 when the work before the event is done, 600 ({@code CUDA_ERROR_NOT_READY}) while not. */
    int eventQuery(long event);

    /** {@code cuEventSynchronize}. */
    int eventSynchronize(long event);

    /** {@code cuEventDestroy}. */
    int eventDestroy(long event);

    /**
     * {@code cuEventElapsedTime}: {@code ms[0]} receives the milliseconds from {@code start} to
     * {@code end}, both recorded and finished; 600 ({@code CUDA_ERROR_NOT_READY}) while one is not.
     */
    int eventElapsedTime(float[] ms, long start, long end);

    /** {@code cuModuleLoadData} of a PTX text or cubin image. */
    int moduleLoadData(long[] module, byte[] image);

    /** {@code cuModuleGetFunction}: 500 ({@code CUDA_ERROR_NOT_FOUND}) when the module has no such entry. */
    int moduleGetFunction(long[] function, long module, String name);

    /** {@code cuLaunchKernel}: enqueues on {@code stream} and returns; a kernel that faults reports it at a later sync. */
    int launchKernel(long function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
            int sharedBytes, long stream, KernelParams params);

    /**
     * {@code cuLaunchKernelEx} with {@code CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION}:
     * the launch may begin before the kernel before it on {@code stream} has finished, so the kernel
     * must wait for it itself ({@code fm_grid_dependency}). Only {@link KernelLauncher} calls it, for
     * code compiled for sm_90, where every own kernel does. A driver without it launches as
     * {@link #launchKernel} does, which is always correct (the overlap is only an optimization).
     */
    default int launchKernelProgrammatic(long function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
            int sharedBytes, long stream, KernelParams params) {
        return launchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, stream, params);
    }

    /** {@code cuGetErrorName}, e.g. {@code "CUDA_ERROR_OUT_OF_MEMORY"}; null when the driver does not know the code. */
    String errorName(int status);

    /** {@code cuGetErrorString}, e.g. {@code "out of memory"}; null when the driver does not know the code. */
    String errorString(int status);

    // ---- cuBLAS: only called when CudaLibraries found it loaded (CudaPlan#cublas) ----------------
    // These return the cublasStatus_t (0 is CUBLAS_STATUS_SUCCESS). A driver without cuBLAS (a
    // fake, the emulator) keeps the defaults, and a plan for it never routes GEMM to cuBLAS.

    /** {@code cublasCreate}, then {@code cublasSetStream(stream)}; {@code handle[0]} receives it. */
    default int blasCreate(long[] handle, long stream) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuBLAS");
    }

    /** {@code cublasDestroy}. */
    default int blasDestroy(long handle) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuBLAS");
    }

    /**
     * {@code cublasSgemmStridedBatched} ({@code cublasDgemmStridedBatched} when {@code f64}) with
     * alpha 1 and beta 0, column-major, as cuBLAS defines it: for each of {@code batch} products,
     * {@code C = op(A)·op(B)} with C {@code m×n}; addresses are device byte addresses, strides in
     * elements.
     */
    default int blasGemmStridedBatched(long handle, boolean f64, boolean transA, boolean transB, int m, int n, int k, long a,
            int lda, long strideA, long b, int ldb, long strideB, long c, int ldc, long strideC, int batch) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuBLAS");
    }

    // ---- cuDNN: only called when CudaLibraries found it loaded (CudaPlan#cudnn) -------------------
    // These return the cudnnStatus_t (0 is CUDNN_STATUS_SUCCESS); cudnnErrorString names any other.
    // Descriptors are long handles like streams; each create* call is cudnnCreate*Descriptor and its
    // set call in one (a descriptor is never used half set), and cudnnDestroyDescriptor destroys any
    // kind. Data pointers are device byte addresses. alpha and beta are cuDNN's blend,
    // dst = alpha·result + beta·dst, passed to cuDNN as double for F64 data and float otherwise.
    // A driver without cuDNN keeps the defaults, and a plan for it routes nothing to cuDNN.

    /** The three passes of one convolution: which of x, w and y each writes ({@link #cudnnConvolution}). */
    enum ConvPass {
        /** {@code cudnnConvolutionForward}: y from x and w. */
        FORWARD("cudnnConvolutionForward"),
        /** {@code cudnnConvolutionBackwardData}: dx (the x operand) from dy (the y operand) and w. */
        BACKWARD_DATA("cudnnConvolutionBackwardData"),
        /** {@code cudnnConvolutionBackwardFilter}: dw (the w operand) from x and dy (the y operand). */
        BACKWARD_FILTER("cudnnConvolutionBackwardFilter");

        private final String call;

        ConvPass(String call) {
            this.call = call;
        }

        /** The cuDNN function the pass calls, for messages and profiles. */
        String call() {
            return call;
        }
    }

    /**
     * One algorithm as {@code cudnnGetConvolution*Algorithm_v7} rates it, best first, or as
     * {@code cudnnFindConvolution*AlgorithmEx} measured it, fastest first.
     *
     * @param status its {@code cudnnStatus_t}: 0 when it supports the problem
     * @param memory workspace bytes it needs
     * @param deterministic {@code determinism == CUDNN_DETERMINISTIC}: the same bits on every run
     * @param mathType its {@code cudnnMathType_t} (3, {@code CUDNN_FMA_MATH}: no tensor cores, no TF32)
     * @param timeMs the measured time in milliseconds; NaN from the heuristics
     */
    record AlgoPerf(int algo, int status, long memory, boolean deterministic, int mathType, float timeMs) {
        /** As the heuristics rate it: nothing was run, so no time. */
        AlgoPerf(int algo, int status, long memory, boolean deterministic, int mathType) {
            this(algo, status, memory, deterministic, mathType, Float.NaN);
        }
    }

    /** {@code cudnnCreate}, then {@code cudnnSetStream(stream)}; {@code handle[0]} receives it. */
    default int cudnnCreate(long[] handle, long stream) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuDNN");
    }

    /** {@code cudnnDestroy}. */
    default int cudnnDestroy(long handle) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuDNN");
    }

    /**
     * {@code cudnnCreateTensorDescriptor} and {@code cudnnSetTensor4dDescriptorEx}: an
     * {@code n×c×h×w} tensor of {@code CUDNN_DATA_DOUBLE} ({@code f64}) or {@code CUDNN_DATA_FLOAT}
     * with the given element strides.
     */
    default int cudnnCreateTensorDescriptor(long[] desc, boolean f64, int n, int c, int h, int w, int nStride, int cStride,
            int hStride, int wStride) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuDNN");
    }

    /** {@code cudnnCreateFilterDescriptor} and {@code cudnnSetFilter4dDescriptor}: {@code k×c×h×w}, {@code CUDNN_TENSOR_NCHW} (packed). */
    default int cudnnCreateFilterDescriptor(long[] desc, boolean f64, int k, int c, int h, int w) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuDNN");
    }

    /**
     * {@code cudnnCreateConvolutionDescriptor}, {@code cudnnSetConvolution2dDescriptor} (compute
     * type of the data's precision), {@code cudnnSetConvolutionGroupCount} and
     * {@code cudnnSetConvolutionMathType}; {@code mode} 1 is {@code CUDNN_CROSS_CORRELATION} (what
     * deep-learning frameworks call convolution), 0 {@code CUDNN_CONVOLUTION} (flipped filter).
     */
    default int cudnnCreateConvolutionDescriptor(long[] desc, boolean f64, int padH, int padW, int strideH, int strideW,
            int dilH, int dilW, int groups, int mode, int mathType) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuDNN");
    }

    /** {@code cudnnDestroyTensorDescriptor}, {@code ...FilterDescriptor} or {@code ...ConvolutionDescriptor}, as {@code desc} is. */
    default int cudnnDestroyDescriptor(long desc) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuDNN");
    }

    /**
     * {@code cudnnGetConvolution{Forward,BackwardData,BackwardFilter}AlgorithmMaxCount} and
     * {@code ..._v7} (heuristics, nothing run): appends every rated algorithm to {@code out}, best first.
     */
    default int cudnnGetConvolutionAlgorithms(long handle, ConvPass pass, long xDesc, long wDesc, long convDesc, long yDesc,
            java.util.List<AlgoPerf> out) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuDNN");
    }

    /**
     * {@code cudnnFindConvolution{Forward,BackwardData,BackwardFilter}AlgorithmEx}: runs every
     * algorithm on the given buffers (it writes the pass's output: y, dx in x's place or dw in w's)
     * with the workspace given, and appends each one's result to {@code out}, fastest first.
     * Synchronous: it returns when the measurements are done.
     */
    default int cudnnFindConvolutionAlgorithms(long handle, ConvPass pass, long xDesc, long x, long wDesc, long w, long convDesc,
            long yDesc, long y, long workspace, long workspaceBytes, java.util.List<AlgoPerf> out) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuDNN");
    }

    /** {@code cudnnGetConvolution{Forward,BackwardData,BackwardFilter}WorkspaceSize} of {@code algo}: {@code bytes[0]}. */
    default int cudnnGetConvolutionWorkspaceSize(long handle, ConvPass pass, long xDesc, long wDesc, long convDesc, long yDesc,
            int algo, long[] bytes) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuDNN");
    }

    /**
     * {@code cudnnConvolutionForward}, {@code ...BackwardData} or {@code ...BackwardFilter} as
     * {@link ConvPass} says, with {@code algo} and a workspace of {@code workspaceBytes} at
     * {@code workspace} (0 when none); {@code x}, {@code w}, {@code y} are the forward pass's
     * operands (for the backward passes dx, dw and dy in their places).
     */
    default int cudnnConvolution(long handle, ConvPass pass, boolean f64, double alpha, long xDesc, long x, long wDesc, long w,
            long convDesc, int algo, long workspace, long workspaceBytes, double beta, long yDesc, long y) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuDNN");
    }

    /**
     * {@code cudnnBatchNormalizationForwardTraining} in {@code mode} (1, {@code CUDNN_BATCHNORM_SPATIAL}:
     * statistics per channel over N, H and W), without running averages (both NULL): writes y and
     * the batch's mean and {@code 1/sqrt(biased var + eps)} per channel.
     */
    default int cudnnBatchNormForwardTraining(long handle, int mode, boolean f64, double alpha, double beta, long xDesc, long x,
            long yDesc, long y, long bnDesc, long scale, long bias, double eps, long saveMean, long saveInvStd) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuDNN");
    }

    /**
     * {@code cudnnBatchNormalizationBackward} in {@code mode} from the saved mean and inverse
     * standard deviation: dx blended by {@code (alphaData, betaData)}, dScale and dBias by
     * {@code (alphaParam, betaParam)}. {@code eps} is used only when the saved statistics are NULL.
     */
    default int cudnnBatchNormBackward(long handle, int mode, boolean f64, double alphaData, double betaData, double alphaParam,
            double betaParam, long xDesc, long x, long dyDesc, long dy, long dxDesc, long dx, long bnDesc, long scale,
            long dScale, long dBias, double eps, long savedMean, long savedInvStd) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no cuDNN");
    }

    /** {@code cudnnGetErrorString}, e.g. {@code "CUDNN_STATUS_BAD_PARAM"} (cuDNN 9's codes differ from cuDNN 8's). */
    default String cudnnErrorString(int status) {
        return "cudnnStatus " + status;
    }

    /** The name of a {@code cublasStatus_t}, e.g. {@code "CUBLAS_STATUS_INVALID_VALUE"}. */
    static String blasStatusName(int status) {
        return switch (status) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "cublasStatus " + status;
        };
    }
}
