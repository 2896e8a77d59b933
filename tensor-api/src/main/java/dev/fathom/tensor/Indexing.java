package dev.fathom.tensor;

import dev.fathom.autograd.Autograd;

/** indexSelect, gather and scatterAdd, all on the gather/scatter-add kernels. */
final class Indexing {
    private Indexing() {
    }

    static void indexType(String op, Tensor index) {
        if (index.dtype() != DType.I64) {
            throw new IllegalArgumentException(op + ": indices must be I64, got " + index.describe() + "; convert with .to(DType.I64)");
        }
    }

    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        Ops.open("indexSelect", x, index);
        Ops.sameDevice("indexSelect", x, index);
        indexType("indexSelect", index);
        if (index.shape.length > 1) {
            throw new IllegalArgumentException("indexSelect: index must be 0-d or 1-D, got shape " + Shape.format(index.shape));
        }
        if (x.shape.length == 0) {
            throw new IllegalArgumentException("indexSelect: cannot index a 0-d tensor");
        }
        int d = Shape.dim("indexSelect", dim, x.shape);
        int n = (int) index.numel();
        int[] shape = x.shape.clone();
        shape[d] = n;
        // The 1-D index, placed on dim d and broadcast over the others, is a gather index.
        int[] ishape = new int[x.shape.length];
        java.util.Arrays.fill(ishape, 1);
        ishape[d] = n;
        return Scope.intermediates(() -> {
            Tensor idx;
            try (var g = Autograd.noGrad()) {
                idx = index.reshape(ishape).expand(shape);
            }
            return gather(x, d, idx, "indexSelect", index);
        });
    }

    static Tensor gather(Tensor x, int dim, Tensor index) {
        return gather(x, dim, index, "gather", index);
    }

    /** The gather of {@code op}; an out-of-range index is reported with {@code userIndex}, the index the caller passed. */
    private static Tensor gather(Tensor x, int dim, Tensor index, String op, Tensor userIndex) {
        Ops.open(op, x, index);
        Ops.sameDevice(op, x, index);
        indexType(op, index);
        int d = Shape.dim(op, dim, x.shape);
        if (index.shape.length != x.shape.length) {
            throw new IllegalArgumentException(op + ": index of shape " + Shape.format(index.shape) + " must have the rank of the input "
                    + Shape.format(x.shape));
        }
        for (int k = 0; k < x.shape.length; k++) {
            if (k != d && index.shape[k] > x.shape[k]) {
                throw new IllegalArgumentException(op + ": index of shape " + Shape.format(index.shape) + " is larger than the input "
                        + Shape.format(x.shape) + " at dim " + k);
            }
        }
        Tensor out = Ops.empty(x.dtype(), x.device(), index.shape.clone());
        try {
            Ops.kernels(x.device()).gather(Ops.strided(x), d, Ops.strided(index), Ops.strided(out));
        } catch (IndexOutOfBoundsException e) {
            out.close();
            throw outOfRange(op, x, d, userIndex, e);
        }
        int[] inShape = x.shape;
        return Ops.record(op, out, new Tensor[] {x}, new Tensor[] {index},
                g -> new Tensor[] {Autograd.isGradEnabled() ? Tensor.zeros(g.dtype(), g.device(), inShape).scatterAdd(d, index, g)
                        : scatteredIntoZeros(inShape, d, index, g)});
    }

    /**
     * A backend's report of an index beyond its dim (the kernels check while they run, so no pass
     * of their own precedes them), with the op the caller called and the operands' shapes. A GPU
     * reports at the next synchronization instead, through its own message.
     */
    private static IndexOutOfBoundsException outOfRange(String op, Tensor x, int dim, Tensor index, IndexOutOfBoundsException e) {
        var wrapped = new IndexOutOfBoundsException(op + ": an index is out of range for dim " + dim + " of the input " + x.describe()
                + " (index " + index.describe() + "); indices must be in [0, " + x.shape[dim] + "); the backend found: " + e.getMessage());
        wrapped.initCause(e);
        return wrapped;
    }

    /**
     * Zeros of {@code shape} with {@code src} scatter-added at {@code index} along {@code d}: the
     * gradient of a gather when no graph is recorded, added into fresh zeros directly, where the
     * recorded {@link #scatterAdd} copies its input first (an embedding table's worth of bytes per
     * step, for an embedding's gradient). The indices were checked by the gather.
     */
    private static Tensor scatteredIntoZeros(int[] shape, int d, Tensor index, Tensor src) {
        Tensor out = Tensor.zeros(src.dtype(), src.device(), shape);
        Ops.kernels(src.device()).scatterAdd(Ops.strided(src), d, Ops.strided(index), Ops.strided(out));
        return out;
    }

    static Tensor scatterAdd(Tensor x, int dim, Tensor index, Tensor src) {
        int d = checkScatter("scatterAdd", x, dim, index, src);
        Tensor out;
        try (var g = Autograd.noGrad()) {
            out = Conversions.copy(x);
        }
        try {
            Ops.kernels(x.device()).scatterAdd(Ops.strided(src), d, Ops.strided(index), Ops.strided(out));
        } catch (IndexOutOfBoundsException e) {
            out.close();
            throw outOfRange("scatterAdd", x, d, index, e);
        }
        return Ops.record("scatterAdd", out, new Tensor[] {x, src}, new Tensor[] {index},
                g -> new Tensor[] {x.requiresGrad() ? g : null, src.requiresGrad() ? g.gather(d, index) : null});
    }

    /** Checks a scatter's operands, naming {@code op}; returns the normalized dim. */
    private static int checkScatter(String op, Tensor x, int dim, Tensor index, Tensor src) {
        Ops.open(op, x, index, src);
        Ops.sameDevice(op, x, index);
        Ops.sameDevice(op, x, src);
        Ops.sameDtype(op, x, src);
        indexType(op, index);
        int d = Shape.dim(op, dim, x.shape);
        if (!java.util.Arrays.equals(index.shape, src.shape)) {
            throw new IllegalArgumentException(op + ": index shape " + Shape.format(index.shape) + " must equal the source shape "
                    + Shape.format(src.shape));
        }
        if (index.shape.length != x.shape.length) {
            throw new IllegalArgumentException(op + ": index of shape " + Shape.format(index.shape) + " must have the rank of the input "
                    + Shape.format(x.shape));
        }
        for (int k = 0; k < x.shape.length; k++) {
            if (k != d && index.shape[k] > x.shape[k]) {
                throw new IllegalArgumentException(op + ": index of shape " + Shape.format(index.shape) + " is larger than the input "
                        + Shape.format(x.shape) + " at dim " + k);
            }
        }
        return d;
    }

    /** The written elements are the scattered sum over the scattered count (1 where one source writes), the others x. */
    static Tensor scatter(Tensor x, int dim, Tensor index, Tensor src) {
        checkScatter("scatter", x, dim, index, src);
        return Scope.intermediates(() -> {
            Tensor zeros = Factories.full(0, x.dtype(), x.device(), x.shape);
            Tensor count;
            try (var g = Autograd.noGrad()) {
                count = scatterAdd(zeros, dim, index, Factories.full(1, x.dtype(), x.device(), src.shape));
            }
            Tensor written = count.gt(0);
            Tensor sum = scatterAdd(zeros, dim, index, src);
            Tensor mean = Elementwise.where(count.gt(1), sum.div(Elementwise.where(written, count, 1, false)), sum);
            return Elementwise.where(written, mean, x);
        });
    }

    static Tensor maskedFill(Tensor x, Tensor mask, double value) {
        Ops.open("maskedFill", x, mask);
        Ops.bool("maskedFill", "mask", mask);
        int[] shape = Shape.broadcast("maskedFill", mask.shape, x.shape);
        if (!java.util.Arrays.equals(shape, x.shape)) {
            throw new IllegalArgumentException("maskedFill: the mask " + mask.describe() + " does not broadcast to the tensor's shape "
                    + Shape.format(x.shape) + " (it would make " + Shape.format(shape) + ")");
        }
        return Elementwise.where(mask, x, value, true);
    }

    static Tensor maskedSelect(Tensor x, Tensor mask) {
        Ops.open("maskedSelect", x, mask);
        Ops.sameDevice("maskedSelect", x, mask);
        Ops.bool("maskedSelect", "mask", mask);
        int[] shape = Shape.broadcast("maskedSelect", mask.shape, x.shape);
        return Scope.intermediates(() -> {
            Tensor flat = Views.expand(x, shape).reshape(-1);
            Tensor where = nonzero(Views.expand(mask, shape).reshape(-1)).reshape(-1);
            return indexSelect(flat, 0, where);
        });
    }

    static Tensor nonzero(Tensor x) {
        Ops.open("nonzero", x);
        double[] v = x.dtype() == DType.BOOL ? null : Host.toDoubleArray(x);
        boolean[] b = x.dtype() == DType.BOOL ? Host.toBooleanArray(x) : null;
        int rank = x.shape.length, n = (int) x.numel();
        long[] found = new long[n * Math.max(rank, 1)];
        int count = 0;
        long[] strides = Shape.contiguousStrides(x.shape);
        for (int f = 0; f < n; f++) {
            if (b != null ? b[f] : v[f] != 0) {   // NaN is nonzero
                for (int d = 0; d < rank; d++) {
                    found[count * rank + d] = (f / strides[d]) % x.shape[d];
                }
                count++;
            }
        }
        return Factories.upload(java.util.Arrays.copyOf(found, count * rank), count * rank, DType.I64, x.device(), new int[] {count, rank});
    }
}
