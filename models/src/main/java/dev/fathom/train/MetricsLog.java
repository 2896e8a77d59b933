package dev.fathom.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's {@code metrics.jsonl}: one JSON object per line (per epoch, or per logging step), written
 * and flushed as it happens so that a crashed run keeps what it logged. Keys keep their insertion
 * order; non-finite numbers are written as JSON strings ("NaN", "Infinity"), since JSON has none.
 * The rows are also kept in memory for {@link LearningCurves}.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final BufferedWriter out;
    private final List<Map<String, Object>> rows = new ArrayList<>();

    /** Creates (or truncates) {@code file}; with {@code append}, keeps its lines (a resumed run). */
    public MetricsLog(Path file, boolean append) {
        this(file, append, null, 0);
    }

    /**
     * The log of a run resumed at {@code first}: keeps the rows of {@code file} whose {@code key}
     * (e.g. {@code epoch}) is below {@code first}; a new log when {@code first <= 1}.
     */
    public static MetricsLog resume(Path file, String key, long first) {
        return new MetricsLog(file, first > 1, key, first);
    }

    private MetricsLog(Path file, boolean append, String key, long first) {
        this.file = file;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (append && Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        Map<String, Object> row = readRow(line);
                        if (key == null || row.get(key) instanceof Number n && n.longValue() < first) {
                            rows.add(row);
                        }
                    }
                }
            }
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("metrics log: cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> readRow(String line) throws IOException {
        try {
            return JSON.readValue(line, LinkedHashMap.class);
        } catch (IOException e) {
            throw new IOException(file + ": not a JSON object per line (" + e.getMessage() + ")", e);
        }
    }

    /** Appends one row and flushes it. */
    public void log(Map<String, ?> row) {
        Map<String, Object> clean = new LinkedHashMap<>();
        row.forEach((k, v) -> clean.put(k, v instanceof Double d && !Double.isFinite(d) ? d.toString()
                : v instanceof Float f && !Float.isFinite(f) ? f.toString() : v));
        try {
            out.write(JSON.writeValueAsString(clean));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("metrics log: cannot write " + file + ": " + e.getMessage(), e);
        }
        rows.add(clean);
    }

    /** Every row logged so far (including those read back when appending). */
    public List<Map<String, Object>> rows() {
        return Collections.unmodifiableList(rows);
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("metrics log: cannot close " + file + ": " + e.getMessage(), e);
        }
    }
}
