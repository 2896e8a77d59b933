package dev.fathom.tensor;

import dev.fathom.tensor.internal.Backends;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Device names and parsing. In {@code tensor-api} these run with no backend on the class path, so
 * every well-formed name is unusable and must fail with a {@link DeviceUnavailableException} that
 * says why; in a backend module, that backend's device parses.
 */
class DeviceTest {

    @Test
    void printsLikePyTorch() {
        assertEquals("cpu", Device.cpu().toString());
        assertEquals("cuda:1", new Device("cuda", 1).toString());
        assertEquals(new Device("cpu", 0), Device.cpu());
    }

    @Test
    void rejectsMalformedDevices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Device("CUDA", 0));
        assertTrue(e.getMessage().contains("lower-case") && e.getMessage().contains("CUDA"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Device("cuda", -1));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Device(" ", 0));
    }

    @Test
    void memoryStatsOfADeviceNoBackendServesNamesTheBackendsThereAre() {
        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, () -> new Device("tpu", 0).memoryStats());
        assertEquals(new Device("tpu", 0), e.device());
        assertTrue(e.getMessage().contains("no backend named \"tpu\""), e.getMessage());
    }

    @Test
    void parseRejectsBadSyntaxBeforeLookingForABackend() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.parse("cuda:x"));
        assertTrue(e.getMessage().contains("Device.parse") && e.getMessage().contains("cuda:x"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Device.parse(":1"));
        assertTrue(e.getMessage().contains("empty device name"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Device.parse("cuda:-1"));
        assertThrows(NullPointerException.class, () -> Device.parse(null));
    }

    @Test
    void parseNormalizesAndChecksAvailability() {
        // This class also runs in backend modules (their surefire scans the test jar): expect what is on the class path.
        if (Backends.find("cuda") == null) {
            // " CUDA:2 " is well formed (trimmed, lower-cased); with no CUDA backend it is unavailable, with the reason.
            DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, () -> Device.parse(" CUDA:2 "));
            assertEquals(new Device("cuda", 2), e.device());
            assertTrue(e.getMessage().startsWith("cuda:2 is not available: no backend named \"cuda\""), e.getMessage());
            assertTrue(e.getMessage().contains("backend-cuda"), "says which module to add: " + e.getMessage());
            e = assertThrows(DeviceUnavailableException.class, Device::cuda);
            assertTrue(e.getMessage().contains("cuda:0"), e.getMessage());
        }
        if (Backends.find("cpu") == null) {
            DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, () -> Device.parse("cpu"));
            assertEquals(Device.cpu(), e.device());
            assertTrue(e.getMessage().contains("no backend named \"cpu\"") && e.getMessage().contains("found: ["),
                    "names the missing backend and lists those found: " + e.getMessage());
        } else {
            assertEquals(Device.cpu(), Device.parse(" CPU "));
        }
        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, () -> Device.parse("tpu:0"));
        assertTrue(e.getMessage().startsWith("tpu:0 is not available: no backend named \"tpu\""), e.getMessage());
    }
}
