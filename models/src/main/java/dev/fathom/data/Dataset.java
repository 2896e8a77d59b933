package dev.fathom.data;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;

/**
 * A finite, indexed set of examples (as PyTorch's map-style {@code Dataset}): features of one
 * fixed {@link #exampleShape()} each, F32 values or I64 ids ({@link #featureDType()}), and a label
 * that is either a class index (I64) or F32 targets of {@link #labelShape()}.
 *
 * <p>Contract: {@link #gather} builds host arrays only, never tensors, and is safe to call from
 * another thread while the data set is otherwise only read (the {@link DataLoader}'s prefetch
 * thread calls it). It returns fresh arrays that the caller may modify. Implementations are
 * immutable after construction.
 */
public interface Dataset {

    /** The number of examples. */
    int size();

    /** The shape of one example's features, e.g. {@code [784]} or {@code [1, 28, 28]}. */
    int[] exampleShape();

    /** {@link DType#F32} for values (the default), {@link DType#I64} for ids such as token ids. */
    default DType featureDType() {
        return DType.F32;
    }

    /** {@link DType#I64} for class indices, {@link DType#F32} for regression targets. */
    DType labelDType();

    /** The shape of one example's label: {@code []} for a class index or one target, {@code [k]} for k targets. */
    int[] labelShape();

    /**
     * The examples {@code indices[from], …, indices[from+count-1]} in host memory, in that order.
     *
     * @throws IndexOutOfBoundsException naming the bad index when one is outside {@code [0, size())}
     */
    HostBatch gather(int[] indices, int from, int count);

    /** The examples at {@code indices} as a batch of tensors on the default device (in the current scope). */
    default Batch batch(int... indices) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("Dataset.batch: no indices given; a batch needs at least one example");
        }
        return gather(indices, 0, indices.length).toTensors();
    }

    /** Example {@code index}: features of {@link #exampleShape()} and a label of {@link #labelShape()} (0-d for a class). */
    default Batch get(int index) {
        HostBatch b = gather(new int[] {index}, 0, 1);
        Tensor x = b.features() != null ? Tensor.of(b.features(), exampleShape()) : Tensor.of(b.ids(), exampleShape());
        int[] ls = labelShape();
        Tensor y = b.classes() != null ? Tensor.scalar(b.classes()[0])
                : ls.length == 0 ? Tensor.scalar(b.targets()[0]) : Tensor.of(b.targets(), ls);
        return new Batch(x, y);
    }

    /** Every class label, in index order; only for data sets with I64 labels. */
    default long[] classLabels() {
        if (labelDType() != DType.I64) {
            throw new IllegalArgumentException("Dataset.classLabels: the labels are " + labelDType() + " targets of shape "
                    + Arrays.toString(labelShape()) + ", not I64 class indices");
        }
        int[] all = new int[size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return all.length == 0 ? new long[0] : gather(all, 0, all.length).classes();
    }

    /**
     * The same examples with features seen as {@code exampleShape} (same number of values, row-major),
     * e.g. {@code reshape(1, 28, 28)} to turn flat Fashion-MNIST rows into images for a CNN. Copies nothing.
     */
    default Dataset reshape(int... exampleShape) {
        return new ReshapedDataset(this, exampleShape);
    }

    /** Checks {@code indices[from..from+count)} against {@code size} and the array; for implementations. */
    static void checkRange(String who, int[] indices, int from, int count, int size) {
        if (from < 0 || count < 0 || from > indices.length - count) {
            throw new IndexOutOfBoundsException(who + ".gather: positions [" + from + ", " + ((long) from + count)
                    + ") are outside the index array of length " + indices.length);
        }
        for (int i = from; i < from + count; i++) {
            if (indices[i] < 0 || indices[i] >= size) {
                throw new IndexOutOfBoundsException(who + ".gather: index " + indices[i] + " (at position " + i + ") is outside [0, " + size
                        + ")");
            }
        }
    }
}
