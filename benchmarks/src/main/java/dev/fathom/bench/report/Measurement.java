package dev.fathom.bench.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One measured number: what ran ({@code bench} and its {@code params}), where ({@code backend}:
 * a Fathom backend such as {@code cpu}/{@code cuda}, or a peer: {@code numpy}, {@code torch}), the
 * value with its unit and JMH's score error (null where the source gives none), and what can be
 * derived from it: GFLOP/s or GB/s, and the fraction of the machine's peak ({@link Peaks}).
 *
 * <p>{@code msPerOp} is the average time of one operation (one op, one training step) where known;
 * {@code contaminated} is a peer's own verdict that other processes used the CPUs while it
 * measured (null for Fathom's numbers, which JMH measures without such a check).
 *
 * @param params benchmark parameters in a fixed order; values are {@code Long} where they are
 *               integers, so that {@code n=512} from JMH and from a peer compare equal
 */
public record Measurement(String bench, String backend, Map<String, Object> params, double value, String unit, Double error,
                          Double gflops, Double gbps, Double peakFrac, Double msPerOp, int threads, Boolean contaminated) {

    public Measurement {
        Objects.requireNonNull(bench, "bench");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(unit, "unit");
        params = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(params, "params")));
        if (threads < 1) {
            throw new IllegalArgumentException("Measurement: threads must be >= 1, got " + threads + " for " + bench + " on " + backend);
        }
    }

    /** A parameter value as written in a table or compared across sources ({@code "512"}), or null. */
    public String param(String key) {
        Object v = params.get(key);
        return v == null ? null : String.valueOf(v);
    }

    /** The rate this measurement is judged by: GFLOP/s, else GB/s, else the value itself. */
    public double rate() {
        return gflops != null ? gflops : gbps != null ? gbps : value;
    }

    /** This measurement with {@code peakFrac} set. */
    public Measurement withPeakFrac(Double frac) {
        return new Measurement(bench, backend, params, value, unit, error, gflops, gbps, frac, msPerOp, threads, contaminated);
    }

    /** Parses a parameter value: integers become {@code Long}, everything else stays a string. */
    public static Object paramValue(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return s;
        }
    }
}
