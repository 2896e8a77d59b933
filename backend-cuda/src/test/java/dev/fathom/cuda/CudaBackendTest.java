package dev.fathom.cuda;

import dev.fathom.spi.Availability;
import dev.fathom.spi.Backend;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.DeviceUnavailableException;
import dev.fathom.tensor.internal.Backends;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** The provider's contract on this machine, whatever it has: never throws, never available yet, says why. */
class CudaBackendTest {

    private static boolean driverInstalled() {
        return List.of("/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib64/libcuda.so.1", "/usr/lib/wsl/lib/libcuda.so.1")
                .stream().anyMatch(p -> Files.exists(Path.of(p)));
    }

    @Test
    void isFoundByServiceLoaderAsCuda() {
        Backend b = Backends.find("cuda");
        assertNotNull(b, "backend-cuda must register dev.fathom.cuda.CudaBackend in META-INF/services");
        assertTrue(b instanceof CudaBackend);
        assertEquals(100, b.priority());
    }

    @Test
    void withoutDriverIsUnavailableNamingLibcuda() {
        assumeFalse(driverInstalled(), "an NVIDIA driver (libcuda.so.1) is installed here");
        Availability a = new CudaBackend().availability();
        assertFalse(a.available());
        assertTrue(a.reason().startsWith("no NVIDIA driver: libcuda.so.1 could not be loaded"), a.reason());
        assertFalse(a.reason().contains("\n"), "the reason is one line: " + a.reason());
    }

    @Test
    void isNeverAvailableBeforeTheKernelsLandAndNeverThrows() {
        CudaBackend b = new CudaBackend();
        Availability first = b.availability();
        assertFalse(first.available(), "this build has no CUDA kernels, so it must not claim to be available");
        assertFalse(first.reason().isBlank());
        assertSame(first, b.availability(), "the probe runs once and its answer is cached");
        // JCuda tries its native load once per JVM, so every instance must report that first answer.
        assertSame(first, new CudaBackend().availability());
        assertEquals(0, b.deviceCount());
    }

    @Test
    void kernelsAndDescribeFailWithTheReason() {
        CudaBackend b = new CudaBackend();
        String reason = b.availability().reason();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.kernels(0));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> b.describe(0));
        assertTrue(d.getMessage().contains(reason), d.getMessage());
    }

    @Test
    void deviceCudaThrowsWithTheReasonAndAutoFallsBack() {
        String reason = Backends.find("cuda").availability().reason();
        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, Device::cuda);
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        // Only this module's backends are on the class path here: auto() picks another one or says why none.
        try {
            assertFalse(Device.auto().type().equals("cuda"));
        } catch (IllegalStateException none) {
            assertTrue(none.getMessage().contains(reason), none.getMessage());
        }
    }
}
