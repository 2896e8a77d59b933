package dev.fathom.cuda;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-op implementation choice, from the driver version and the libraries found. */
class CudaPlanTest {
    private static final CudaLibraries.Library NO_CUBLAS = CudaLibraries.Library.missing("cuBLAS",
            "libcublas.so.12: cannot open shared object file: No such file or directory");
    private static final CudaLibraries.Library NO_CUDNN = CudaLibraries.Library.missing("cuDNN",
            "libcudnn.so.9: cannot open shared object file: No such file or directory");
    private static final CudaLibraries.Library NO_NVRTC = CudaLibraries.Library.missing("NVRTC",
            "libnvrtc.so.12: cannot open shared object file: No such file or directory");

    @Test
    void aCuda13DriverWithoutLibrariesUsesTheShippedPtxAndOwnGemm() {
        CudaPlan p = CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, new CudaLibraries(NO_CUBLAS, NO_CUDNN, NO_NVRTC));
        assertEquals(CudaPlan.KernelSource.SHIPPED_PTX, p.kernelSource());
        assertFalse(p.cublas());
        assertEquals(List.of("kernels: shipped PTX ISA 9.0, compiled for the GPU by the driver",
                "matmul: own tiled GEMM (gemm.cu); cuBLAS: not loaded (libcublas.so.12: cannot open shared object file: No such file"
                        + " or directory)",
                "conv2d: own implicit-GEMM kernels (conv.cu); cuDNN: not loaded (libcudnn.so.9: cannot open shared object file: No"
                        + " such file or directory)",
                "pooling, softmax, layer/batch norm, optimizer updates: own kernels"), p.lines());
    }

    @Test
    void cublasServesMatmulWhenItLoads() {
        CudaPlan p = CudaPlan.decide(13010, AvailabilityReasons.SHIPPED_PTX, new CudaLibraries(
                CudaLibraries.Library.loaded("cuBLAS", "12.6.4"), CudaLibraries.Library.loaded("cuDNN", "9.1.0"), NO_NVRTC));
        assertTrue(p.cublas());
        assertTrue(p.lines().get(1).startsWith("matmul: cuBLAS 12.6.4 ("), p.lines().get(1));
        assertTrue(p.lines().get(2).endsWith("cuDNN 9.1.0 loaded, not used: Fathom's cuDNN path is not built yet"), p.lines().get(2));
    }

    @Test
    void anOldDriverFallsBackToNvrtcOrHasNoKernels() {
        CudaPlan nvrtc = CudaPlan.decide(12040, AvailabilityReasons.SHIPPED_PTX,
                new CudaLibraries(NO_CUBLAS, NO_CUDNN, CudaLibraries.Library.loaded("NVRTC", "12.4")));
        assertEquals(CudaPlan.KernelSource.NVRTC, nvrtc.kernelSource());
        assertTrue(nvrtc.lines().getFirst().startsWith("kernels: the shipped CUDA C compiled at start-up by NVRTC 12.4 (the NVIDIA"
                + " driver supports CUDA 12.4, but the shipped kernels are PTX ISA 9.0"), nvrtc.lines().getFirst());
        CudaPlan none = CudaPlan.decide(12040, AvailabilityReasons.SHIPPED_PTX, new CudaLibraries(NO_CUBLAS, NO_CUDNN, NO_NVRTC));
        assertFalse(none.hasKernels());
        assertTrue(none.lines().getFirst().contains("(NVIDIA driver R580 or later); update the NVIDIA driver; NVRTC, which could"
                + " compile the CUDA C instead: libnvrtc.so.12: cannot open"), none.lines().getFirst());
    }
}
