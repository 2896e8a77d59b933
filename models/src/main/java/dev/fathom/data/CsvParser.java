package dev.fathom.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads the rows of a {@link CsvDataset}; one instance per file. */
final class CsvParser {
    private final String name;
    private final CsvDataset.Format format;
    private List<String> names;
    private int headerLine;
    private int label;
    private float[] features = new float[1024];
    private int featureCount;
    private long[] classes = new long[256];
    private float[] targets = new float[256];
    private int rows;

    CsvParser(String name, CsvDataset.Format format) {
        this.name = name;
        this.format = format;
    }

    CsvDataset parse(BufferedReader in) throws IOException {
        String line;
        int lineNo = 0;
        while ((line = in.readLine()) != null) {
            lineNo++;
            if (lineNo == 1 && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            if (line.isBlank()) {
                continue;
            }
            String where = name + ":" + lineNo;
            List<String> fields = CsvDataset.fields(line, format.delimiter(), where);
            if (names == null) {
                start(fields, lineNo, where);
                if (format.header()) {
                    continue;
                }
            }
            row(fields, where);
        }
        if (names == null) {
            throw new IOException(name + ": the file is empty; expected " + (format.header() ? "a header and " : "") + "rows of numbers");
        }
        if (rows == 0) {
            throw new IOException(name + ": no data rows after the header on line " + headerLine);
        }
        int width = names.size() - 1;
        List<String> featureNames = new ArrayList<>(names);
        String labelName = featureNames.remove(label);
        float[] x = Arrays.copyOf(features, rows * width);
        TensorDataset data;
        int numClasses = 0;
        if (format.classLabels()) {
            long[] y = Arrays.copyOf(classes, rows);
            for (long c : y) {
                numClasses = (int) Math.max(numClasses, c + 1);
            }
            data = TensorDataset.of(x, new int[] {width}, y);
        } else {
            data = TensorDataset.of(x, new int[] {width}, Arrays.copyOf(targets, rows));
        }
        return CsvDataset.of(data, featureNames, labelName, numClasses);
    }

    /** Fixes the columns from the first row (a header, or the first data row). */
    private void start(List<String> fields, int lineNo, String where) throws IOException {
        headerLine = lineNo;
        if (fields.size() < 2) {
            throw new IOException(where + ": found " + fields.size() + " column; a data set needs at least one feature and a label"
                    + (format.delimiter() != ',' ? "" : " (is the delimiter ',' right?)"));
        }
        names = new ArrayList<>(fields.size());
        for (int c = 0; c < fields.size(); c++) {
            names.add(format.header() ? fields.get(c) : "column " + (c + 1));
        }
        if (format.labelColumn() != null) {
            if (!format.header()) {
                throw new IOException(name + ": the label column is given by name (\"" + format.labelColumn()
                        + "\") but the format has no header; give its index instead");
            }
            label = names.indexOf(format.labelColumn());
            if (label < 0) {
                throw new IOException(where + ": no column named \"" + format.labelColumn() + "\" for the label; the header has "
                        + CsvDataset.describeColumns(names));
            }
            if (names.lastIndexOf(format.labelColumn()) != label) {
                throw new IOException(where + ": the header names two columns \"" + format.labelColumn() + "\"; give the label's index");
            }
        } else {
            int i = format.labelIndex();
            label = i < 0 ? names.size() + i : i;
            if (label < 0 || label >= names.size()) {
                throw new IOException(where + ": label column index " + i + " is outside the " + names.size() + " columns");
            }
        }
    }

    private void row(List<String> fields, String where) throws IOException {
        if (fields.size() != names.size()) {
            throw new IOException(where + ": " + fields.size() + " fields, expected " + names.size() + " (as on line " + headerLine + ")");
        }
        int width = names.size() - 1;
        if ((long) (rows + 1) * width > Integer.MAX_VALUE - 16) {
            throw new IOException(where + ": too many values for one array (over 2^31)");
        }
        if (featureCount + width > features.length) {
            features = Arrays.copyOf(features, Math.max(featureCount + width, (int) Math.min(Integer.MAX_VALUE - 16, 2L * features.length)));
        }
        if (rows == classes.length) {
            classes = Arrays.copyOf(classes, 2 * rows);
            targets = Arrays.copyOf(targets, 2 * rows);
        }
        for (int c = 0; c < fields.size(); c++) {
            double v = number(fields.get(c), where, c);
            if (c == label) {
                if (format.classLabels()) {
                    if (v < 0 || v != Math.rint(v) || v > Integer.MAX_VALUE - 1) {
                        throw new IOException(cell(where, c) + ": class label \"" + fields.get(c) + "\" is not a non-negative integer"
                                + "; for regression targets use Format.withTargets()");
                    }
                    classes[rows] = (long) v;
                } else {
                    targets[rows] = toFloat(v, fields.get(c), where, c);
                }
            } else {
                features[featureCount++] = toFloat(v, fields.get(c), where, c);
            }
        }
        rows++;
    }

    private double number(String field, String where, int column) throws IOException {
        if (field.isEmpty()) {
            throw new IOException(cell(where, column) + ": empty field (missing values are not supported; fill or drop the row)");
        }
        double v;
        try {
            // Double.parseDouble alone would also take "1f", "2d" and hex floats, which a CSV number never is.
            if (!isDecimal(field)) {
                throw new NumberFormatException(field);
            }
            v = Double.parseDouble(field);
        } catch (NumberFormatException e) {
            throw new IOException(cell(where, column) + ": \"" + field + "\" is not a number");
        }
        if (!Double.isFinite(v)) {
            throw new IOException(cell(where, column) + ": \"" + field + "\" is not a finite number");
        }
        return v;
    }

    private static boolean isDecimal(String s) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (!(ch >= '0' && ch <= '9' || ch == '.' || ch == '-' || ch == '+' || ch == 'e' || ch == 'E')) {
                return false;
            }
        }
        return true;
    }

    private float toFloat(double v, String field, String where, int column) throws IOException {
        float f = (float) v;
        if (Float.isInfinite(f)) {
            throw new IOException(cell(where, column) + ": \"" + field + "\" is outside the F32 range");
        }
        return f;
    }

    private String cell(String where, int column) {
        return where + ", column " + (column + 1) + " (\"" + names.get(column) + "\")";
    }
}
