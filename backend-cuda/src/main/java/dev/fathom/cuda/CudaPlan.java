package dev.fathom.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

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
 * it out when a result looks wrong. {@value #KERNELS_PROPERTY}{@code =nvrtc} compiles the shipped
 * CUDA C with NVRTC even where the driver can JIT the PTX: the fallback for old drivers can then be
 * checked on a GPU machine whose driver is new (scripts/gpu-check).
 *
 * @param kernelSource where the own kernels come from: {@link KernelSource#SHIPPED_PTX},
 *        {@link KernelSource#NVRTC} or {@link KernelSource#NONE}
 * @param cublas whether matmul calls cuBLAS
 * @param cudnn whether conv2d and batch norm call cuDNN
 * @param lines one human-readable line per op family, with the reason for every fallback
 * @param noKernels why the own kernels cannot run, the backend's availability reason; null when
 *        they can
 */
record CudaPlan(KernelSource kernelSource, boolean cublas, boolean cudnn, List<String> lines, String noKernels) {

    /** {@code -Dfathom.cuda.cublas=false} keeps GEMM on the own kernels even where cuBLAS loads ({@code true}, the default, uses it). */
    static final String CUBLAS_PROPERTY = "fathom.cuda.cublas";

    /** {@code -Dfathom.cuda.cudnn=false} keeps convolution and batch norm on the own kernels even where cuDNN loads ({@code true}, the default, uses it). */
    static final String CUDNN_PROPERTY = "fathom.cuda.cudnn";

    /**
     * {@code -Dfathom.cuda.kernels=nvrtc} compiles the shipped CUDA C with NVRTC even where the driver
     * can JIT the shipped PTX; {@code auto} (the default) takes NVRTC only for a driver too old for it.
     */
    static final String KERNELS_PROPERTY = "fathom.cuda.kernels";

    /** Where the own kernels' code comes from. */
    enum KernelSource { SHIPPED_PTX, NVRTC, NONE }

    CudaPlan {
        lines = List.copyOf(lines);
        if ((kernelSource == KernelSource.NONE) != (noKernels != null)) {
            throw new IllegalArgumentException("CudaPlan: a reason is due exactly when there are no kernels (source "
                    + kernelSource + ", reason " + noKernels + ")");
        }
    }

    /**
     * The plan for a driver reporting CUDA {@code driverVersion} (e.g. 13000), the PTX ISA this
     * build ships and the libraries found.
     */
    static CudaPlan decide(int driverVersion, AvailabilityReasons.PtxIsa shipped, CudaLibraries libs) {
        return decide(driverVersion, shipped, libs, System::getProperty);
    }

    /**
     * As {@link #decide(int, AvailabilityReasons.PtxIsa, CudaLibraries)}, with the {@code fathom.cuda.*}
     * properties from {@code properties} (null: unset). Any value the backend cannot use
     * ({@link CudaProperties#problems}) leaves the plan without kernels, so CUDA is unavailable and
     * the reason names each bad property, its value and what it takes.
     */
    static CudaPlan decide(int driverVersion, AvailabilityReasons.PtxIsa shipped, CudaLibraries libs,
            UnaryOperator<String> properties) {
        List<String> problems = CudaProperties.problems(properties);
        if (!problems.isEmpty()) {
            String reason = String.join("; ", problems);
            return new CudaPlan(KernelSource.NONE, false, false, List.of("kernels: none (" + reason + ")"), reason);
        }
        String kernels = properties.apply(KERNELS_PROPERTY);
        CudaPlan plan = decide(driverVersion, shipped, libs, CudaProperties.bool(CUBLAS_PROPERTY, properties.apply(CUBLAS_PROPERTY), true),
                CudaProperties.bool(CUDNN_PROPERTY, properties.apply(CUDNN_PROPERTY), true), kernels == null ? "auto" : kernels,
                CudaProperties.bool(CudaProperties.PDL, properties.apply(CudaProperties.PDL), CudaProperties.PDL_DEFAULT));
        java.nio.file.Path profile = KernelProfiler.file(properties.apply(KernelProfiler.PROPERTY));
        if (profile == null || plan.kernelSource() == KernelSource.NONE) {
            return plan;
        }
        List<String> lines = new ArrayList<>(plan.lines());
        lines.add("profile: every kernel and cuBLAS or cuDNN call timed on the GPU into " + profile + " (-D" + KernelProfiler.PROPERTY
                + "; the events between calls keep launches from overlapping, so time runs without it)");
        return new CudaPlan(plan.kernelSource(), plan.cublas(), plan.cudnn(), lines, plan.noKernels());
    }

    /** As {@link #decide(int, AvailabilityReasons.PtxIsa, CudaLibraries)}, with cuBLAS allowed or not and cuDNN allowed. */
    static CudaPlan decide(int driverVersion, AvailabilityReasons.PtxIsa shipped, CudaLibraries libs, boolean allowCublas) {
        return decide(driverVersion, shipped, libs, allowCublas, true);
    }

    /** As {@link #decide(int, AvailabilityReasons.PtxIsa, CudaLibraries)}, with cuBLAS and cuDNN allowed or not. */
    static CudaPlan decide(int driverVersion, AvailabilityReasons.PtxIsa shipped, CudaLibraries libs, boolean allowCublas,
            boolean allowCudnn) {
        return decide(driverVersion, shipped, libs, allowCublas, allowCudnn, "auto");
    }

    /**
     * As {@link #decide(int, AvailabilityReasons.PtxIsa, CudaLibraries)}, with cuBLAS and cuDNN allowed or not and
     * {@code kernels} the value of {@value #KERNELS_PROPERTY}. A value it does not know, or {@code nvrtc} without
     * NVRTC, leaves the plan without kernels and says why, rather than throwing from the probe or quietly
     * running the PTX that was not asked for.
     */
    static CudaPlan decide(int driverVersion, AvailabilityReasons.PtxIsa shipped, CudaLibraries libs, boolean allowCublas,
            boolean allowCudnn, String kernels) {
        return decide(driverVersion, shipped, libs, allowCublas, allowCudnn, kernels, false);
    }

    /**
     * As {@link #decide(int, AvailabilityReasons.PtxIsa, CudaLibraries, boolean, boolean, String)}; {@code pdl}:
     * programmatic dependent launch is on ({@code -Dfathom.cuda.pdl}, on by default), which the plan lists either way.
     */
    static CudaPlan decide(int driverVersion, AvailabilityReasons.PtxIsa shipped, CudaLibraries libs, boolean allowCublas,
            boolean allowCudnn, String kernels, boolean pdl) {
        List<String> lines = new ArrayList<>();
        KernelSource source;
        String noKernels = null;
        String asked = "-D" + KERNELS_PROPERTY + "=" + kernels;
        String nvrtcTooNew = nvrtcTooNew(libs.nvrtc(), driverVersion);
        if ("nvrtc".equalsIgnoreCase(kernels) && nvrtcTooNew != null) {
            source = KernelSource.NONE;
            noKernels = asked + " asks for the shipped CUDA C compiled by NVRTC: " + nvrtcTooNew;
            lines.add("kernels: none (" + noKernels + ")");
        } else if ("nvrtc".equalsIgnoreCase(kernels) && libs.nvrtc().isLoaded()) {
            source = KernelSource.NVRTC;
            lines.add("kernels: the shipped CUDA C compiled at start-up by NVRTC " + libs.nvrtc().version() + " (" + asked + ")");
        } else if ("nvrtc".equalsIgnoreCase(kernels)) {
            source = KernelSource.NONE;
            noKernels = asked + " asks for the shipped CUDA C compiled by NVRTC, but " + libs.nvrtc().describe()
                    + "; put CUDA 12's libnvrtc.so.12 on LD_LIBRARY_PATH, or drop the property to use the shipped PTX";
            lines.add("kernels: none (" + noKernels + ")");
        } else if (!"auto".equalsIgnoreCase(kernels)) {
            source = KernelSource.NONE;
            noKernels = asked + " is not a kernel source: use auto (the default: the shipped machine code or PTX, NVRTC"
                    + " for a driver too old for them) or nvrtc (the shipped CUDA C compiled at start-up)";
            lines.add("kernels: none (" + noKernels + ")");
        } else if (driverVersion >= shipped.minimumCuda()) {
            source = KernelSource.SHIPPED_PTX;
            lines.add("kernels: shipped sm_80/sm_90 machine code on compute capability 8.x and 9.0, else the shipped PTX ISA "
                    + shipped + ", compiled for the GPU by the driver");
        } else if (libs.nvrtc().isLoaded() && nvrtcTooNew == null) {
            source = KernelSource.NVRTC;
            lines.add("kernels: the shipped CUDA C compiled at start-up by NVRTC " + libs.nvrtc().version() + " ("
                    + AvailabilityReasons.ptxTooNew(shipped, driverVersion) + ")");
        } else {
            source = KernelSource.NONE;
            noKernels = AvailabilityReasons.ptxTooNew(shipped, driverVersion) + "; NVRTC, which could compile the CUDA C"
                    + " instead: " + (nvrtcTooNew != null ? nvrtcTooNew : libs.nvrtc().reason());
            lines.add("kernels: none (" + noKernels + ")");
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
        if (source != KernelSource.NONE) {
            lines.add(pdl ? "launches: programmatic dependent launch where the own kernels run as code for compute capability 9.0"
                    + " and later (the shipped sm_90 machine code, or NVRTC's), elsewhere ordinary launches (-Dfathom.cuda.pdl=false:"
                    + " ordinary everywhere)" : "launches: ordinary (-Dfathom.cuda.pdl=false)");
        }
        return new CudaPlan(source, cublas, cudnn, lines, noKernels);
    }

    /**
     * Why {@code nvrtc}'s code cannot run on a driver for CUDA {@code driverVersion}, or null when it
     * can (or NVRTC did not load): its machine code needs a driver of NVRTC's CUDA major version or
     * newer (within a major version, CUDA's minor-version compatibility lets an older driver load it;
     * its PTX, by contrast, would need the driver to be as new as NVRTC itself, which is why
     * {@link NvrtcCompiler} makes machine code).
     */
    static String nvrtcTooNew(CudaLibraries.Library nvrtc, int driverVersion) {
        if (!nvrtc.isLoaded()) {
            return null;
        }
        int major;
        try {
            major = Integer.parseInt(nvrtc.version().split("\\.")[0].trim());
        } catch (NumberFormatException e) {
            return null; // CudaLibraries formats it as major.minor; an unreadable one is left to the driver to judge
        }
        if (major * 1000 <= driverVersion) {
            return null;
        }
        return "NVRTC " + nvrtc.version() + " makes code for CUDA " + major + " drivers, but the NVIDIA driver supports CUDA "
                + DriverProbe.formatVersion(driverVersion) + "; update the NVIDIA driver";
    }

    /** The shipped PTX and no libraries: what a driver with nothing else (a fake, the emulator) gets. */
    static CudaPlan ownKernels() {
        return new CudaPlan(KernelSource.SHIPPED_PTX, false, false, List.of("kernels: shipped PTX, own kernels for every op"),
                null);
    }

    /** Whether the own kernels can run at all. */
    boolean hasKernels() {
        return kernelSource != KernelSource.NONE;
    }
}
