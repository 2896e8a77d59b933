package dev.fathom.bench.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GpuPeaksTest {

    private static String match(String device) {
        return GpuPeaks.lookup(device).map(GpuPeaks.Peak::name).orElse("unknown");
    }

    @Test
    void matchesDriverNamesToTheMostSpecificEntry() {
        assertEquals("H100", match("NVIDIA H100 80GB HBM3, compute capability 9.0, 79.1 GiB"));
        assertEquals("H100 PCIe", match("NVIDIA H100 PCIe"));
        assertEquals("H200", match("NVIDIA H200, compute capability 9.0, 139.8 GiB"));
        assertEquals("A100 PCIE 40GB", match("NVIDIA A100-PCIE-40GB"));
        assertEquals("A100", match("NVIDIA A100-SXM4-80GB"));
        assertEquals("L4", match("NVIDIA L4"));
        assertEquals("L40S", match("NVIDIA L40S"));
        assertEquals("T4", match("Tesla T4"));
        assertEquals("RTX 4090", match("NVIDIA GeForce RTX 4090"));
        assertEquals(66.9, GpuPeaks.lookup("NVIDIA H100 80GB HBM3").orElseThrow().fp32Tflops());
    }

    @Test
    void unlistedDevicesAreUnknown() {
        assertEquals("unknown", match("NVIDIA GeForce GTX 1050"));
        assertEquals("unknown", match("NVIDIA A1000"));
        assertTrue(GpuPeaks.lookup(null).isEmpty());
    }
}
