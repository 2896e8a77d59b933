package dev.fathom.tensor;

import java.util.Arrays;

/**
 * Shape arithmetic shared by every op: broadcasting (NumPy's rules exactly), dim normalization
 * (negative dims count from the end), element counts and row-major strides. Shapes are plain
 * {@code int[]}; these functions never modify their arguments.
 */
public final class Shape {
    private Shape() {
    }

    /**
     * Number of elements; 1 for a 0-d shape, 0 when any dim is 0.
     *
     * @throws ArithmeticException when the count is beyond a long (no tensor can have such a shape:
     *     {@link #check} refuses it)
     */
    public static long numel(int[] shape) {
        for (int s : shape) {
            if (s == 0) {
                return 0;
            }
        }
        long n = 1;
        for (int s : shape) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    /** {@code "[2, 3]"}, as error messages print shapes. */
    public static String format(int[] shape) {
        return Arrays.toString(shape);
    }

    /** Row-major strides in elements. */
    public static long[] contiguousStrides(int[] shape) {
        return dev.fathom.spi.Strided.contiguousStrides(shape);
    }

    /**
     * A matrix stored transposed: 2-D, both dims above 1, column after column with no gaps (the
     * layout of {@code W.t()} for a contiguous W).
     */
    public static boolean columnMajor(int[] shape, long[] strides) {
        return shape.length == 2 && shape[0] > 1 && shape[1] > 1 && strides[0] == 1 && strides[1] == shape[0];
    }

    /**
     * The broadcast shape of {@code a} and {@code b}: align on the right; each pair of sizes must be
     * equal or one of them 1. Throws naming {@code op}, both shapes and the failing dim.
     */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da == db || db == 1) {
                out[i] = da;
            } else if (da == 1) {
                out[i] = db;
            } else {
                throw new IllegalArgumentException(op + ": shapes " + format(a) + " and " + format(b)
                        + " cannot be broadcast: size " + da + " vs " + db + " at dim " + (i - rank)
                        + " (sizes must match or be 1)");
            }
        }
        return out;
    }

    /** Normalizes {@code dim} in {@code [-rank, rank)} to {@code [0, rank)}; throws naming op and shape. */
    public static int dim(String op, int dim, int[] shape) {
        return dim(op, dim, shape.length, shape);
    }

    /** As {@link #dim(String, int, int[])} for a rank that may differ from the shape's (unsqueeze allows rank+1). */
    static int dim(String op, int dim, int rank, int[] shape) {
        if (dim < -rank || dim >= rank) {
            String range = rank == 0 ? "none (the tensor is 0-d)" : "[" + (-rank) + ", " + (rank - 1) + "]";
            throw new IllegalArgumentException(op + ": dim " + dim + " is out of range for shape " + format(shape)
                    + "; valid dims are " + range);
        }
        return dim < 0 ? dim + rank : dim;
    }

    /**
     * Normalizes and sorts dims; rejects duplicates. An empty array means every dim. A 0-d shape
     * takes dim 0 (or -1) as PyTorch does, meaning its one element: the result is empty, every dim.
     */
    public static int[] dims(String op, int[] dims, int[] shape) {
        java.util.Objects.requireNonNull(dims, () -> op + ": dims is null; pass no dims to reduce over all of them");
        if (shape.length == 0) {
            for (int d : dims) {
                dim(op, d, 1, shape);
            }
            if (dims.length > 1) {
                throw new IllegalArgumentException(op + ": dim 0 appears more than once in " + Arrays.toString(dims) + " for the 0-d shape []");
            }
            return new int[0];
        }
        if (dims.length == 0) {
            int[] all = new int[shape.length];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] out = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            out[i] = dim(op, dims[i], shape);
        }
        Arrays.sort(out);
        for (int i = 1; i < out.length; i++) {
            if (out[i] == out[i - 1]) {
                throw new IllegalArgumentException(op + ": dim " + out[i] + " appears more than once in " + Arrays.toString(dims)
                        + " for shape " + format(shape));
            }
        }
        return out;
    }

    /** Validates a user-given shape: no negative sizes. */
    static int[] check(String op, int[] shape) {
        java.util.Objects.requireNonNull(shape, () -> op + ": the shape is null");
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException(op + ": negative size in shape " + format(shape));
            }
        }
        count(op, shape);
        return shape.clone();
    }

    /** The elements of a shape of non-negative sizes, refusing more than a tensor can hold (8·2^31). */
    static long count(String op, int[] shape) {
        long n;
        try {
            n = numel(shape);
        } catch (ArithmeticException e) {
            n = Long.MAX_VALUE;
        }
        if (n > MAX_ELEMENTS) {
            throw new IllegalArgumentException(op + ": shape " + format(shape) + " has too many elements ("
                    + (n == Long.MAX_VALUE ? "more than 2^63" : n) + "; at most " + MAX_ELEMENTS + ")");
        }
        return n;
    }

    private static final long MAX_ELEMENTS = Integer.MAX_VALUE * 8L;
}
