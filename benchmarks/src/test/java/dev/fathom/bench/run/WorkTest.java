package dev.fathom.bench.run;

import dev.fathom.bench.report.Measurement;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class WorkTest {

    private static SuiteEntry entry(String name) {
        return Suite.ALL.stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void gemmTimeBecomesGflops() {
        SuiteEntry.Bench b = entry("gemm").methods().get("matmul");
        // 2 · 512³ = 268,435,456 FLOPs in 2 ms: 134.22 GFLOP/s.
        Measurement m = Work.measure(b.work(), b.name(), "cpu", Map.of("backend", "cpu", "n", "512"), Map.of("n", 512L), 2.0, 0.1, 2);
        assertEquals(268_435_456 / 2e-3 / 1e9, m.gflops(), 1e-9);
        assertEquals(2.0, m.value());
        assertEquals("ms/op", m.unit());
        assertEquals(0.1, m.error());
        assertNull(m.gbps());
    }

    @Test
    void memoryBoundTimeBecomesGBps() {
        SuiteEntry.Bench b = entry("reduction").methods().get("sumAxis");
        // axis 0 of 4096 × 4096: 4 · 4096² + 4 · 4096 = 67,125,248 bytes in 10 ms: 6.7125 GB/s.
        Measurement m = Work.measure(b.work(), b.name(), "cpu", Map.of("rows", "4096", "cols", "4096", "axis", "0"), Map.of(), 10, Double.NaN,
                2);
        assertEquals(6.7125248, m.gbps(), 1e-9);
        assertNull(m.error(), "JMH's NaN error (one iteration) is no error");
    }

    @Test
    void trainingStepTimeBecomesARateWithTheErrorScaled() {
        SuiteEntry.Bench gpt = entry("train.gpt").methods().get("step");
        // 32 · 128 = 4096 tokens per 200 ms step: 20480 tokens/s; ±10 ms is ±5%: ±1024 tokens/s.
        Measurement m = Work.measure(gpt.work(), gpt.name(), "cpu", Map.of("batch", "32", "context", "128"), Map.of(), 200, 10, 2);
        assertEquals("train.gpt", m.bench());
        assertEquals("tokens/s", m.unit());
        assertEquals(20480, m.value(), 1e-9);
        assertEquals(1024, m.error(), 1e-9);
        assertEquals(200.0, m.msPerOp());
        SuiteEntry.Bench dcgan = entry("train.dcgan").methods().get("step");
        assertEquals(4.0, Work.measure(dcgan.work(), dcgan.name(), "cpu", Map.of("batch", "64"), Map.of(), 250, Double.NaN, 2).value(), 1e-12);
    }
}
