package dev.fathom.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The CPU's computed F32 peak for the cores a run uses:
 * {@code lanes × 2 FLOP per FMA × FMA units per core × cores × clock}, where {@code lanes} is the
 * width of {@code FloatVector.SPECIES_PREFERRED} (the Vector API's view of the widest usable
 * vectors: 8 on AVX2, 16 on AVX-512), FMA units are 2 per core on x86-64 with FMA (every core from
 * Haswell and Zen on; some AVX-512 parts have only one 512-bit unit, which this cannot see) and
 * also taken as 2 on AArch64, and the clock is {@code cpuinfo_max_freq} of cpu0 where Linux exposes
 * it, else the first {@code cpu MHz} of {@code /proc/cpuinfo} (in virtual machines often the base
 * clock, so the peak is then a lower bound of what turbo allows). Without FMA the core is taken to
 * issue one vector multiply and one vector add per cycle: {@code lanes × 2}.
 *
 * @param lanes       F32 lanes of the preferred vector
 * @param fmaUnits    FMA pipes per core, 0 without FMA
 * @param cores       cores the run uses ({@code min(threads, logical CPUs)})
 * @param ghz         the clock used, GHz
 * @param clockSource where the clock came from, for the report
 */
public record CpuPeak(int lanes, int fmaUnits, int cores, double ghz, String clockSource) {

    /** F32 FLOP per cycle and core. */
    public double flopsPerCycle() {
        return fmaUnits > 0 ? lanes * 2.0 * fmaUnits : lanes * 2.0;
    }

    /** The peak in GFLOP/s (NaN when the clock is unknown). */
    public double gflops() {
        return flopsPerCycle() * cores * ghz;
    }

    /** How the peak was computed, as one line for the report. */
    public String explain() {
        String perCycle = fmaUnits > 0
                ? lanes + " F32 lanes × 2 FLOP per FMA × " + fmaUnits + " FMA units"
                : lanes + " F32 lanes × (1 multiply + 1 add) (no FMA)";
        return String.format(Locale.ROOT, "%s × %d cores × %.2f GHz (%s) = %s GFLOP/s", perCycle, cores, ghz, clockSource, Fmt.num(gflops()));
    }

    /** The peak of this machine for {@code threads} threads. */
    public static CpuPeak detect(int threads, int preferredLanes) {
        String cpuinfo = read(Path.of("/proc/cpuinfo"));
        String maxFreq = read(Path.of("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"));
        int cores = Math.min(threads, Runtime.getRuntime().availableProcessors());
        String arch = System.getProperty("os.arch", "");
        return of(preferredLanes, fmaUnits(arch, flags(cpuinfo)), cores, maxFreq, cpuinfo);
    }

    /**
     * The peak from the raw sources: {@code maxFreqKHz} is the content of {@code cpuinfo_max_freq}
     * (kHz) or null, {@code cpuinfo} that of {@code /proc/cpuinfo} or null.
     */
    static CpuPeak of(int lanes, int fmaUnits, int cores, String maxFreqKHz, String cpuinfo) {
        if (maxFreqKHz != null && !maxFreqKHz.isBlank()) {
            try {
                return new CpuPeak(lanes, fmaUnits, cores, Long.parseLong(maxFreqKHz.trim()) / 1e6, "cpuinfo_max_freq");
            } catch (NumberFormatException e) {
                // fall through to /proc/cpuinfo
            }
        }
        String mhz = field(cpuinfo, "cpu MHz");
        if (mhz != null) {
            try {
                return new CpuPeak(lanes, fmaUnits, cores, Double.parseDouble(mhz) / 1e3, "/proc/cpuinfo cpu MHz");
            } catch (NumberFormatException e) {
                // unknown clock
            }
        }
        return new CpuPeak(lanes, fmaUnits, cores, Double.NaN, "clock unknown");
    }

    /** FMA pipes per core: 2 on x86-64 with the {@code fma} flag and on AArch64, else 0. */
    static int fmaUnits(String arch, Set<String> flags) {
        if (arch.equals("aarch64")) {
            return 2;
        }
        return (arch.equals("amd64") || arch.equals("x86_64")) && flags.contains("fma") ? 2 : 0;
    }

    /** The CPU flags of the first processor in {@code cpuinfo} (x86 {@code flags}, Arm {@code Features}). */
    static Set<String> flags(String cpuinfo) {
        String f = field(cpuinfo, "flags");
        if (f == null) {
            f = field(cpuinfo, "Features");
        }
        return f == null ? Set.of() : new HashSet<>(Arrays.asList(f.trim().split("\\s+")));
    }

    /** The CPU's model name, or "unknown". */
    public static String modelName() {
        String m = field(read(Path.of("/proc/cpuinfo")), "model name");
        return m == null ? "unknown (" + System.getProperty("os.arch") + ")" : m.trim();
    }

    /** The value of the first {@code key : value} line of {@code text}, or null. */
    static String field(String text, String key) {
        if (text == null) {
            return null;
        }
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
