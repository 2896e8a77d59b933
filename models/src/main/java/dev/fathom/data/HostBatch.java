package dev.fathom.data;

import dev.fathom.tensor.Tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * A batch in host memory, before it becomes tensors: F32 features or I64 ids (token ids, say)
 * {@code [N, ...example shape]}, and either class labels {@code long[N]} (I64) or F32 targets
 * {@code [N, ...target shape]}.
 * {@link DataLoader}'s prefetch thread builds these; {@link #toTensors()} runs on the thread that
 * consumes the batch, so the tensors belong to its {@link dev.fathom.tensor.Scope}.
 *
 * @param features    row-major, {@code product(shape)} values, or null when the batch has ids
 * @param ids         row-major I64 features, or null when the batch has F32 features
 * @param shape       {@code [N, ...]}
 * @param classes     class indices, or null when the batch has float targets
 * @param targets     float targets, or null when the batch has class indices
 * @param targetShape {@code [N, ...]} for targets, {@code [N]} for classes
 */
public record HostBatch(float[] features, long[] ids, int[] shape, long[] classes, float[] targets, int[] targetShape) {

    public HostBatch {
        if ((features == null) == (ids == null)) {
            throw new IllegalArgumentException("HostBatch: give exactly one of features (F32) and ids (I64)");
        }
        Objects.requireNonNull(shape, "HostBatch: shape is null");
        Objects.requireNonNull(targetShape, "HostBatch: targetShape is null");
        if ((classes == null) == (targets == null)) {
            throw new IllegalArgumentException("HostBatch: give exactly one of classes and targets");
        }
        if (shape.length < 1 || targetShape.length < 1 || shape[0] != targetShape[0]) {
            throw new IllegalArgumentException("HostBatch: features " + Arrays.toString(shape) + " and labels " + Arrays.toString(targetShape)
                    + " must both start with the batch size");
        }
        int values = features != null ? features.length : ids.length;
        if (values != product(shape) || (classes != null ? classes.length : targets.length) != product(targetShape)) {
            throw new IllegalArgumentException("HostBatch: shapes " + Arrays.toString(shape) + " and " + Arrays.toString(targetShape)
                    + " do not match " + values + " features and " + (classes != null ? classes.length : targets.length) + " labels");
        }
    }

    /** A batch of F32 features. */
    public HostBatch(float[] features, int[] shape, long[] classes, float[] targets, int[] targetShape) {
        this(features, null, shape, classes, targets, targetShape);
    }

    /** The dtype of the features: F32, or I64 for ids. */
    public dev.fathom.tensor.DType featureDType() {
        return features != null ? dev.fathom.tensor.DType.F32 : dev.fathom.tensor.DType.I64;
    }

    /** The number of examples. */
    public int size() {
        return shape[0];
    }

    /** This batch with other F32 features (a transform's output), same labels. */
    public HostBatch withFeatures(float[] newFeatures, int[] newShape) {
        return new HostBatch(newFeatures, newShape, classes, targets, targetShape);
    }

    /** The same values seen as {@code newShape} (as many values), same labels. */
    public HostBatch withShape(int[] newShape) {
        return new HostBatch(features, ids, newShape, classes, targets, targetShape);
    }

    /** The features and labels as tensors on the default device, in the calling thread's current scope. */
    public Batch toTensors() {
        Tensor x = features != null ? Tensor.of(features, shape) : Tensor.of(ids, shape);
        Tensor y = classes != null ? Tensor.of(classes, targetShape) : Tensor.of(targets, targetShape);
        return new Batch(x, y);
    }

    /** {@code [n, ...shape]}: the shape of n examples of {@code shape}. */
    static int[] prepend(int n, int[] shape) {
        int[] s = new int[shape.length + 1];
        s[0] = n;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    static long product(int[] shape) {
        long p = 1;
        for (int d : shape) {
            p *= d;
        }
        return p;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostBatch b && Arrays.equals(features, b.features) && Arrays.equals(ids, b.ids) && Arrays.equals(shape, b.shape)
                && Arrays.equals(classes, b.classes) && Arrays.equals(targets, b.targets) && Arrays.equals(targetShape, b.targetShape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(features), Arrays.hashCode(ids), Arrays.hashCode(shape), Arrays.hashCode(classes), Arrays.hashCode(targets),
                Arrays.hashCode(targetShape));
    }

    @Override
    public String toString() {
        return "HostBatch[" + (ids != null ? "ids " : "features ") + Arrays.toString(shape) + ", " + (classes != null ? "classes" : "targets") + " "
                + Arrays.toString(targetShape) + "]";
    }
}
