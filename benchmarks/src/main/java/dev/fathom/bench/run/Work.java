package dev.fathom.bench.run;

import dev.fathom.bench.report.Measurement;

import java.util.Map;

/**
 * What one operation of a benchmark does, so that its time becomes a rate: FLOPs (→ GFLOP/s), bytes
 * moved (→ GB/s), or items such as samples, tokens or steps (→ items per second, which then
 * becomes the measurement's value).
 */
public sealed interface Work {

    /** FLOPs per operation, given the benchmark's parameters. */
    record Flops(ToDouble amount) implements Work {
    }

    /** Bytes a single pass must move per operation. */
    record Bytes(ToDouble amount) implements Work {
    }

    /** Items per operation, reported as {@code unit} (e.g. {@code samples/s}). */
    record Items(ToDouble amount, String unit) implements Work {
    }

    /** A quantity computed from a benchmark's parameters (JMH's strings). */
    @FunctionalInterface
    interface ToDouble {
        double of(Map<String, String> params);
    }

    /**
     * The measurement of one JMH result: {@code msPerOp} ± {@code errorMs} (JMH's score error, NaN
     * when it has none) for {@code bench} on {@code backend} with {@code shown} parameters.
     */
    static Measurement measure(Work work, String bench, String backend, Map<String, String> jmhParams, Map<String, Object> shown,
                               double msPerOp, double errorMs, int threads) {
        Double err = Double.isFinite(errorMs) ? errorMs : null;
        double seconds = msPerOp / 1e3;
        return switch (work) {
            case Flops f -> new Measurement(bench, backend, shown, msPerOp, "ms/op", err, f.amount().of(jmhParams) / seconds / 1e9, null,
                    null, msPerOp, threads, null);
            case Bytes b -> new Measurement(bench, backend, shown, msPerOp, "ms/op", err, null, b.amount().of(jmhParams) / seconds / 1e9,
                    null, msPerOp, threads, null);
            case Items i -> {
                double rate = i.amount().of(jmhParams) / seconds;
                // d(k/t) = k/t · dt/t: the time's error as a rate's.
                yield new Measurement(bench, backend, shown, rate, i.unit(), err == null ? null : rate * err / msPerOp, null, null, null,
                        msPerOp, threads, null);
            }
        };
    }
}
