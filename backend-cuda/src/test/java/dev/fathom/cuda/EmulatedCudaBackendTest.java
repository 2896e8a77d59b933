package dev.fathom.cuda;

import dev.fathom.Fathom;
import dev.fathom.spi.Backend;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The test backend that puts CudaKernels on the emulated driver behind the tensor API. */
class EmulatedCudaBackendTest {

    @Test
    void isFoundByNameButNeverPickedByAuto() {
        Backend b = Backends.find(EmulatedCudaBackend.NAME);
        assertNotNull(b, "registered in src/test/resources/META-INF/services: " + Backends.names());
        assertTrue(b.priority() < 0);
        try {
            assertNotEquals(EmulatedCudaBackend.NAME, Device.auto().type());
        } catch (dev.fathom.tensor.DeviceUnavailableException none) {
            // Only unusable backends besides it on this class path: auto() says why, and still does not pick it.
            assertTrue(none.getMessage().contains("no usable backend"), none.getMessage());
        }
    }

    @Test
    void tensorsOnItRunTheKernelsAndKeepItsDeviceName() {
        assumeTrue(new EmulatedCudaBackend().availability().available(), () -> new EmulatedCudaBackend().availability().reason());
        Device d = new Device(EmulatedCudaBackend.NAME, 0);
        Fathom.setDefaultDevice(d);
        try (Scope s = Scope.open()) {
            Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor b = Tensor.of(new float[] {10, 20, 30}, 3);
            Tensor c = a.add(b).mul(a);
            assertEquals(d, c.device());
            assertEquals(DType.F32, c.dtype());
            assertArrayEquals(new float[] {11, 44, 99, 56, 125, 216}, c.toFloatArray());
        } finally {
            Fathom.setDefaultDevice(null);
        }
        long launches = EmulatedCudaBackend.driver().profile().values().stream().mapToLong(p -> p[0]).sum();
        assertTrue(launches >= 2, "the ops ran as kernel launches: " + launches);
    }
}
