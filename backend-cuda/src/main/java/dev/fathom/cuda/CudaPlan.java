package dev.fathom.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * Which implementation serves each family of ops on this machine, decided once at start-up from
 * the driver version and the libraries that loaded, and printed by {@code fathom devices}.
 *
 * <p>Kernels come from the shipped PTX when the driver can JIT its ISA, else from the shipped CUDA
 * C compiled by NVRTC for the GPU's architecture, else there are none and the backend is
 * unavailable. GEMM goes to cuBLAS when it loads, else to the own tiled kernel. Convolution and
 * batch normalization go to cuDNN when it loads ({@link CudnnOps}, deterministic algorithms only),
 * else to the own kernels. Pooling always uses the own kernels: the SPI's max-pool returns the
 * argmax indices and its backward scatters by them, and cuDNN's pooling neither returns indices
 * nor takes them back (its backward recomputes the max from x and y); average pooling, which
 * would fit, is a bandwidth-bound loop where cuDNN has nothing to add. Each library can be turned
 * off ({@value #CUBLAS_PROPERTY}, {@value #CUDNN_PROPERTY} {@code =false}) to compare or to rule
 * it out when a result looks wrong.
 *
 * @param kernelSource where the own kernels come from: {@link KernelSource#SHIPPED_PTX},
 *        {@link KernelSource#NVRTC} or {@link KernelSource#NONE}
 * @param cublas whether matmul calls cuBLAS
 * @param cudnn whether conv2d and batch norm call cuDNN
 * @param lines one human-readable line per op family, with the reason for every fallback
 */
record CudaPlan(KernelSource kernelSource, boolean cublas, boolean cudnn, List<String> lines) {

    /** {@code -Dfathom.cuda.cublas=false} keeps GEMM on the own kernels even where cuBLAS loads. */
    static final String CUBLAS_PROPERTY = "fathom.cuda.cublas";

    /** {@code -Dfathom.cuda.cudnn=false} keeps convolution and batch norm on the own kernels even where cuDNN loads. */
    static final String CUDNN_PROPERTY = "fathom.cuda.cudnn";

    /** Where the own kernels' code comes from. */
    enum KernelSource { SHIPPED_PTX, NVRTC, NONE }

    CudaPlan {
        lines = List.copyOf(lines);
    }

    /**
     * The plan for a driver reporting CUDA {@code driverVersion} (e.g. 13000), the PTX ISA this
     * build ships and the libraries found.
     */
    static CudaPlan decide(int driverVersion, AvailabilityReasons.PtxIsa shipped, CudaLibraries libs) {
        return decide(driverVersion, shipped, libs, !"false".equalsIgnoreCase(System.getProperty(CUBLAS_PROPERTY)),
                !"false".equalsIgnoreCase(System.getProperty(CUDNN_PROPERTY)));
    }

    /** As {@link #decide(int, AvailabilityReasons.PtxIsa, CudaLibraries)}, with cuBLAS allowed or not and cuDNN allowed. */
    static CudaPlan decide(int driverVersion, AvailabilityReasons.PtxIsa shipped, CudaLibraries libs, boolean allowCublas) {
        return decide(driverVersion, shipped, libs, allowCublas, true);
    }

    /** As {@link #decide(int, AvailabilityReasons.PtxIsa, CudaLibraries)}, with cuBLAS and cuDNN allowed or not. */
    static CudaPlan decide(int driverVersion, AvailabilityReasons.PtxIsa shipped, CudaLibraries libs, boolean allowCublas,
            boolean allowCudnn) {
        List<String> lines = new ArrayList<>();
        KernelSource source;
        if (driverVersion >= shipped.minimumCuda()) {
            source = KernelSource.SHIPPED_PTX;
            lines.add("kernels: shipped sm_80/sm_90 machine code on compute capability 8.x and 9.0, else the shipped PTX ISA "
                    + shipped + ", compiled for the GPU by the driver");
        } else if (libs.nvrtc().isLoaded()) {
            source = KernelSource.NVRTC;
            lines.add("kernels: the shipped CUDA C compiled at start-up by NVRTC " + libs.nvrtc().version() + " ("
                    + AvailabilityReasons.ptxTooNew(shipped, driverVersion) + ")");
        } else {
            source = KernelSource.NONE;
            lines.add("kernels: none (" + AvailabilityReasons.ptxTooNew(shipped, driverVersion) + "; NVRTC, which could compile"
                    + " the CUDA C instead: " + libs.nvrtc().reason() + ")");
        }
        boolean cublas = libs.cublas().isLoaded() && allowCublas;
        if (cublas) {
            lines.add("matmul: " + libs.cublas().describe() + " (cublasSgemmStridedBatched / cublasDgemmStridedBatched; I64 and"
                    + " layouts BLAS cannot read: own tiled GEMM)");
        } else if (libs.cublas().isLoaded()) {
            lines.add("matmul: own tiled GEMM (gemm.cu); " + libs.cublas().describe() + " loaded, turned off by -D" + CUBLAS_PROPERTY
                    + "=false");
        } else {
            lines.add("matmul: own tiled GEMM (gemm.cu); " + libs.cublas().describe());
        }
        boolean cudnn = libs.cudnn().isLoaded() && allowCudnn;
        if (cudnn) {
            lines.add("conv2d: " + libs.cudnn().describe() + " (cudnnConvolutionForward / BackwardData / BackwardFilter, "
                    + CudnnAlgoSearch.describeConfigured() + ", FMA math: no TF32; empty"
                    + " batches and problems with no deterministic algorithm: own implicit-GEMM kernels)");
            lines.add("batch norm: " + libs.cudnn().describe() + " (cudnnBatchNormalizationForwardTraining / Backward, spatial;"
                    + " eps < 1e-5: own kernels)");
        } else {
            String why = libs.cudnn().isLoaded() ? libs.cudnn().describe() + " loaded, turned off by -D" + CUDNN_PROPERTY + "=false"
                    : libs.cudnn().describe();
            lines.add("conv2d: own implicit-GEMM kernels (conv.cu); " + why);
            lines.add("batch norm: own kernels (norm.cu); " + why);
        }
        lines.add("pooling: own kernels (pool.cu): max-pool saves argmax indices, which cuDNN pooling neither returns nor takes"
                + " back");
        lines.add("softmax, layer norm, optimizer updates, LSTM cell: own kernels");
        return new CudaPlan(source, cublas, cudnn, lines);
    }

    /** The shipped PTX and no libraries: what a driver with nothing else (a fake, the emulator) gets. */
    static CudaPlan ownKernels() {
        return new CudaPlan(KernelSource.SHIPPED_PTX, false, false, List.of("kernels: shipped PTX, own kernels for every op"));
    }

    /** Whether the own kernels can run at all. */
    boolean hasKernels() {
        return kernelSource != KernelSource.NONE;
    }
}
