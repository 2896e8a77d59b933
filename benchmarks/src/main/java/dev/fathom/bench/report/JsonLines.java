package dev.fathom.bench.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fathom.io.AtomicFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench-results.jsonl}: one JSON object per {@link Measurement}, keys in this order:
 * {@code bench, backend, params, value, unit, error, gflops, gbps, peak_frac, ms_per_op, threads},
 * then {@code contaminated} for peers. A number that does not apply is {@code null}, so every line
 * has the same keys (a NaN or infinity, which JSON cannot hold, is written as {@code null} too).
 */
public final class JsonLines {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonLines() {
    }

    /** The JSON line of {@code m}, without the newline. */
    public static String line(Measurement m) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("bench", m.bench());
        o.put("backend", m.backend());
        o.put("params", m.params());
        o.put("value", finite(m.value()));
        o.put("unit", m.unit());
        o.put("error", finite(m.error()));
        o.put("gflops", finite(m.gflops()));
        o.put("gbps", finite(m.gbps()));
        o.put("peak_frac", finite(m.peakFrac()));
        o.put("ms_per_op", finite(m.msPerOp()));
        o.put("threads", m.threads());
        if (m.contaminated() != null) {
            o.put("contaminated", m.contaminated());
        }
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("bench-results: cannot encode " + m + ": " + e.getMessage(), e);
        }
    }

    /** Writes one line per measurement to {@code file}, atomically. */
    public static void write(Path file, List<Measurement> measurements) {
        StringBuilder sb = new StringBuilder();
        for (Measurement m : measurements) {
            sb.append(line(m)).append('\n');
        }
        writeText(file, sb.toString());
    }

    /** Writes {@code text} as UTF-8 to {@code file}, atomically. */
    public static void writeText(Path file, String text) {
        writeBytes(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} to {@code file}, atomically. */
    static void writeBytes(Path file, byte[] bytes) {
        try {
            AtomicFile.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("bench: cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static Double finite(Double x) {
        return x == null || x.isNaN() || x.isInfinite() ? null : x;
    }
}
