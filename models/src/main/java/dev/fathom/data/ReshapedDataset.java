package dev.fathom.data;

import dev.fathom.tensor.DType;

import java.util.Arrays;

/** {@link Dataset#reshape}: the same values under another example shape. */
final class ReshapedDataset implements Dataset {
    private final Dataset base;
    private final int[] exampleShape;

    ReshapedDataset(Dataset base, int[] exampleShape) {
        for (int d : exampleShape) {
            if (d < 1) {
                throw new IllegalArgumentException("Dataset.reshape: sizes must be positive, got " + Arrays.toString(exampleShape));
            }
        }
        if (exampleShape.length == 0 || HostBatch.product(exampleShape) != HostBatch.product(base.exampleShape())) {
            throw new IllegalArgumentException("Dataset.reshape: examples of shape " + Arrays.toString(base.exampleShape()) + " ("
                    + HostBatch.product(base.exampleShape()) + " values) cannot be seen as " + Arrays.toString(exampleShape));
        }
        this.base = base;
        this.exampleShape = exampleShape.clone();
    }

    @Override
    public int size() {
        return base.size();
    }

    @Override
    public int[] exampleShape() {
        return exampleShape.clone();
    }

    @Override
    public DType featureDType() {
        return base.featureDType();
    }

    @Override
    public DType labelDType() {
        return base.labelDType();
    }

    @Override
    public int[] labelShape() {
        return base.labelShape();
    }

    @Override
    public HostBatch gather(int[] indices, int from, int count) {
        HostBatch b = base.gather(indices, from, count);
        return b.withShape(HostBatch.prepend(count, exampleShape));
    }
}
