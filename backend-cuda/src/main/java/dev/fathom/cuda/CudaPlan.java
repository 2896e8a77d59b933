package dev.fathom.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * Which implementation serves each family of ops on this machine, decided once at start-up from
 * the driver version and the libraries that loaded, and printed by {@code fathom devices}.
 *
 * <p>Kernels come from the shipped PTX when the driver can JIT its ISA, else from the shipped CUDA
 * C compiled by NVRTC for the GPU's architecture, else there are none and the backend is
 * unavailable. GEMM goes to cuBLAS when it loads, else to the own tiled kernel. Convolution,
 * pooling and normalization always use the own kernels: the cuDNN path is not built yet, and a
 * loaded cuDNN is reported as unused rather than silently claimed.
 *
 * @param kernelSource where the own kernels come from: {@link KernelSource#SHIPPED_PTX},
 *        {@link KernelSource#NVRTC} or {@link KernelSource#NONE}
 * @param cublas whether matmul calls cuBLAS
 * @param lines one human-readable line per op family, with the reason for every fallback
 */
record CudaPlan(KernelSource kernelSource, boolean cublas, List<String> lines) {

    /** {@code -Dfathom.cuda.cublas=false} keeps GEMM on the own kernels even where cuBLAS loads. */
    static final String CUBLAS_PROPERTY = "fathom.cuda.cublas";

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
        return decide(driverVersion, shipped, libs, !"false".equalsIgnoreCase(System.getProperty(CUBLAS_PROPERTY)));
    }

    /** As {@link #decide(int, AvailabilityReasons.PtxIsa, CudaLibraries)}, with cuBLAS allowed or not. */
    static CudaPlan decide(int driverVersion, AvailabilityReasons.PtxIsa shipped, CudaLibraries libs, boolean allowCublas) {
        List<String> lines = new ArrayList<>();
        KernelSource source;
        if (driverVersion >= shipped.minimumCuda()) {
            source = KernelSource.SHIPPED_PTX;
            lines.add("kernels: shipped PTX ISA " + shipped + ", compiled for the GPU by the driver");
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
        String cudnn = libs.cudnn().isLoaded() ? libs.cudnn().describe() + " loaded, not used: Fathom's cuDNN path is not built yet"
                : libs.cudnn().describe();
        lines.add("conv2d: own implicit-GEMM kernels (conv.cu); " + cudnn);
        lines.add("pooling, softmax, layer/batch norm, optimizer updates: own kernels");
        return new CudaPlan(source, cublas, lines);
    }

    /** The shipped PTX and no libraries: what a driver with nothing else (a fake, the emulator) gets. */
    static CudaPlan ownKernels() {
        return new CudaPlan(KernelSource.SHIPPED_PTX, false, List.of("kernels: shipped PTX, own kernels for every op"));
    }

    /** Whether the own kernels can run at all. */
    boolean hasKernels() {
        return kernelSource != KernelSource.NONE;
    }
}
