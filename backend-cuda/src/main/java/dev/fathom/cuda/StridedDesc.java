package dev.fathom.cuda;

import dev.fathom.spi.Strided;

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

    /**
     * The descriptors of the operands of one elementwise launch, which all have one shape, with
     * the dims that every operand steps through as one merged into one: size-1 dims are dropped,
     * and dim d joins the dim after it when, in every operand, its stride is that dim's stride times
     * its size. Contiguous operands (and any mix of them with scalars broadcast by stride 0) then
     * arrive as rank 1, which {@code fathom_offset} addresses without a division; a bias broadcast
     * over the rows of a matrix stays rank 2. The flat row-major index of every element is
     * unchanged, so the kernels need not know.
     */
    static byte[][] packCoalesced(Strided... operands) {
        int[] shape = operands[0].shape();
        int r = shape.length, n = operands.length;
        long[] sizes = new long[r];
        long[][] strides = new long[n][r];
        int kept = 0;  // dims kept so far, innermost first
        for (int d = r - 1; d >= 0; d--) {
            if (shape[d] == 1) {
                continue;
            }
            boolean merge = kept > 0;
            for (int o = 0; o < n && merge; o++) {
                merge = operands[o].strides()[d] == strides[o][kept - 1] * sizes[kept - 1];
            }
            if (merge) {
                sizes[kept - 1] *= shape[d];
                continue;
            }
            sizes[kept] = shape[d];
            for (int o = 0; o < n; o++) {
                strides[o][kept] = operands[o].strides()[d];
            }
            kept++;
        }
        long[] outerFirst = new long[kept];
        for (int k = 0; k < kept; k++) {
            outerFirst[k] = sizes[kept - 1 - k];
        }
        byte[][] descs = new byte[n][];
        for (int o = 0; o < n; o++) {
            long[] st = new long[kept];
            for (int k = 0; k < kept; k++) {
                st[k] = strides[o][kept - 1 - k];
            }
            descs[o] = pack(outerFirst, st, operands[o].offset());
        }
        return descs;
    }

    static byte[] pack(int[] shape, long[] strides, long offset) {
        long[] sizes = new long[shape.length];
        for (int d = 0; d < shape.length; d++) {
            sizes[d] = shape[d];
        }
        return pack(sizes, strides, offset);
    }

    private static byte[] pack(long[] shape, long[] strides, long offset) {
        if (shape.length > MAX_RANK) {
            throw new IllegalArgumentException("cuda: the kernels take tensors of at most " + MAX_RANK + " dims, got shape "
                    + java.util.Arrays.toString(shape) + "; reshape (merge dims) first");
        }
        if (strides.length != shape.length) {
            throw new IllegalArgumentException("cuda: " + strides.length + " strides for shape " + java.util.Arrays.toString(shape));
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
