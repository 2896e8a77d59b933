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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The provider's contract on this machine, whatever it has: never throws, says why when unavailable; the device table. */
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
    void withoutADriverIsUnavailableCachedAndNeverThrows() {
        assumeFalse(driverInstalled(), "an NVIDIA driver (libcuda.so.1) is installed here");
        CudaBackend b = new CudaBackend();
        Availability first = b.availability();
        assertFalse(first.available());
        assertFalse(first.reason().isBlank());
        assertSame(first, b.availability(), "the probe runs once and its answer is cached");
        // JCuda tries its native load once per JVM, so every instance must report that first answer.
        assertSame(first, new CudaBackend().availability());
        assertEquals(0, b.deviceCount());
    }

    @Test
    void deviceTableOpensEachGpuOnceOnFirstUseFromAnyThread() throws Exception {
        FakeDriver d = new FakeDriver().gpus(3).computeCapability(0, 6, 1);
        java.util.concurrent.atomic.AtomicInteger drivers = new java.util.concurrent.atomic.AtomicInteger();
        List<DriverProbe.Gpu> gpus = AvailabilityReasons.usableGpus(DriverProbe.probe(() -> d));
        CudaBackend.DeviceTable table = new CudaBackend.DeviceTable(() -> {
            drivers.incrementAndGet();
            return d;
        }, gpus);
        assertEquals(0, d.calls("cuDevicePrimaryCtxRetain"), "nothing is opened before it is asked for");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<CudaKernels>> got = new java.util.ArrayList<>();
            for (int i = 0; i < 16; i++) {
                got.add(pool.submit(() -> table.kernels(1)));
            }
            CudaKernels k = got.getFirst().get();
            for (var f : got) {
                assertSame(k, f.get());
            }
            assertEquals("cuda:1", k.device().toString());
            assertEquals(2, k.gpu().ordinal(), "cuda:1 is the second usable GPU, driver ordinal 2 (ordinal 0 is too old)");
            assertEquals(1, drivers.get(), "one driver for all devices");
            assertEquals(0, table.kernels(0).gpu().ordinal() - 1);
        } finally {
            pool.shutdown();
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> table.kernels(2));
        assertEquals("cuda: device index 2 is out of range: 2 usable GPU(s); use cuda:0 to cuda:1", e.getMessage());
    }

    @Test
    void aSupplierWrappedInOnceIsCalledOnce() {
        java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.Supplier<Integer> once = CudaBackend.once(made::incrementAndGet);
        assertEquals(1, once.get());
        assertEquals(1, once.get());
        assertEquals(1, made.get());
    }

    @Test
    void kernelsAndDescribeFailWithTheReason() {
        CudaBackend b = new CudaBackend();
        assumeFalse(b.availability().available(), "CUDA is usable here: see kernelsAndDescribeServeEachUsableGpu");
        String reason = b.availability().reason();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.kernels(0));
        assertEquals("cuda: no kernels for device 0: " + reason, e.getMessage());
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> b.describe(0));
        assertTrue(d.getMessage().contains(reason), d.getMessage());
    }

    @Test
    void kernelsAndDescribeServeEachUsableGpu() {
        CudaBackend b = new CudaBackend();
        assumeTrue(b.availability().available(), "CUDA is not usable here: " + b.availability().reason());
        assertTrue(b.deviceCount() > 0, "available with no usable GPU");
        assertEquals("cuda:0", b.kernels(0).device().toString());
        assertFalse(b.describe(0).isBlank());
        int n = b.deviceCount();
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> b.describe(n));
        assertTrue(d.getMessage().startsWith("cuda: device index " + n + " is out of range"), d.getMessage());
    }

    @Test
    void deviceCudaThrowsWithTheReasonAndAutoFallsBack() {
        Availability a = Backends.find("cuda").availability();
        assumeFalse(a.available(), "CUDA is usable here: see deviceCudaAndAutoPickTheGpu");
        String reason = a.reason();
        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, Device::cuda);
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        // Only this module's backends are on the class path here: auto() picks another one or says why none.
        try {
            assertFalse(Device.auto().type().equals("cuda"));
        } catch (IllegalStateException none) {
            assertTrue(none.getMessage().contains(reason), none.getMessage());
        }
    }

    @Test
    void deviceCudaAndAutoPickTheGpu() {
        Availability a = Backends.find("cuda").availability();
        assumeTrue(a.available(), "CUDA is not usable here: " + a.reason());
        assertEquals(new Device("cuda", 0), Device.cuda());
        // cuda has the highest priority of the backends on this class path, so auto() picks it.
        assertEquals(new Device("cuda", 0), Device.auto());
    }
}
