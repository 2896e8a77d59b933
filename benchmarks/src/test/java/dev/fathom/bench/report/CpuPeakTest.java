package dev.fathom.bench.report;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuPeakTest {
    private static final String CPUINFO = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            model name\t: AMD EPYC 7B13
            cpu MHz\t\t: 2450.000
            flags\t\t: fpu sse2 avx avx2 fma bmi2

            processor\t: 1
            cpu MHz\t\t: 3000.000
            """;

    @Test
    void avx2WithFmaOnTwoCoresFromCpufreq() {
        // By hand: 8 lanes × 2 FLOP per FMA × 2 FMA units = 32 FLOP/cycle/core; × 2 cores × 3.5 GHz = 224 GFLOP/s.
        CpuPeak p = CpuPeak.of(8, 2, 2, "3500000\n", CPUINFO);
        assertEquals(32, p.flopsPerCycle());
        assertEquals(224.0, p.gflops(), 1e-9);
        assertEquals("cpuinfo_max_freq", p.clockSource());
        assertEquals("8 F32 lanes × 2 FLOP per FMA × 2 FMA units × 2 cores × 3.50 GHz (cpuinfo_max_freq) = 224 GFLOP/s", p.explain());
    }

    @Test
    void fallsBackToTheFirstCpuMhzOfProcCpuinfo() {
        // 16 lanes (AVX-512) × 2 × 2 = 64 FLOP/cycle; × 1 core × 2.45 GHz = 156.8 GFLOP/s.
        CpuPeak p = CpuPeak.of(16, 2, 1, null, CPUINFO);
        assertEquals(156.8, p.gflops(), 1e-9);
        assertEquals("/proc/cpuinfo cpu MHz", p.clockSource());
        CpuPeak garbage = CpuPeak.of(16, 2, 1, "n/a", CPUINFO);
        assertEquals(156.8, garbage.gflops(), 1e-9);
    }

    @Test
    void withoutFmaOneMultiplyAndOneAddPerCycle() {
        // 4 lanes (SSE) × (1 mul + 1 add) = 8 FLOP/cycle; × 2 cores × 2 GHz = 32 GFLOP/s.
        CpuPeak p = CpuPeak.of(4, 0, 2, "2000000", null);
        assertEquals(32.0, p.gflops(), 1e-9);
        assertTrue(p.explain().contains("no FMA"), p.explain());
    }

    @Test
    void unknownClockGivesNaN() {
        CpuPeak p = CpuPeak.of(8, 2, 2, null, "processor : 0\n");
        assertTrue(Double.isNaN(p.gflops()));
        assertEquals("clock unknown", p.clockSource());
    }

    @Test
    void fmaUnitsFromArchitectureAndFlags() {
        assertEquals(2, CpuPeak.fmaUnits("amd64", CpuPeak.flags(CPUINFO)));
        assertEquals(0, CpuPeak.fmaUnits("amd64", Set.of("avx", "sse2")));
        assertEquals(2, CpuPeak.fmaUnits("aarch64", Set.of()));
        assertEquals(Set.of("fpu", "sse2", "avx", "avx2", "fma", "bmi2"), CpuPeak.flags(CPUINFO));
    }
}
