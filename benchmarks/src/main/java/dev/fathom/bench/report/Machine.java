package dev.fathom.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the report says about where it ran: the CPU and its computed peak, the measured memory
 * bandwidth, the GPUs with their published peaks, the JDK, the date and the commit.
 *
 * @param gpus one line per GPU of an available GPU backend (its description and peak), possibly empty
 */
public record Machine(String cpuModel, int logicalCpus, int threads, int vectorBits, CpuPeak peak, MemoryBandwidth bandwidth,
                      String jdk, String os, String date, String commit, List<String> gpus) {

    public Machine {
        Objects.requireNonNull(peak, "peak");
        Objects.requireNonNull(bandwidth, "bandwidth");
        gpus = List.copyOf(gpus);
    }

    /** The Markdown bullet lines of the machine section. */
    public List<String> lines() {
        List<String> l = new ArrayList<>();
        l.add("- CPU: " + cpuModel + ", " + logicalCpus + " logical CPUs; benchmarks and peers use " + threads + " thread(s)");
        l.add("- Vector width: " + vectorBits + " bits (FloatVector.SPECIES_PREFERRED, " + peak.lanes() + " F32 lanes)");
        l.add("- CPU peak (computed, F32, " + peak.cores() + " cores): " + peak.explain());
        l.add("- Memory bandwidth (" + bandwidth.explain() + "): roofline " + Fmt.num(bandwidth.bestGBps()) + " GB/s");
        if (gpus.isEmpty()) {
            l.add("- GPU: none used");
        } else {
            for (String g : gpus) {
                l.add("- GPU: " + g);
            }
        }
        l.add("- JDK: " + jdk + "; OS: " + os);
        l.add("- Date: " + date + "; commit: " + commit);
        return l;
    }
}
