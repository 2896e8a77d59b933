package dev.fathom.spi;

import java.util.Arrays;

/**
 * A buffer seen through a layout: element {@code (i0, i1, ...)} is at
 * {@code offset + i0*strides[0] + i1*strides[1] + ...} (strides in elements; 0 for broadcast
 * dims). The arrays are never modified by a kernel, and callers hand over arrays they will not
 * modify either, so no copies are made.
 */
public record Strided(Buffer buffer, int[] shape, long[] strides, long offset) {

    /** A contiguous row-major view of the first {@code numel(shape)} elements of {@code buffer}. */
    public static Strided contiguous(Buffer buffer, int... shape) {
        return new Strided(buffer, shape, contiguousStrides(shape), 0);
    }

    public static long[] contiguousStrides(int[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= Math.max(shape[d], 1);
        }
        return s;
    }

    public int rank() {
        return shape.length;
    }

    public long numel() {
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        return n;
    }

    /** True when the elements are laid out row-major without gaps (size-1 dims may have any stride). */
    public boolean isContiguous() {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) {
                return false;
            }
            expected *= Math.max(shape[d], 1); // as contiguousStrides: an empty tensor's own layout is contiguous
        }
        return true;
    }

    @Override
    public String toString() {
        return "Strided[" + buffer.dtype() + " shape=" + Arrays.toString(shape) + " strides=" + Arrays.toString(strides)
                + " offset=" + offset + "]";
    }
}
