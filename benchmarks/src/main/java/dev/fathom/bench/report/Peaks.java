package dev.fathom.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The peaks a measurement is set against: the CPU's computed FLOP peak and measured memory
 * bandwidth for the {@code cpu} backend and the CPU peers ({@code numpy}, {@code torch}); for a GPU
 * backend, its device's published peaks ({@link GpuPeaks}), or none when the device is not listed.
 *
 * @param cpuGflops  the CPU's peak for the run's threads ({@link CpuPeak#gflops()})
 * @param cpuGBps    the CPU's measured bandwidth ({@link MemoryBandwidth#bestGBps()})
 * @param gpu        per GPU backend name ({@code cuda}), its published peaks; absent when unknown
 */
public record Peaks(double cpuGflops, double cpuGBps, Map<String, GpuPeaks.Peak> gpu) {

    public Peaks {
        gpu = Map.copyOf(Objects.requireNonNull(gpu, "gpu"));
    }

    /** The measurements with {@code peakFrac} set where a peak is known (GFLOP/s first, else GB/s). */
    public List<Measurement> apply(List<Measurement> ms) {
        List<Measurement> out = new ArrayList<>(ms.size());
        for (Measurement m : ms) {
            out.add(m.withPeakFrac(frac(m)));
        }
        return out;
    }

    private Double frac(Measurement m) {
        boolean onGpu = gpu.containsKey(m.backend()) || m.backend().equals("cuda");
        GpuPeaks.Peak g = gpu.get(m.backend());
        if (m.gflops() != null) {
            double peak = onGpu ? (g == null ? Double.NaN : g.fp32Tflops() * 1e3) : cpuGflops;
            return valid(m.gflops() / peak);
        }
        if (m.gbps() != null) {
            double peak = onGpu ? (g == null ? Double.NaN : g.memoryGBps()) : cpuGBps;
            return valid(m.gbps() / peak);
        }
        return null;
    }

    private static Double valid(double x) {
        return Double.isFinite(x) ? x : null;
    }
}
