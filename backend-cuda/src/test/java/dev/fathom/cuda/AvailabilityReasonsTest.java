package dev.fathom.cuda;

import dev.fathom.cuda.AvailabilityReasons.PtxIsa;
import dev.fathom.spi.Availability;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each reason the backend gives for not running, from a fake driver's behaviour. */
class AvailabilityReasonsTest {

    private static Availability of(FakeDriver d) {
        return AvailabilityReasons.of(DriverProbe.probe(() -> d), AvailabilityReasons.SHIPPED_PTX);
    }

    private static void assertOneLine(Availability a) {
        assertFalse(a.available());
        assertFalse(a.reason().contains("\n"), a.reason());
    }

    @Test
    void noDriver() {
        Availability a = AvailabilityReasons.of(DriverProbe.probe(() -> {
            throw new UnsatisfiedLinkError("Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n"
                    + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open "
                    + "shared object file: No such file or directory");
        }), AvailabilityReasons.SHIPPED_PTX);
        assertOneLine(a);
        assertEquals("no NVIDIA driver: libcuda.so.1 could not be loaded (libcuda.so.1: cannot open shared object file: "
                + "No such file or directory); install the NVIDIA driver to use a GPU", a.reason());
    }

    @Test
    void noDevice() {
        Availability zero = of(new FakeDriver().gpus(0));
        assertOneLine(zero);
        assertEquals("no CUDA device found (NVIDIA driver for CUDA 13.0 is installed, but it reports 0 GPUs)", zero.reason());
        Availability error = of(new FakeDriver().failing("cuInit", 100));
        assertOneLine(error);
        assertTrue(error.reason().startsWith("no CUDA device found (cuInit failed: CUDA_ERROR_NO_DEVICE (100))"), error.reason());
    }

    @Test
    void driverTooOldForTheShippedPtxNamesTheMinimumDriver() {
        Availability a = of(new FakeDriver().driverVersion(12080));
        assertOneLine(a);
        assertEquals("the NVIDIA driver supports CUDA 12.8, but the shipped kernels are PTX ISA 9.0, which needs a driver for "
                + "CUDA 13.0 or newer (NVIDIA driver R580 or later); update the NVIDIA driver", a.reason());
        // Older than JCuda 12.6 itself: cuInit says so before the PTX is considered.
        Availability ancient = of(new FakeDriver().driverVersion(11040).failing("cuInit", 35));
        assertTrue(ancient.reason().startsWith("the NVIDIA driver is too old for JCuda 12.6"), ancient.reason());
    }

    @Test
    void aNewEnoughDriverWithATuringOrNewerGpuIsAvailable() {
        Availability a = of(new FakeDriver().driverVersion(13000).gpus(2));
        assertTrue(a.available(), a.reason());
        assertEquals("CUDA driver 13.0, 2 GPUs: NVIDIA H100 80GB HBM3, compute capability 9.0, 79.2 GiB; "
                + "NVIDIA H100 80GB HBM3, compute capability 9.0, 79.2 GiB", a.reason());
        assertEquals(a, CudaBackend.availabilityOf(DriverProbe.probe(() -> new FakeDriver().driverVersion(13000).gpus(2))));
        // 13.1 reads PTX 9.0 as well.
        assertTrue(of(new FakeDriver().driverVersion(13010)).available());
    }

    @Test
    void gpusBelowComputeCapability75AreSkippedAndNamed() {
        FakeDriver d = new FakeDriver().gpus(3).computeCapability(0, 6, 1).computeCapability(1, 7, 5).computeCapability(2, 7, 0);
        DriverProbe.Result r = DriverProbe.probe(() -> d);
        Availability a = AvailabilityReasons.of(r, AvailabilityReasons.SHIPPED_PTX);
        assertTrue(a.available(), a.reason());
        assertTrue(a.reason().startsWith("CUDA driver 13.0, 1 GPU: NVIDIA H100 80GB HBM3, compute capability 7.5"), a.reason());
        assertTrue(a.reason().endsWith("(skipped, below compute capability 7.5: NVIDIA H100 80GB HBM3, compute capability 6.1; "
                + "NVIDIA H100 80GB HBM3, compute capability 7.0)"), a.reason());
        // cuda:0 is the first usable GPU: driver ordinal 1.
        assertEquals(java.util.List.of(1), AvailabilityReasons.usableGpus(r).stream().map(DriverProbe.Gpu::ordinal).toList());
    }

    @Test
    void onlyGpusBelowComputeCapability75AreAReason() {
        Availability one = of(new FakeDriver().computeCapability(0, 6, 0));
        assertOneLine(one);
        assertEquals("CUDA driver 13.0 found, but its GPU (NVIDIA H100 80GB HBM3, compute capability 6.0) has compute capability "
                + "7.5 or newer (Turing), which the shipped kernels need; use a newer GPU", one.reason());
        Availability two = of(new FakeDriver().gpus(2).computeCapability(0, 6, 0).computeCapability(1, 5, 2));
        assertOneLine(two);
        assertTrue(two.reason().contains("none of its 2 GPUs ("), two.reason());
    }

    @Test
    void aMissingLibraryNamesTheSharedObjectAndTheFallback() {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError("Error while loading native library \"JCublas2-12.6.0-linux-x86_64\"\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCublas2-12.6.0-linux-x86_64.so: libcublas.so.12: cannot open shared "
                + "object file: No such file or directory\n\tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)");
        assertEquals("cuBLAS not loaded (libcublas.so.12: cannot open shared object file: No such file or directory); "
                + "GEMM uses Fathom's own kernels", AvailabilityReasons.libraryMissing("cuBLAS", e, "GEMM uses Fathom's own kernels"));
        assertEquals("cuDNN not loaded (Could not initialize class jcuda.jcudnn.JCudnn); convolution uses Fathom's own kernels",
                AvailabilityReasons.libraryMissing("cuDNN", new NoClassDefFoundError("Could not initialize class jcuda.jcudnn.JCudnn"),
                        "convolution uses Fathom's own kernels"));
    }

    @Test
    void ptxIsaVersionsMapToTheCudaReleaseThatIntroducedThem() {
        assertEquals(new PtxIsa(9, 0), PtxIsa.parse("//\n// Generated by NVIDIA NVVM Compiler\n\n.version 9.0\n.target sm_75\n"));
        assertNull(PtxIsa.parse("not ptx"));
        assertEquals(11080, new PtxIsa(7, 8).minimumCuda());
        assertEquals(12000, new PtxIsa(8, 0).minimumCuda());
        assertEquals(12050, new PtxIsa(8, 5).minimumCuda());
        assertEquals(12080, new PtxIsa(8, 7).minimumCuda());
        assertEquals(13000, new PtxIsa(9, 0).minimumCuda());
        assertEquals("R580", AvailabilityReasons.minimumDriverBranch(13000));
        assertEquals("the NVIDIA driver supports CUDA 12.4, but the shipped kernels are PTX ISA 8.7, which needs a driver for "
                + "CUDA 12.8 or newer (NVIDIA driver R570 or later); update the NVIDIA driver",
                AvailabilityReasons.ptxTooNew(new PtxIsa(8, 7), 12040));
    }
}
