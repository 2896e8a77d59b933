package dev.fathom.cuda;

import dev.fathom.spi.Strided;
import dev.fathom.tensor.Shape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The by-value operand descriptor of the own kernels, {@code struct StridedDesc} in
 * {@code fathom_kernels.cuh}: {@code int rank; int pad; long long offset; long long sizes[8];
 * long long strides[8]} — 144 little-endian bytes, packed here byte by byte so that the layout
 * is explicit (a test compiles the header and checks it field by field).
 */
final class StridedDesc {
    /** The largest rank a kernel accepts ({@code FATHOM_MAX_RANK}). */
    static final int MAX_RANK = 8;
    /** {@code sizeof(StridedDesc)}. */
    static final int BYTES = 16 + 16 * MAX_RANK;

    private StridedDesc() {
    }

    /** The descriptor of {@code s}'s layout (its buffer is passed separately, as a pointer). */
    static byte[] pack(Strided s) {
        return pack(s.shape(), s.strides(), s.offset());
    }

    static byte[] pack(int[] shape, long[] strides, long offset) {
        if (shape.length > MAX_RANK) {
            throw new IllegalArgumentException("cuda: the kernels take tensors of at most " + MAX_RANK + " dims, got shape "
                    + Shape.format(shape) + "; reshape (merge dims) first");
        }
        if (strides.length != shape.length) {
            throw new IllegalArgumentException("cuda: " + strides.length + " strides for shape " + Shape.format(shape));
        }
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(shape.length).putInt(0).putLong(offset);
        for (int d = 0; d < MAX_RANK; d++) {
            b.putLong(d < shape.length ? shape[d] : 1);
        }
        for (int d = 0; d < MAX_RANK; d++) {
            b.putLong(d < shape.length ? strides[d] : 0);
        }
        return b.array();
    }
}
