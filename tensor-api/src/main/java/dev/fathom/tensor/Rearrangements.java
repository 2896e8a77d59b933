package dev.fathom.tensor;

import java.util.Arrays;

/**
 * Copies that move or mask elements without arithmetic on them: flip, roll, repeat, the
 * triangles tril and triu, and the running sum cumsum. Each is a composite of ops the backends
 * already have (gather, cat, expand, where, add), so it runs on every backend and its gradient
 * comes from autograd through them; index and mask tensors are built on the host and uploaded to
 * the input's device.
 */
final class Rearrangements {
    private Rearrangements() {
    }

    /** {@code torch.flip}: the order of {@code dims} reversed (a copy). */
    static Tensor flip(Tensor x, int[] dims) {
        Ops.open("flip", x);
        java.util.Objects.requireNonNull(dims, "flip: dims is null; name the dims to reverse");
        if (dims.length == 0) {
            throw new IllegalArgumentException("flip: no dims given for shape " + Shape.format(x.shape) + "; name the dims to reverse, e.g. flip(-1)");
        }
        int[] ds = Shape.dims("flip", dims, x.shape);
        if (ds.length == 0) {
            return x.clone();   // a 0-d tensor has one element
        }
        return Scope.intermediates(() -> {
            Tensor out = x;
            for (int d : ds) {
                int n = x.shape[d];
                long[] reversed = new long[n];
                for (int i = 0; i < n; i++) {
                    reversed[i] = n - 1 - i;
                }
                out = Indexing.indexSelect(out, d, Factories.upload(reversed, n, DType.I64, x.device(), new int[] {n}));
            }
            return out;
        });
    }

    /**
     * {@code torch.roll}: elements of each of {@code dims} shifted by its entry of {@code shifts}
     * (positive towards higher indices), wrapping around; with no dims, over the flattened tensor.
     */
    static Tensor roll(Tensor x, int[] shifts, int[] dims) {
        Ops.open("roll", x);
        java.util.Objects.requireNonNull(shifts, "roll: shifts is null");
        java.util.Objects.requireNonNull(dims, "roll: dims is null; pass no dims to roll the flattened tensor");
        if (dims.length == 0) {
            if (shifts.length != 1) {
                throw new IllegalArgumentException("roll: without dims, one shift rolls the flattened tensor; got " + shifts.length + " shifts "
                        + Arrays.toString(shifts));
            }
            return Scope.intermediates(() -> rollDim(x.reshape(-1), shifts[0], 0).reshape(x.shape));
        }
        if (shifts.length != dims.length) {
            throw new IllegalArgumentException("roll: " + shifts.length + " shifts " + Arrays.toString(shifts) + " for " + dims.length + " dims "
                    + Arrays.toString(dims) + "; give one shift per dim");
        }
        int[] ds = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            ds[i] = Shape.dim("roll", dims[i], x.shape);
        }
        return Scope.intermediates(() -> {
            Tensor out = x;
            for (int i = 0; i < ds.length; i++) {
                out = rollDim(out, shifts[i], ds[i]);
            }
            return out == x ? x.clone() : out;
        });
    }

    private static Tensor rollDim(Tensor x, int shift, int d) {
        int n = x.shape[d];
        int s = n == 0 ? 0 : Math.floorMod(shift, n);
        if (s == 0) {
            return x;
        }
        return Views.cat(d, new Tensor[] {Views.narrow(x, d, n - s, s), Views.narrow(x, d, 0, n - s)});
    }

    /** {@code torch.Tensor.repeat}: the tensor tiled {@code repeats[i]} times along dim i; extra leading repeats add dims. */
    static Tensor repeat(Tensor x, int[] repeats) {
        Ops.open("repeat", x);
        java.util.Objects.requireNonNull(repeats, "repeat: repeats is null");
        if (repeats.length < x.shape.length) {
            throw new IllegalArgumentException("repeat: " + repeats.length + " repeats " + Arrays.toString(repeats) + " for shape "
                    + Shape.format(x.shape) + "; give at least one per dim (" + x.shape.length + ")");
        }
        for (int r : repeats) {
            if (r < 0) {
                throw new IllegalArgumentException("repeat: repeats must be >= 0, got " + Arrays.toString(repeats));
            }
        }
        int rank = repeats.length;
        int[] padded = new int[rank];
        Arrays.fill(padded, 1);
        System.arraycopy(x.shape, 0, padded, rank - x.shape.length, x.shape.length);
        // [r0, s0, r1, s1, …]: x broadcast along the r's, then each pair merged.
        int[] interleaved = new int[2 * rank], source = new int[2 * rank], out = new int[rank];
        for (int i = 0; i < rank; i++) {
            interleaved[2 * i] = repeats[i];
            interleaved[2 * i + 1] = padded[i];
            source[2 * i] = 1;
            source[2 * i + 1] = padded[i];
            out[i] = Math.multiplyExact(repeats[i], padded[i]);
        }
        Shape.check("repeat", out);
        return Scope.intermediates(() -> {
            Tensor tiled = x.reshape(source).expand(interleaved).reshape(out);
            return tiled.sharesStorageWith(x) ? tiled.clone() : tiled;   // a copy always, as in PyTorch
        });
    }

    /** {@code torch.tril} ({@code lower}) or {@code torch.triu}: the matrices of the last two dims with the other triangle zeroed. */
    static Tensor triangle(Tensor x, int diagonal, boolean lower) {
        String op = lower ? "tril" : "triu";
        Ops.open(op, x);
        if (x.shape.length < 2) {
            throw new IllegalArgumentException(op + ": needs a matrix or a batch of matrices (at least 2 dims), got shape " + Shape.format(x.shape));
        }
        int rows = x.shape[x.shape.length - 2], cols = x.shape[x.shape.length - 1];
        boolean[] keep = new boolean[Math.multiplyExact(rows, cols)];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                long above = (long) j - i;   // the diagonal's offset of (i, j)
                keep[i * cols + j] = lower ? above <= diagonal : above >= diagonal;
            }
        }
        return Scope.intermediates(() -> Elementwise.where(Factories.upload(keep, keep.length, DType.BOOL, x.device(), new int[] {rows, cols}), x, 0,
                false));
    }

    /**
     * {@code torch.cumsum}: the running sums along {@code dim} (BOOL counts as I64). Hillis and
     * Steele's scan: log2(n) shifted adds, so each output sums its inputs in a tree of depth
     * log2(n), as a pairwise sum does.
     */
    static Tensor cumsum(Tensor x, int dim) {
        Ops.open("cumsum", x);
        int d = x.shape.length == 0 ? Shape.dim("cumsum", dim, 1, x.shape) : Shape.dim("cumsum", dim, x.shape);
        return Scope.intermediates(() -> {
            Tensor out = x.dtype() == DType.BOOL ? x.to(DType.I64) : x;
            if (x.shape.length == 0) {
                return out == x ? x.clone() : out;
            }
            int n = x.shape[d];
            if (n <= 1) {
                return out == x ? x.clone() : out;
            }
            for (int s = 1; s < n; s <<= 1) {
                int[] zerosShape = x.shape.clone();
                zerosShape[d] = s;
                Tensor shifted = Views.cat(d, new Tensor[] {Factories.full(0, out.dtype(), x.device(), zerosShape), Views.narrow(out, d, 0, n - s)});
                out = out.add(shifted);
            }
            return out;
        });
    }
}
