package dev.fathom.bench.report;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Published FP32 (non-tensor-core) peaks and memory bandwidths of common NVIDIA GPUs, from
 * NVIDIA's data sheets at boost clock. A device is matched by the first entry whose every token
 * occurs in its name (case-insensitive), so more specific entries come first ("H100 PCIe" before
 * "H100"). A GPU not listed has an unknown peak, and the report says so.
 */
public final class GpuPeaks {

    /** One GPU's published peaks. */
    public record Peak(String name, double fp32Tflops, double memoryGBps) {
    }

    private record Entry(List<String> tokens, Peak peak) {
    }

    private static final List<Entry> TABLE = List.of(
            entry("H100 PCIe", 51.2, 2000),
            entry("H100 NVL", 60.0, 3900),
            entry("H100", 66.9, 3350),       // SXM5 ("NVIDIA H100 80GB HBM3")
            entry("H200 NVL", 60.0, 4800),
            entry("H200", 66.9, 4800),       // SXM
            entry("GH200", 66.9, 4000),
            entry("A100 PCIE 40GB", 19.5, 1555),
            entry("A100 SXM4 40GB", 19.5, 1555),
            entry("A100", 19.5, 2039),       // 80 GB
            entry("A10G", 31.2, 600),
            entry("A10", 31.2, 600),
            entry("L40S", 91.6, 864),
            entry("L40", 90.5, 864),
            entry("L4", 30.3, 300),
            entry("T4", 8.1, 320),
            entry("V100", 15.7, 900),
            entry("RTX 4090", 82.6, 1008),
            entry("RTX 4080", 48.7, 717),
            entry("RTX 3090", 35.6, 936),
            entry("RTX A6000", 38.7, 768));

    private GpuPeaks() {
    }

    private static Entry entry(String name, double tflops, double gbps) {
        return new Entry(List.of(name.toLowerCase(Locale.ROOT).split(" ")), new Peak(name, tflops, gbps));
    }

    /** The published peaks of the GPU called {@code deviceName} (e.g. "NVIDIA H100 80GB HBM3"), if listed. */
    public static Optional<Peak> lookup(String deviceName) {
        if (deviceName == null) {
            return Optional.empty();
        }
        // Word tokens, so "L4" does not match "L40" and "A10" does not match "A100".
        List<String> words = List.of(deviceName.toLowerCase(Locale.ROOT).replace('-', ' ').replace(',', ' ').split("\\s+"));
        for (Entry e : TABLE) {
            if (words.containsAll(e.tokens())) {
                return Optional.of(e.peak());
            }
        }
        return Optional.empty();
    }
}
