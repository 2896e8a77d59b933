package dev.fathom.bench.report;

import java.util.LinkedHashMap;
import java.util.Map;

/** Measurements for the report tests, written out in full so that every table cell can be checked by hand. */
final class Fixtures {
    private Fixtures() {
    }

    static Map<String, Object> params(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static Measurement gemm(String backend, long n, double ms, Double err, double gflops, Double peak, Boolean contaminated) {
        return new Measurement("gemm", backend, params("n", n), ms, "ms/op", err, gflops, null, peak, ms, 2, contaminated);
    }

    static Measurement train(String bench, String backend, double rate, Double err, Boolean contaminated) {
        return new Measurement(bench, backend, params("batch", 128L), rate, "samples/s", err, null, null, null, null, 2, contaminated);
    }
}
