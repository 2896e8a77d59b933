package dev.fathom.cuda;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * On a real GPU of compute capability 8.x or 9.0: every module of the own kernels loads from the
 * shipped machine code (scripts/build-kernels' fatbins), where the PTX costs the driver a compile
 * (24–29 s for all modules on an H200 with its compute cache off, against 0.02 s). Elsewhere (no
 * driver, as in CI, or a GPU the fatbins do not cover) it is skipped with the reason.
 * scripts/gpu-check runs it with {@code CUDA_CACHE_DISABLE=1} and shows each test's duration.
 */
class ShippedMachineCodeOnGpuTest {
    /** The modules under resources/dev/fathom/cuda/ptx and sass (one per .cu file of src/main/cuda). */
    static final List<String> MODULES = List.of("attention", "conv", "elementwise", "gemm", "index", "norm", "optim", "pool",
            "random", "recurrent", "reduce", "softmax");

    @Test
    void theModuleListIsEveryKernelSource() throws java.io.IOException {
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of("src/main/cuda"))) {
            List<String> sources = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cu"))
                    .map(n -> n.substring(0, n.length() - 3)).sorted().toList();
            assertEquals(sources, MODULES);
        }
    }

    @Test
    void everyModuleLoadsFromTheShippedMachineCode() {
        Gpu gpu = gpuWithShippedMachineCode();
        CudaDevice device = CudaDevice.open(gpu.driver(), gpu.info().ordinal(), false);
        try {
            for (String module : MODULES) {
                device.launcher(module, gpu.images().sass(module), () -> {
                    throw new AssertionError(gpu.info().name() + ": the driver refused the shipped machine code of " + module
                            + " (the PTX was asked for)");
                });
            }
            assertEquals(MODULES.size(), device.sassModules());
        } finally {
            device.close();
        }
    }

    /**
     * What the machine code saves: the same modules from the PTX, which the driver compiles (with
     * {@code CUDA_CACHE_DISABLE=1}, as gpu-check runs it, every time). The two tests' durations, as
     * JUnit reports them, are the comparison gpu-check's report shows; neither test bounds them.
     */
    @Test
    void everyModuleLoadsFromThePtxAsWell() {
        Gpu gpu = gpuWithShippedMachineCode();
        CudaDevice device = CudaDevice.open(gpu.driver(), gpu.info().ordinal(), false);
        try {
            for (String module : MODULES) {
                device.launcher(module, gpu.images().image(module));
            }
            assertEquals(0, device.sassModules());
        } finally {
            device.close();
        }
    }

    /** The first GPU, its driver and its kernel images; the test is skipped, with the reason, without one the fatbins cover. */
    private static Gpu gpuWithShippedMachineCode() {
        CudaDriver[] driver = new CudaDriver[1];
        DriverProbe.Result probe = DriverProbe.probe(() -> driver[0] = new JCudaDriverApi());
        assumeTrue(probe.ok(), () -> "needs an NVIDIA GPU: " + probe.failure());
        DriverProbe.Gpu gpu = probe.gpus().getFirst();
        assumeTrue(KernelImages.shipsSassFor(gpu.ccMajor(), gpu.ccMinor()), () -> gpu.name() + " (compute capability "
                + gpu.ccMajor() + "." + gpu.ccMinor() + ") takes the PTX: the fatbins carry sm_80 and sm_90 code");
        KernelImages images = KernelImages.forPlan(CudaPlan.ownKernels(), gpu.ccMajor(), gpu.ccMinor());
        for (String module : MODULES) {
            assertTrue(images.sass(module) != null, "no shipped machine code for module " + module + "; run scripts/build-kernels");
        }
        return new Gpu(driver[0], gpu, images);
    }

    private record Gpu(CudaDriver driver, DriverProbe.Gpu info, KernelImages images) {
    }
}
