package dev.fathom.cuda;

import dev.fathom.spi.Availability;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The probe's mapping from driver behaviour to one line, against a fake driver. */
class DriverProbeTest {

    /** A CUDA 12.8 driver with {@code gpus} H100s, or one whose {@code failingCall} returns {@code status}. */
    private static CudaDriver fake(int gpus, String failingCall, int status) {
        return new FakeDriver().gpus(gpus).driverVersion(12080).failing(failingCall, status);
    }

    @Test
    void missingLibcudaBecomesOneLineNamingIt() {
        String jcudaMessage = """
                Error while loading native library "JCudaDriver-12.6.0-linux-x86_64"
                Stack trace from the attempt to load the library as a resource:
                java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file: No such file or directory
                \tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)""";
        DriverProbe.Result r = DriverProbe.probe(() -> {
            throw new UnsatisfiedLinkError(jcudaMessage);
        });
        assertFalse(r.ok());
        assertEquals("no NVIDIA driver: libcuda.so.1 could not be loaded (libcuda.so.1: cannot open shared object file: "
                + "No such file or directory); install the NVIDIA driver to use a GPU", r.failure());
    }

    @Test
    void aSecondTouchAfterAFailedLoadStillPointsAtTheDriver() {
        DriverProbe.Result r = DriverProbe.probe(() -> {
            throw new NoClassDefFoundError("Could not initialize class jcuda.driver.JCudaDriver");
        });
        assertTrue(r.failure().contains("libcuda.so.1"), r.failure());
    }

    @Test
    void noDeviceAndZeroDevicesSayNoCudaDevice() {
        assertTrue(DriverProbe.probe(() -> fake(1, "cuInit", 100)).failure().startsWith("no CUDA device found (cuInit failed: CUDA_ERROR_NO_DEVICE"));
        DriverProbe.Result zero = DriverProbe.probe(() -> fake(0, "", 0));
        assertTrue(zero.failure().startsWith("no CUDA device found"), zero.failure());
        assertTrue(zero.failure().contains("12.8"), zero.failure());
    }

    @Test
    void oldDriverAndUnknownErrorsNameTheStatus() {
        assertTrue(DriverProbe.probe(() -> fake(1, "cuInit", 35)).failure().contains("CUDA_ERROR_INSUFFICIENT_DRIVER"));
        String other = DriverProbe.probe(() -> fake(1, "cuDeviceGetCount", 999)).failure();
        assertTrue(other.contains("cuDeviceGetCount failed: CUDA_ERROR_UNKNOWN (999)"), other);
    }

    @Test
    void unexpectedExceptionsAreCaught() {
        DriverProbe.Result r = DriverProbe.probe(() -> {
            throw new IllegalStateException("boom");
        });
        assertTrue(r.failure().contains("boom"), r.failure());
    }

    @Test
    void aWorkingDriverIsReportedButNotUsableBeforeTheKernelsLand() {
        DriverProbe.Result r = DriverProbe.probe(() -> fake(1, "", 0));
        assertTrue(r.ok());
        assertEquals("12.8", r.driverVersionString());
        assertEquals("NVIDIA H100 80GB HBM3, compute capability 9.0, 79.2 GiB", r.gpus().getFirst().describe());
        Availability a = CudaBackend.availabilityOf(r);
        assertFalse(a.available());
        // 12.8 cannot JIT the shipped PTX ISA 9.0, which is the more useful thing to say (AvailabilityReasonsTest has 13.0).
        assertTrue(a.reason().startsWith("the NVIDIA driver supports CUDA 12.8, but the shipped kernels are PTX ISA 9.0"), a.reason());
    }
}
