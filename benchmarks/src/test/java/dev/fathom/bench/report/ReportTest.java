package dev.fathom.bench.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.fathom.bench.report.Fixtures.gemm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {

    private static Machine machine() {
        return new Machine("AMD EPYC 7B13", 2, 2, 256, CpuPeak.of(8, 2, 2, "3500000", null), new MemoryBandwidth(20, 22, 25, 2, 256, 6),
                "25.0.1", "Linux", "2026-11-25T22:00:00Z", "abc1234", List.of());
    }

    @Test
    void reportHasMachineTargetsPeersAndOneSectionPerFamilyPresent() {
        Report r = new Report("scripts/bench --quick --no-peers", "quick run", machine(),
                List.of(gemm("cpu", 256, 0.15, 0.002, 223.7, 0.999, null)), List.of("cpu"), PeerStatus.notRun("--no-peers"), "gemm.png", null);
        List<String> lines = r.render().lines().toList();
        assertEquals("# Fathom benchmark report", lines.get(0));
        assertTrue(lines.contains("`scripts/bench --quick --no-peers`: quick run"), lines.toString());
        assertTrue(lines.contains("- CPU peak (computed, F32, 2 cores): 8 F32 lanes × 2 FLOP per FMA × 2 FMA units × 2 cores × 3.50 GHz "
                + "(cpuinfo_max_freq) = 224 GFLOP/s"), lines.toString());
        assertTrue(lines.contains("peers not run: --no-peers"));
        assertTrue(lines.contains("| SGEMM N = 256, GFLOP/s | not run | 224 |  | ≥ 0.80× | — |"));
        assertTrue(lines.contains("## GEMM (F32, C = A·B, N × N)"));
        assertTrue(lines.contains("![GEMM GFLOP/s against N](gemm.png)"));
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("## Attention")), "no section for a family that did not run");
        assertFalse(lines.stream().anyMatch(l -> l.contains("e2e-ratio.png")), "no ratio chart without ratios");
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("- Above the computed peak")), "0.999 of the peak is below it");
    }

    @Test
    void measurementsAboveTheComputedPeakAreExplained() {
        Report r = new Report("scripts/bench --quick --no-peers --only gemm", "quick run", machine(),
                List.of(gemm("cpu", 512, 0.7, 0.01, 375.0, 1.129, null), gemm("cpu", 256, 0.15, 0.002, 223.7, 0.999, null)), List.of("cpu"),
                PeerStatus.notRun("--no-peers"), null, null);
        String line = r.render().lines().filter(l -> l.startsWith("- Above the computed peak")).findFirst().orElseThrow();
        assertTrue(line.startsWith("- Above the computed peak: 1 measurement(s), up to 112.9% (gemm cpu {n=512}). The peaks are estimates: "
                + "the CPU's from the cpuinfo_max_freq clock"), line);
    }
}
