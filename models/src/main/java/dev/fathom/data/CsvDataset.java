package dev.fathom.data;

import dev.fathom.tensor.DType;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A table of numbers from a CSV file: one example per row, every column but the label a feature
 * (F32, examples of shape {@code [features]}), the label a class index (I64) or a regression
 * target (F32).
 *
 * <p>Format: fields separated by {@link Format#delimiter()}, optionally in double quotes (with
 * {@code ""} for a quote); surrounding spaces are ignored, blank lines skipped, a UTF-8 byte order
 * mark dropped. Reading is strict, and every error is an {@link IOException} that names the file,
 * the line and the column: a field that is not a finite number, an empty field (missing values are
 * not filled in), a row with the wrong number of fields, a class label that is not a non-negative
 * integer, an unknown label column, a file with no rows.
 */
public final class CsvDataset implements Dataset {

    /**
     * How to read a file.
     *
     * @param delimiter    the field separator
     * @param header       whether the first row names the columns
     * @param labelColumn  the label column's name (needs a header), or null to use {@code labelIndex}
     * @param labelIndex   the label column's index from 0; negative counts from the end (-1: the last column)
     * @param classLabels  true: labels are class indices (I64); false: regression targets (F32)
     */
    public record Format(char delimiter, boolean header, String labelColumn, int labelIndex, boolean classLabels) {
        /** Comma-separated, with a header, the last column a class label. */
        public static Format defaults() {
            return new Format(',', true, null, -1, true);
        }

        public Format withDelimiter(char d) {
            return new Format(d, header, labelColumn, labelIndex, classLabels);
        }

        public Format withHeader(boolean h) {
            return new Format(delimiter, h, labelColumn, labelIndex, classLabels);
        }

        /** The label is the column named {@code name}. */
        public Format withLabel(String name) {
            return new Format(delimiter, header, Objects.requireNonNull(name, "CsvDataset: name is null"), labelIndex, classLabels);
        }

        /** The label is column {@code index} (from 0; negative counts from the end). */
        public Format withLabel(int index) {
            return new Format(delimiter, header, null, index, classLabels);
        }

        /** Labels are regression targets (F32) rather than class indices. */
        public Format withTargets() {
            return new Format(delimiter, header, labelColumn, labelIndex, false);
        }
    }

    private final TensorDataset data;
    private final List<String> featureNames;
    private final String labelName;
    private final int classes;

    private CsvDataset(TensorDataset data, List<String> featureNames, String labelName, int classes) {
        this.data = data;
        this.featureNames = featureNames;
        this.labelName = labelName;
        this.classes = classes;
    }

    /** Reads {@code file} (UTF-8). */
    public static CsvDataset read(Path file, Format format) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(file.toString(), in, format);
        }
    }

    /** Reads CSV text from {@code in}; {@code name} starts every error message. */
    public static CsvDataset read(String name, Reader in, Format format) throws IOException {
        return new CsvParser(name, format).parse(new BufferedReader(in));
    }

    static CsvDataset of(TensorDataset data, List<String> featureNames, String labelName, int classes) {
        return new CsvDataset(data, List.copyOf(featureNames), labelName, classes);
    }

    /** The feature columns' names (from the header, else {@code "column N"} counting from 1), in order. */
    public List<String> featureNames() {
        return featureNames;
    }

    public String labelName() {
        return labelName;
    }

    /** For class labels: the largest label + 1; 0 for regression targets. */
    public int numClasses() {
        return classes;
    }

    @Override
    public int size() {
        return data.size();
    }

    @Override
    public int[] exampleShape() {
        return data.exampleShape();
    }

    @Override
    public DType labelDType() {
        return data.labelDType();
    }

    @Override
    public int[] labelShape() {
        return data.labelShape();
    }

    @Override
    public HostBatch gather(int[] indices, int from, int count) {
        return data.gather(indices, from, count);
    }

    @Override
    public String toString() {
        return "CsvDataset[" + size() + " rows, features " + featureNames + ", label " + labelName + (classes > 0 ? " (" + classes
                + " classes)" : " (target)") + "]";
    }

    /** Splits one line into trimmed fields; quotes per RFC 4180 within the line. */
    static List<String> fields(String line, char delimiter, String where) throws IOException {
        List<String> out = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0;
        int n = line.length();
        while (true) {
            while (i < n && line.charAt(i) == ' ') {
                i++;
            }
            if (i < n && line.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= n) {
                        throw new IOException(where + ": column " + (out.size() + 1) + ": unterminated quoted field (a field cannot span lines)");
                    }
                    char ch = line.charAt(i++);
                    if (ch == '"') {
                        if (i < n && line.charAt(i) == '"') {
                            field.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        field.append(ch);
                    }
                }
                while (i < n && line.charAt(i) == ' ') {
                    i++;
                }
                if (i < n && line.charAt(i) != delimiter) {
                    throw new IOException(where + ": column " + (out.size() + 1) + ": unexpected text after a closing quote");
                }
            } else {
                while (i < n && line.charAt(i) != delimiter) {
                    field.append(line.charAt(i++));
                }
            }
            out.add(field.toString().strip());
            field.setLength(0);
            if (i >= n) {
                return out;
            }
            i++; // the delimiter
        }
    }

    static String describeColumns(List<String> names) {
        return Arrays.toString(names.toArray());
    }
}
