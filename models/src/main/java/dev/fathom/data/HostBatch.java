package dev.fathom.data;

import dev.fathom.tensor.Tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * A batch in host memory, before it becomes tensors: F32 features {@code [N, ...example shape]}
 * and either class labels {@code long[N]} (I64) or F32 targets {@code [N, ...target shape]}.
 * {@link DataLoader}'s prefetch thread builds these; {@link #toTensors()} runs on the thread that
 * consumes the batch, so the tensors belong to its {@link dev.fathom.tensor.Scope}.
 *
 * @param features    row-major, {@code product(shape)} values
 * @param shape       {@code [N, ...]}
 * @param classes     class indices, or null when the batch has float targets
 * @param targets     float targets, or null when the batch has class indices
 * @param targetShape {@code [N, ...]} for targets, {@code [N]} for classes
 */
public record HostBatch(float[] features, int[] shape, long[] classes, float[] targets, int[] targetShape) {

    public HostBatch {
        Objects.requireNonNull(features, "HostBatch: features is null");
        Objects.requireNonNull(shape, "HostBatch: shape is null");
        Objects.requireNonNull(targetShape, "HostBatch: targetShape is null");
        if ((classes == null) == (targets == null)) {
            throw new IllegalArgumentException("HostBatch: give exactly one of classes and targets");
        }
        if (shape.length < 1 || targetShape.length < 1 || shape[0] != targetShape[0]) {
            throw new IllegalArgumentException("HostBatch: features " + Arrays.toString(shape) + " and labels " + Arrays.toString(targetShape)
                    + " must both start with the batch size");
        }
        if (features.length != product(shape) || (classes != null ? classes.length : targets.length) != product(targetShape)) {
            throw new IllegalArgumentException("HostBatch: shapes " + Arrays.toString(shape) + " and " + Arrays.toString(targetShape)
                    + " do not match " + features.length + " features and " + (classes != null ? classes.length : targets.length) + " labels");
        }
    }

    /** The number of examples. */
    public int size() {
        return shape[0];
    }

    /** This batch with other features (a transform's output), same labels. */
    public HostBatch withFeatures(float[] newFeatures, int[] newShape) {
        return new HostBatch(newFeatures, newShape, classes, targets, targetShape);
    }

    /** The features and labels as tensors on the default device, in the calling thread's current scope. */
    public Batch toTensors() {
        Tensor x = Tensor.of(features, shape);
        Tensor y = classes != null ? Tensor.of(classes, targetShape) : Tensor.of(targets, targetShape);
        return new Batch(x, y);
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
        return o instanceof HostBatch b && Arrays.equals(features, b.features) && Arrays.equals(shape, b.shape)
                && Arrays.equals(classes, b.classes) && Arrays.equals(targets, b.targets) && Arrays.equals(targetShape, b.targetShape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(features), Arrays.hashCode(shape), Arrays.hashCode(classes), Arrays.hashCode(targets),
                Arrays.hashCode(targetShape));
    }

    @Override
    public String toString() {
        return "HostBatch[features " + Arrays.toString(shape) + ", " + (classes != null ? "classes" : "targets") + " "
                + Arrays.toString(targetShape) + "]";
    }
}
