package dev.fathom.cuda;

import dev.fathom.spi.Availability;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
        assertEquals(List.of("kernels: shipped sm_80/sm_90 machine code on compute capability 8.x and 9.0, else the shipped PTX ISA 9.0,"
                + " compiled for the GPU by the driver",
                "matmul: own tiled GEMM (gemm.cu); cuBLAS: not loaded (libcublas.so.12: cannot open shared object file: No such file"
                        + " or directory)",
                "conv2d: own implicit-GEMM kernels (conv.cu); cuDNN: not loaded (libcudnn.so.9: cannot open shared object file: No"
                        + " such file or directory)",
                "batch norm: own kernels (norm.cu); cuDNN: not loaded (libcudnn.so.9: cannot open shared object file: No"
                        + " such file or directory)",
                "pooling: own kernels (pool.cu): max-pool saves argmax indices, which cuDNN pooling neither returns nor takes back",
                "softmax, layer norm, optimizer updates, LSTM cell: own kernels",
                "launches: programmatic dependent launch where the own kernels run as code for compute capability 9.0 and later (the"
                        + " shipped sm_90 machine code, or NVRTC's), elsewhere ordinary launches (-Dfathom.cuda.pdl=false: ordinary"
                        + " everywhere)"), p.lines());
        assertFalse(p.cudnn());
    }

    @Test
    void cublasServesMatmulWhenItLoads() {
        CudaPlan p = CudaPlan.decide(13010, AvailabilityReasons.SHIPPED_PTX, new CudaLibraries(
                CudaLibraries.Library.loaded("cuBLAS", "12.6.4"), CudaLibraries.Library.loaded("cuDNN", "9.1.0"), NO_NVRTC));
        assertTrue(p.cublas());
        assertTrue(p.lines().get(1).startsWith("matmul: cuBLAS 12.6.4 ("), p.lines().get(1));
        assertTrue(p.cudnn());
        assertTrue(p.lines().get(2).startsWith("conv2d: cuDNN 9.1.0 (cudnnConvolutionForward / BackwardData / BackwardFilter, the"
                + " fastest deterministic algorithm as cudnnFind*AlgorithmEx measures it on first use"
                + " (-Dfathom.cuda.cudnn.algorithms), FMA math: no TF32;"), p.lines().get(2));
        assertTrue(p.lines().get(3).startsWith("batch norm: cuDNN 9.1.0 (cudnnBatchNormalizationForwardTraining / Backward"),
                p.lines().get(3));
        assertTrue(p.lines().get(4).startsWith("pooling: own kernels"), p.lines().get(4));
    }

    @Test
    void eachLibraryCanBeTurnedOffByItsProperty() {
        CudaLibraries libs = new CudaLibraries(CudaLibraries.Library.loaded("cuBLAS", "12.6.4"),
                CudaLibraries.Library.loaded("cuDNN", "9.1.0"), NO_NVRTC);
        CudaPlan p = CudaPlan.decide(13010, AvailabilityReasons.SHIPPED_PTX, libs, true, false);
        assertTrue(p.cublas());
        assertFalse(p.cudnn());
        assertEquals("conv2d: own implicit-GEMM kernels (conv.cu); cuDNN 9.1.0 loaded, turned off by -Dfathom.cuda.cudnn=false",
                p.lines().get(2));
        assertEquals("batch norm: own kernels (norm.cu); cuDNN 9.1.0 loaded, turned off by -Dfathom.cuda.cudnn=false",
                p.lines().get(3));
        CudaPlan noBlas = CudaPlan.decide(13010, AvailabilityReasons.SHIPPED_PTX, libs, false, true);
        assertFalse(noBlas.cublas());
        assertTrue(noBlas.cudnn());
    }

    @Test
    void theCudnnPropertyIsReadAtDecision() {
        CudaLibraries libs = new CudaLibraries(NO_CUBLAS, CudaLibraries.Library.loaded("cuDNN", "9.1.0"), NO_NVRTC);
        String before = System.getProperty(CudaPlan.CUDNN_PROPERTY);
        try {
            System.setProperty(CudaPlan.CUDNN_PROPERTY, "false");
            assertFalse(CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs).cudnn());
            System.clearProperty(CudaPlan.CUDNN_PROPERTY);
            assertTrue(CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs).cudnn());
        } finally {
            if (before != null) {
                System.setProperty(CudaPlan.CUDNN_PROPERTY, before);
            }
        }
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
        assertEquals(Availability.no(none.noKernels()),
                CudaBackend.availabilityOf(DriverProbe.probe(() -> new FakeDriver().driverVersion(12040).gpus(1)), none));
    }

    @Test
    void nvrtcCanBeForcedWhereTheDriverCouldJitThePtx() {
        CudaPlan p = CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX,
                new CudaLibraries(NO_CUBLAS, NO_CUDNN, CudaLibraries.Library.loaded("NVRTC", "13.0")), true, true, "nvrtc");
        assertEquals(CudaPlan.KernelSource.NVRTC, p.kernelSource());
        assertEquals("kernels: the shipped CUDA C compiled at start-up by NVRTC 13.0 (-Dfathom.cuda.kernels=nvrtc)",
                p.lines().getFirst());
        CudaPlan auto = CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX,
                new CudaLibraries(NO_CUBLAS, NO_CUDNN, CudaLibraries.Library.loaded("NVRTC", "13.0")), true, true, "auto");
        assertEquals(CudaPlan.KernelSource.SHIPPED_PTX, auto.kernelSource());
    }

    @Test
    void nvrtcAskedForButNotLoadedLeavesNoKernelsAndTheBackendUnavailable() {
        CudaPlan p = CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, new CudaLibraries(NO_CUBLAS, NO_CUDNN, NO_NVRTC), true,
                true, "nvrtc");
        assertFalse(p.hasKernels());
        String reason = "-Dfathom.cuda.kernels=nvrtc asks for the shipped CUDA C compiled by NVRTC, but NVRTC: not loaded"
                + " (libnvrtc.so.12: cannot open shared object file: No such file or directory); put CUDA 12's libnvrtc.so.12"
                + " on LD_LIBRARY_PATH, or drop the property to use the shipped PTX";
        assertEquals("kernels: none (" + reason + ")", p.lines().getFirst());
        Availability a = CudaBackend.availabilityOf(DriverProbe.probe(() -> new FakeDriver().driverVersion(13000).gpus(1)), p);
        assertEquals(Availability.no(reason), a);
    }

    @Test
    void aRequestedKernelProfileIsListedLast(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        CudaLibraries libs = new CudaLibraries(NO_CUBLAS, NO_CUDNN, NO_NVRTC);
        java.nio.file.Path file = tmp.resolve("kernels.txt");
        CudaPlan p = CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs, Map.of(KernelProfiler.PROPERTY, file.toString())::get);
        assertEquals("profile: every kernel and cuBLAS or cuDNN call timed on the GPU into " + file + " (-Dfathom.cuda.profile; the events"
                + " between calls keep launches from overlapping, so time runs without it)", p.lines().getLast());
        assertTrue(p.lines().get(p.lines().size() - 2).startsWith("launches: "), "after the launch kind");
        assertTrue(CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs, p2 -> null).lines().stream()
                .noneMatch(l -> l.startsWith("profile:")), "nothing when unset");
    }

    @Test
    void theLaunchKindIsListedWhereThereAreKernelsAndProgrammaticLaunchIsTheDefault() {
        CudaLibraries libs = new CudaLibraries(NO_CUBLAS, NO_CUDNN, NO_NVRTC);
        String line = "launches: programmatic dependent launch where the own kernels run as code for compute capability 9.0 and"
                + " later (the shipped sm_90 machine code, or NVRTC's), elsewhere ordinary launches (-Dfathom.cuda.pdl=false:"
                + " ordinary everywhere)";
        assertEquals(line, CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs, true, true, "auto", true).lines().getLast());
        assertEquals(line, CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs, p -> null).lines().getLast(), "on by default");
        assertEquals("launches: ordinary (-Dfathom.cuda.pdl=false)",
                CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs, Map.of("fathom.cuda.pdl", "false")::get).lines().getLast());
        assertTrue(CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs, true, true, "nvrtc", true).lines().stream()
                .noneMatch(l -> l.startsWith("launches:")), "no kernels (NVRTC asked for, not loaded): nothing to launch");
    }

    @Test
    void anUnknownKernelSourceLeavesNoKernelsAndNamesTheChoices() {
        CudaPlan p = CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX,
                new CudaLibraries(NO_CUBLAS, NO_CUDNN, CudaLibraries.Library.loaded("NVRTC", "13.0")), true, true, "ptx");
        assertFalse(p.hasKernels());
        assertEquals("-Dfathom.cuda.kernels=ptx is not a kernel source: use auto (the default: the shipped machine code or PTX,"
                + " NVRTC for a driver too old for them) or nvrtc (the shipped CUDA C compiled at start-up)", p.noKernels());
        assertEquals("kernels: none (" + p.noKernels() + ")", p.lines().getFirst());
        Availability a = CudaBackend.availabilityOf(DriverProbe.probe(() -> new FakeDriver().driverVersion(13000).gpus(1)), p);
        assertFalse(a.available());
        assertEquals(p.noKernels(), a.reason());
    }

    @Test
    void theKernelsPropertyIsReadAtDecision() {
        CudaLibraries libs = new CudaLibraries(NO_CUBLAS, NO_CUDNN, CudaLibraries.Library.loaded("NVRTC", "13.0"));
        String before = System.getProperty(CudaPlan.KERNELS_PROPERTY);
        try {
            System.setProperty(CudaPlan.KERNELS_PROPERTY, "nvrtc");
            assertEquals(CudaPlan.KernelSource.NVRTC, CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs).kernelSource());
            System.clearProperty(CudaPlan.KERNELS_PROPERTY);
            assertEquals(CudaPlan.KernelSource.SHIPPED_PTX, CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs).kernelSource());
        } finally {
            if (before != null) {
                System.setProperty(CudaPlan.KERNELS_PROPERTY, before);
            }
        }
    }

    @Test
    void aBadPropertyValueMakesCudaUnavailableNamingThePropertyItsValueAndWhatItTakes() {
        CudaLibraries libs = new CudaLibraries(NO_CUBLAS, NO_CUDNN, NO_NVRTC);
        Map<String, String> bad = Map.of(GemmLaunches.MIN_LARGE_BLOCKS_PROPERTY, "-3", CudnnAlgoSearch.PROPERTY, "x",
                NativeLaunch.PROPERTY, "cuda");
        CudaPlan p = CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs, bad::get);
        assertFalse(p.hasKernels(), "cuDNN is absent, yet its bad setting is reported before any device opens");
        String reason = p.noKernels();
        assertTrue(reason.startsWith("-Dfathom.cuda.gemm128MinBlocks=-3 is not a block count; give an integer >= 0"), reason);
        assertTrue(reason.contains("; -Dfathom.cuda.cudnn.algorithms=x is not a cuDNN algorithm search; use measured"), reason);
        assertTrue(reason.contains("heuristic"), reason);
        assertTrue(reason.contains("; -Dfathom.cuda.launch=cuda is not a launch path: use foreign"), reason);
        assertEquals(List.of("kernels: none (" + reason + ")"), p.lines());
        assertEquals(Availability.no(reason),
                CudaBackend.availabilityOf(DriverProbe.probe(() -> new FakeDriver().driverVersion(13000).gpus(1)), p));

        Map<String, String> good = Map.of(GemmLaunches.MIN_LARGE_BLOCKS_PROPERTY, " 0", CudnnAlgoSearch.PROPERTY, "Heuristic",
                NativeLaunch.PROPERTY, "jcuda");
        assertTrue(CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs, good::get).hasKernels());
    }

    @Test
    void theSystemPropertiesAreCheckedWhenThePlanIsMade() {
        String before = System.getProperty(GemmLaunches.MIN_LARGE_BLOCKS_PROPERTY);
        try {
            System.setProperty(GemmLaunches.MIN_LARGE_BLOCKS_PROPERTY, "-3");
            CudaPlan p = CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, new CudaLibraries(NO_CUBLAS, NO_CUDNN, NO_NVRTC));
            assertFalse(p.hasKernels());
            assertTrue(p.noKernels().startsWith("-Dfathom.cuda.gemm128MinBlocks=-3 is not a block count"), p.noKernels());
            // Opened directly (the emulator, tests), the device the failed constructor opened is closed again.
            FakeDriver d = new FakeDriver();
            assertThrows(IllegalArgumentException.class, () -> CudaKernels.open(d, 0));
            assertEquals(1, d.calls("cuStreamCreate"));
            assertEquals(1, d.calls("cuStreamDestroy"), "the half-built kernels' stream is destroyed");
        } finally {
            if (before == null) {
                System.clearProperty(GemmLaunches.MIN_LARGE_BLOCKS_PROPERTY);
            } else {
                System.setProperty(GemmLaunches.MIN_LARGE_BLOCKS_PROPERTY, before);
            }
        }
    }

    @Test
    void booleansAreTrueOrFalseOnlyAndAnythingElseIsAnUnavailabilityReason() {
        CudaLibraries libs = new CudaLibraries(CudaLibraries.Library.loaded("cuBLAS", "12.6.0"),
                CudaLibraries.Library.loaded("cuDNN", "9.1.0"), NO_NVRTC);
        Map<String, String> bad = Map.of(CudaPlan.CUBLAS_PROPERTY, "off", CudaPlan.CUDNN_PROPERTY, "0", "fathom.cuda.sync", "yes",
                "fathom.cuda.pdl", "maybe");
        CudaPlan p = CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs, bad::get);
        assertFalse(p.hasKernels());
        assertFalse(p.cublas(), "off did not silently mean on");
        assertEquals("-Dfathom.cuda.cublas=off is not a boolean; use true or false (default true); -Dfathom.cuda.cudnn=0 is not"
                + " a boolean; use true or false (default true); -Dfathom.cuda.sync=yes is not a boolean; use true or false (default"
                + " false); -Dfathom.cuda.pdl=maybe is not a boolean; use true or false (default true)", p.noKernels());

        Map<String, String> good = Map.of(CudaPlan.CUBLAS_PROPERTY, " false", CudaPlan.CUDNN_PROPERTY, "TRUE", "fathom.cuda.sync",
                "False", "fathom.cuda.pdl", "true ");
        CudaPlan q = CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs, good::get);
        assertTrue(q.hasKernels());
        assertFalse(q.cublas(), "' false' is false");
        assertTrue(q.cudnn());
        assertTrue(q.lines().getLast().startsWith("launches: programmatic dependent launch"), q.lines().getLast());
        assertTrue(CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, libs, name -> null).cublas(), "unset: on");
        assertThrows(IllegalArgumentException.class, () -> CudaProperties.bool("fathom.cuda.sync", "", false));
    }

    @Test
    void nvrtcServesADriverOfItsMajorVersionEvenAnOlderOneButNotAnOlderMajor() {
        CudaLibraries nvrtc128 = new CudaLibraries(NO_CUBLAS, NO_CUDNN, CudaLibraries.Library.loaded("NVRTC", "12.8"));
        // Its machine code loads on a 12.2 driver (minor-version compatibility), where its PTX would not JIT.
        assertEquals(CudaPlan.KernelSource.NVRTC, CudaPlan.decide(12020, AvailabilityReasons.SHIPPED_PTX, nvrtc128).kernelSource());
        CudaPlan old = CudaPlan.decide(11080, AvailabilityReasons.SHIPPED_PTX, nvrtc128);
        assertFalse(old.hasKernels());
        assertTrue(old.noKernels().endsWith("; NVRTC, which could compile the CUDA C instead: NVRTC 12.8 makes code for CUDA 12"
                + " drivers, but the NVIDIA driver supports CUDA 11.8; update the NVIDIA driver"), old.noKernels());
        CudaPlan forced = CudaPlan.decide(11080, AvailabilityReasons.SHIPPED_PTX, nvrtc128, true, true, "nvrtc");
        assertEquals("-Dfathom.cuda.kernels=nvrtc asks for the shipped CUDA C compiled by NVRTC: NVRTC 12.8 makes code for"
                + " CUDA 12 drivers, but the NVIDIA driver supports CUDA 11.8; update the NVIDIA driver", forced.noKernels());
        assertEquals(CudaPlan.KernelSource.NVRTC,
                CudaPlan.decide(13000, AvailabilityReasons.SHIPPED_PTX, nvrtc128, true, true, "nvrtc").kernelSource());
    }
}
