package dev.fathom.tensor;

/**
 * The element types of a tensor. Ops never promote between them: mixing dtypes is an error
 * that says which conversion ({@link Tensor#to(DType)}) to apply.
 */
public enum DType {
    /** 32-bit IEEE float; the default for data and parameters. */
    F32(4, true),
    /** 64-bit IEEE float; for references, gradcheck and numerically delicate work. */
    F64(8, true),
    /** 64-bit signed integer; for indices, labels and counts. */
    I64(8, false),
    /** Boolean; for masks and the results of comparisons. */
    BOOL(1, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** True for F32 and F64: the dtypes that carry gradients. */
    public boolean isFloating() {
        return floating;
    }
}
