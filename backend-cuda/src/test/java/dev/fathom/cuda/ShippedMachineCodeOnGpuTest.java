package dev.fathom.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * On a real GPU of compute capability 8.x or 9.0: every module of the own kernels loads from the
 * shipped machine code (scripts/build-kernels' fatbins), where the PTX costs the driver a compile
 * (about 20 s of CPU for all modules on an empty compute cache; the test reports both times). Elsewhere (no driver, as in
 * CI, or a GPU the fatbins do not cover) it is skipped with the reason. scripts/gpu-check runs it
 * with {@code CUDA_CACHE_DISABLE=1}, so that the PTX times it reports are the driver's compile.
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
    void everyModuleLoadsFromTheShippedMachineCode(TestReporter reporter) {
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

        CudaDevice fromSass = CudaDevice.open(driver[0], gpu.ordinal(), false);
        double sassSeconds;
        try {
            long t0 = System.nanoTime();
            for (String module : MODULES) {
                fromSass.launcher(module, images.sass(module), () -> {
                    throw new AssertionError(gpu.name() + ": the driver refused the shipped machine code of " + module
                            + " (the PTX was asked for)");
                });
            }
            sassSeconds = (System.nanoTime() - t0) * 1e-9;
            assertEquals(MODULES.size(), fromSass.sassModules());
        } finally {
            fromSass.close();
        }

        CudaDevice fromPtx = CudaDevice.open(driver[0], gpu.ordinal(), false);
        double ptxSeconds;
        try {
            long t0 = System.nanoTime();
            for (String module : MODULES) {
                fromPtx.launcher(module, images.image(module));
            }
            ptxSeconds = (System.nanoTime() - t0) * 1e-9;
            assertEquals(0, fromPtx.sassModules());
        } finally {
            fromPtx.close();
        }

        String summary = String.format(Locale.ROOT, "%s, compute capability %d.%d: %d modules from the shipped machine code in %.3f s;"
                + " from the PTX in %.3f s (CUDA_CACHE_DISABLE=%s)", gpu.name(), gpu.ccMajor(), gpu.ccMinor(), MODULES.size(),
                sassSeconds, ptxSeconds, System.getenv().getOrDefault("CUDA_CACHE_DISABLE", "unset"));
        reporter.publishEntry("module loads", summary);
        // No bound on the times: whether the driver took the machine code is asserted above (sassModules,
        // and the fallback that throws); the seconds are for gpu-check's report to show.
        System.out.println(summary);
    }
}
