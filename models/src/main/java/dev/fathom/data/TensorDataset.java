package dev.fathom.data;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * Features and labels given as whole tensors (PyTorch's {@code TensorDataset}): example {@code i}
 * is row {@code i} of each. Features are F32 values or I64 ids (token ids, say) {@code [N, ...]};
 * labels I64 class indices {@code [N]} or F32 targets {@code [N, ...]}.
 *
 * <p>The values are copied to host memory once, at construction: the {@link DataLoader}'s prefetch
 * thread may then read them while the tensors (which are not thread-safe) stay with their owner,
 * and the caller may close them.
 */
public final class TensorDataset implements Dataset {
    private final float[] features;
    private final long[] ids;
    private final int[] exampleShape;
    private final long[] classes;
    private final float[] targets;
    private final int[] labelShape;
    private final int size;

    /** Copies {@code features} and {@code labels} to host memory. */
    public TensorDataset(Tensor features, Tensor labels) {
        Objects.requireNonNull(features, "TensorDataset: features is null");
        Objects.requireNonNull(labels, "TensorDataset: labels is null");
        if (features.dtype() != DType.F32 && features.dtype() != DType.I64) {
            throw new IllegalArgumentException("TensorDataset: features must be F32 values or I64 ids, got " + features.describe()
                    + "; convert with features.to(DType.F32)");
        }
        if (labels.dtype() != DType.I64 && labels.dtype() != DType.F32) {
            throw new IllegalArgumentException("TensorDataset: labels must be I64 class indices or F32 targets, got " + labels.describe()
                    + "; convert with labels.to(DType.I64) or labels.to(DType.F32)");
        }
        if (features.dim() < 2 || labels.dim() < 1 || features.size(0) != labels.size(0)) {
            throw new IllegalArgumentException("TensorDataset: need features [N, ...] with at least one feature dim and labels [N, ...] "
                    + "of the same N, got features " + features.describe() + " and labels " + labels.describe());
        }
        if (labels.dtype() == DType.I64 && labels.dim() != 1) {
            throw new IllegalArgumentException("TensorDataset: class labels must be [N], got " + labels.describe());
        }
        this.size = features.size(0);
        this.features = features.dtype() == DType.F32 ? features.toFloatArray() : null;
        this.ids = features.dtype() == DType.I64 ? features.toLongArray() : null;
        this.exampleShape = Arrays.copyOfRange(features.shape(), 1, features.dim());
        this.labelShape = Arrays.copyOfRange(labels.shape(), 1, labels.dim());
        this.classes = labels.dtype() == DType.I64 ? labels.toLongArray() : null;
        this.targets = labels.dtype() == DType.F32 ? labels.toFloatArray() : null;
        checkClasses();
    }

    private TensorDataset(float[] features, long[] ids, int[] exampleShape, long[] classes, float[] targets, int[] labelShape, int size) {
        this.features = features;
        this.ids = ids;
        this.exampleShape = exampleShape;
        this.classes = classes;
        this.targets = targets;
        this.labelShape = labelShape;
        this.size = size;
        checkClasses();
    }

    /** {@code classes.length} examples of {@code exampleShape} from row-major {@code features} (not copied: don't modify them). */
    public static TensorDataset of(float[] features, int[] exampleShape, long[] classes) {
        int n = classes.length;
        checkFeatures(features.length, exampleShape, n);
        return new TensorDataset(features, null, exampleShape.clone(), classes, null, new int[0], n);
    }

    /** {@code classes.length} examples of I64 ids (token ids, say) of {@code exampleShape} each (not copied: don't modify them). */
    public static TensorDataset ofIds(long[] ids, int[] exampleShape, long[] classes) {
        int n = classes.length;
        checkFeatures(ids.length, exampleShape, n);
        return new TensorDataset(null, ids, exampleShape.clone(), classes, null, new int[0], n);
    }

    /** Examples with F32 targets of {@code targetShape} each (not copied: don't modify the arrays). */
    public static TensorDataset of(float[] features, int[] exampleShape, float[] targets, int... targetShape) {
        long per = HostBatch.product(targetShape);
        if (per < 1 || targets.length % per != 0) {
            throw new IllegalArgumentException("TensorDataset.of: " + targets.length + " targets do not split into examples of shape "
                    + Arrays.toString(targetShape));
        }
        int n = (int) (targets.length / per);
        checkFeatures(features.length, exampleShape, n);
        return new TensorDataset(features, null, exampleShape.clone(), null, targets, targetShape.clone(), n);
    }

    private static void checkFeatures(int values, int[] exampleShape, int n) {
        long per = HostBatch.product(exampleShape);
        if (exampleShape.length == 0 || per < 1 || values != n * per) {
            throw new IllegalArgumentException("TensorDataset.of: " + n + " examples of shape " + Arrays.toString(exampleShape) + " need "
                    + n * per + " feature values, got " + values);
        }
    }

    private void checkClasses() {
        if (classes != null) {
            for (int i = 0; i < classes.length; i++) {
                if (classes[i] < 0) {
                    throw new IllegalArgumentException("TensorDataset: class label " + classes[i] + " of example " + i + " is negative");
                }
            }
        }
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int[] exampleShape() {
        return exampleShape.clone();
    }

    @Override
    public DType featureDType() {
        return ids != null ? DType.I64 : DType.F32;
    }

    @Override
    public DType labelDType() {
        return classes != null ? DType.I64 : DType.F32;
    }

    @Override
    public int[] labelShape() {
        return labelShape.clone();
    }

    @Override
    public HostBatch gather(int[] indices, int from, int count) {
        Dataset.checkRange("TensorDataset", indices, from, count, size);
        return gatherRows(features, ids, exampleShape, classes, targets, labelShape, indices, from, count);
    }

    /** Copies the selected rows of {@code features} or {@code ids}; shared with {@link LabeledData}. Indices must already be checked. */
    static HostBatch gatherRows(float[] features, long[] ids, int[] exampleShape, long[] classes, float[] targets, int[] labelShape,
            int[] indices, int from, int count) {
        int width = (int) HostBatch.product(exampleShape);
        float[] x = features == null ? null : new float[count * width];
        long[] xi = ids == null ? null : new long[count * width];
        for (int i = 0; i < count; i++) {
            if (x != null) {
                System.arraycopy(features, indices[from + i] * width, x, i * width, width);
            } else {
                System.arraycopy(ids, indices[from + i] * width, xi, i * width, width);
            }
        }
        int[] shape = HostBatch.prepend(count, exampleShape);
        int[] yShape = HostBatch.prepend(count, labelShape);
        if (classes != null) {
            long[] y = new long[count];
            for (int i = 0; i < count; i++) {
                y[i] = classes[indices[from + i]];
            }
            return new HostBatch(x, xi, shape, y, null, yShape);
        }
        int k = (int) HostBatch.product(labelShape);
        float[] y = new float[count * k];
        for (int i = 0; i < count; i++) {
            System.arraycopy(targets, indices[from + i] * k, y, i * k, k);
        }
        return new HostBatch(x, xi, shape, null, y, yShape);
    }
}
