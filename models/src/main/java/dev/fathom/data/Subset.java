package dev.fathom.data;

import dev.fathom.tensor.DType;

import java.util.Objects;

/**
 * The examples of {@code base} at {@code indices}, in that order (PyTorch's {@code Subset}): what
 * {@link RandomSplit} and {@link KFold} hand out. Copies no data.
 */
public final class Subset implements Dataset {
    private final Dataset base;
    private final int[] indices;

    public Subset(Dataset base, int[] indices) {
        this.base = Objects.requireNonNull(base, "Subset: base is null");
        this.indices = Objects.requireNonNull(indices, "Subset: indices is null").clone();
        Dataset.checkRange("Subset", this.indices, 0, this.indices.length, base.size());
    }

    /** The indices into the base data set (a copy). */
    public int[] indices() {
        return indices.clone();
    }

    public Dataset base() {
        return base;
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public int[] exampleShape() {
        return base.exampleShape();
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
    public HostBatch gather(int[] at, int from, int count) {
        Dataset.checkRange("Subset", at, from, count, indices.length);
        int[] mapped = new int[count];
        for (int i = 0; i < count; i++) {
            mapped[i] = indices[at[from + i]];
        }
        return base.gather(mapped, 0, count);
    }
}
