package dev.fathom.data;

import dev.fathom.tensor.DType;

import java.util.Objects;

/**
 * A classification data set in host memory: {@code count} examples of {@code width} F32
 * features each, with labels in {@code [0, classes)}.
 *
 * @param features row-major {@code (count, width)}
 * <p>As a {@link Dataset} its examples have shape {@code [width]} and I64 labels; use
 * {@link #reshape} to see them as images.
 *
 * @param labels   {@code (count)}
 */
public record LabeledData(float[] features, long[] labels, int count, int width, int classes) implements Dataset {

    public LabeledData {
        Objects.requireNonNull(features, "LabeledData: features is null");
        Objects.requireNonNull(labels, "LabeledData: labels is null");
        if (count < 0 || width < 1 || classes < 1) {
            throw new IllegalArgumentException("LabeledData: need count >= 0, width >= 1, classes >= 1, got count=" + count + " width="
                    + width + " classes=" + classes);
        }
        if (features.length != (long) count * width || labels.length != count) {
            throw new IllegalArgumentException("LabeledData: " + count + " examples of width " + width + " need " + (long) count * width
                    + " features and " + count + " labels, got " + features.length + " and " + labels.length);
        }
        for (int i = 0; i < count; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("LabeledData: label " + labels[i] + " of example " + i + " is outside [0, " + classes + ")");
            }
        }
    }

    /** The first {@code n} examples (a view of the same arrays when {@code n == count}). */
    public LabeledData head(int n) {
        if (n < 0 || n > count) {
            throw new IllegalArgumentException("LabeledData.head: n must be in [0, " + count + "], got " + n);
        }
        if (n == count) {
            return this;
        }
        return new LabeledData(java.util.Arrays.copyOf(features, n * width), java.util.Arrays.copyOf(labels, n), n, width, classes);
    }

    /** The examples {@code order[from], …, order[from+size-1]} as tensors on the default device. */
    public Batch batch(int[] order, int from, int size) {
        if (from < 0 || size < 1 || from + size > order.length) {
            throw new IllegalArgumentException("LabeledData.batch: rows [" + from + ", " + (from + size) + ") are outside the order of length "
                    + order.length);
        }
        return gather(order, from, size).toTensors();
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public int[] exampleShape() {
        return new int[] {width};
    }

    @Override
    public DType labelDType() {
        return DType.I64;
    }

    @Override
    public int[] labelShape() {
        return new int[0];
    }

    @Override
    public HostBatch gather(int[] indices, int from, int n) {
        Dataset.checkRange("LabeledData", indices, from, n, count);
        return TensorDataset.gatherRows(features, null, exampleShape(), labels, null, labelShape(), indices, from, n);
    }

    @Override
    public long[] classLabels() {
        return labels.clone();
    }

    /** {@code 0, 1, …, count-1}: the order of an unshuffled pass. */
    public int[] identityOrder() {
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        return order;
    }
}
