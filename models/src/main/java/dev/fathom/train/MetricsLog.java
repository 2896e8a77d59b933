package dev.fathom.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.fathom.io.AtomicFile;
import dev.fathom.io.IoErrors;

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
 * A run's {@code metrics.jsonl}: one JSON object per line (per epoch, or per logging step), appended
 * and flushed as it happens so that a crashed run keeps what it logged. Keys keep their insertion
 * order; non-finite numbers are written as JSON strings ("NaN", "Infinity"), since JSON has none.
 * The rows are also kept in memory for {@link LearningCurves}.
 *
 * <p>Nothing is written before the first row: a run that fails before logging anything leaves no
 * file (and no directory) behind, and the previous file as it was. A resumed log
 * ({@link #resume}) that drops rows replaces the file atomically with the kept rows at its first
 * row, then appends.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final boolean append;
    private final int dropped;
    private BufferedWriter out;   // opened by the first row
    private final List<Map<String, Object>> rows = new ArrayList<>();

    /** Creates (or truncates) {@code file} at the first row; with {@code append}, keeps its lines (a resumed run). */
    public MetricsLog(Path file, boolean append) {
        this(file, append, null, 0);
    }

    /**
     * The log of a run resumed at {@code first}: keeps the rows of {@code file} whose {@code key}
     * (e.g. {@code epoch}) is below {@code first} and drops the others (a resume from an earlier
     * checkpoint replaces what came after it); a new log when {@code first <= 1}.
     */
    public static MetricsLog resume(Path file, String key, long first) {
        return new MetricsLog(file, first > 1, key, first);
    }

    /**
     * The values of {@code key} at or after {@code first} in {@code file} (none when it does not
     * exist): the rows that {@link #resume} at {@code first} would drop.
     */
    public static List<Long> laterRows(Path file, String key, long first) {
        List<Long> later = new ArrayList<>();
        new MetricsLog(file, true, null, 0).rows.forEach(row -> {
            if (row.get(key) instanceof Number n && n.longValue() >= first) {
                later.add(n.longValue());
            }
        });
        return later;
    }

    private MetricsLog(Path file, boolean append, String key, long first) {
        this.file = file;
        this.append = append;
        int drop = 0;
        try {
            if (append && Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        Map<String, Object> row = readRow(line);
                        if (key == null || row.get(key) instanceof Number n && n.longValue() < first) {
                            rows.add(row);
                        } else {
                            drop++;
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("metrics log: cannot read " + file + ": " + IoErrors.describe(e), e);
        }
        this.dropped = drop;
    }

    /** How many rows of the existing file {@link #resume} dropped (replaced at the first new row). */
    public int dropped() {
        return dropped;
    }

    private void open() throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (dropped > 0) {
            StringBuilder kept = new StringBuilder();
            for (Map<String, Object> row : rows) {
                kept.append(JSON.writeValueAsString(row)).append('\n');
            }
            AtomicFile.write(file, kept.toString().getBytes(StandardCharsets.UTF_8));
        }
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> readRow(String line) throws IOException {
        try {
            return JSON.readValue(line, LinkedHashMap.class);
        } catch (IOException e) {
            throw new IOException(file + ": not a JSON object per line (" + e.getMessage() + ")", e);
        }
    }

    /** Appends one row and flushes it (the first row creates the file, see the class comment). */
    public void log(Map<String, ?> row) {
        Map<String, Object> clean = new LinkedHashMap<>();
        row.forEach((k, v) -> clean.put(k, v instanceof Double d && !Double.isFinite(d) ? d.toString()
                : v instanceof Float f && !Float.isFinite(f) ? f.toString() : v));
        try {
            if (out == null) {
                open();
            }
            out.write(JSON.writeValueAsString(clean));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("metrics log: cannot write " + file + ": " + IoErrors.describe(e), e);
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
        if (out == null) {
            return;
        }
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("metrics log: cannot close " + file + ": " + IoErrors.describe(e), e);
        }
    }
}
