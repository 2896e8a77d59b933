package dev.fathom.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JsonLinesTest {

    private static Map<String, Object> params(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void fathomLineHasEveryKeyInOrderWithNullsForWhatDoesNotApply() {
        Measurement m = new Measurement("gemm", "cpu", params("n", 512L), 1.25, "ms/op", 0.5, 214.7, null, 0.25, 1.25, 2, null);
        assertEquals("{\"bench\":\"gemm\",\"backend\":\"cpu\",\"params\":{\"n\":512},\"value\":1.25,\"unit\":\"ms/op\",\"error\":0.5,"
                + "\"gflops\":214.7,\"gbps\":null,\"peak_frac\":0.25,\"ms_per_op\":1.25,\"threads\":2}", JsonLines.line(m));
    }

    @Test
    void peerLineCarriesContaminationAndNonFiniteNumbersBecomeNull() {
        Measurement m = new Measurement("train.gpt", "torch", params("batch", 32L, "context", 128L), 20943.2, "tokens/s", Double.NaN,
                null, Double.POSITIVE_INFINITY, null, 195.5, 2, true);
        assertEquals("{\"bench\":\"train.gpt\",\"backend\":\"torch\",\"params\":{\"batch\":32,\"context\":128},\"value\":20943.2,"
                + "\"unit\":\"tokens/s\",\"error\":null,\"gflops\":null,\"gbps\":null,\"peak_frac\":null,\"ms_per_op\":195.5,\"threads\":2,"
                + "\"contaminated\":true}", JsonLines.line(m));
    }

    @Test
    void writeWritesOneLinePerMeasurement(@TempDir Path dir) throws Exception {
        Measurement a = new Measurement("add", "cpu", params("n", 16L), 2, "ms/op", null, null, 24.0, null, 2.0, 1, null);
        Measurement b = a.withPeakFrac(0.5);
        Path f = dir.resolve("r.jsonl");
        JsonLines.write(f, List.of(a, b));
        assertEquals(List.of(JsonLines.line(a), JsonLines.line(b)), Files.readAllLines(f));
        assertEquals(List.of("r.jsonl"), Files.list(dir).map(p -> p.getFileName().toString()).toList(), "no temporary left behind");
    }
}
