package dev.fathom.tensor;

import dev.fathom.autograd.Autograd;

/**
 * sort, argsort and topk along a dim as a bitonic sorting network (Batcher, 1968) of
 * compare-exchange steps over the whole tensor, built from elementwise ops, so it runs on every
 * backend with no kernel of its own: {@code log2(m)·(log2(m)+1)/2} steps for a dim padded to
 * {@code m}, the next power of two. The order is stable (ties keep their index order) and puts NaN
 * last ascending, first descending, as PyTorch's. The network moves indices only; the values are
 * then {@code x.gather(dim, indices)}, which autograd differentiates.
 */
final class Sorting {
    private Sorting() {
    }

    static Sorted sort(Tensor x, int dim, boolean descending) {
        Ops.open("sort", x);
        Tensor indices = argsort(x, dim, descending, "sort");
        int d = x.shape.length == 0 ? 0 : Shape.dim("sort", dim, x.shape);
        return new Sorted(x.shape.length == 0 ? x.clone() : Indexing.gather(x, d, indices), indices);
    }

    static Sorted topk(Tensor x, int k, int dim, boolean largest) {
        Ops.open("topk", x);
        int d = x.shape.length == 0 ? Shape.dim("topk", dim, 1, x.shape) : Shape.dim("topk", dim, x.shape);
        int n = x.shape.length == 0 ? 1 : x.shape[d];
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("topk: k must be in [0, " + n + "] (the size of dim " + dim + " of " + Shape.format(x.shape)
                    + "), got " + k);
        }
        if (x.shape.length == 0) {
            return new Sorted(x.clone(), argsort(x, dim, largest, "topk"));
        }
        Tensor indices;
        try (Scope s = Scope.open()) {
            indices = s.keep(Views.narrow(argsort(x, dim, largest, "topk"), d, 0, k).clone());
        }
        return new Sorted(Indexing.gather(x, d, indices), indices);
    }

    /** The I64 indices that sort {@code x} along {@code dim}. */
    static Tensor argsort(Tensor x, int dim, boolean descending, String op) {
        Ops.open(op, x);
        if (x.shape.length == 0) {
            Shape.dim(op, dim, 1, x.shape);
            return Factories.full(0, DType.I64, x.device(), new int[0]);
        }
        int d = Shape.dim(op, dim, x.shape);
        int n = x.shape[d];
        Tensor out;
        try (var g = Autograd.noGrad(); Scope s = Scope.open()) {
            Tensor rows = Views.permute(x, moveToEnd(x.shape.length, d));   // [..., n]
            int[] front = java.util.Arrays.copyOf(rows.shape, rows.shape.length - 1);
            int b = (int) Shape.numel(front);
            Tensor keys = rows.reshape(b, n);
            if (keys.dtype() == DType.BOOL) {
                keys = keys.to(DType.I64);
            }
            Tensor order = network(keys, b, n, descending).reshape(concat(front, n));
            out = s.keep(Views.permute(order, moveBack(x.shape.length, d)).contiguous());   // to the caller's scope, as a fresh result
        }
        return out;
    }

    /** The order of each of the {@code b} rows of {@code keys} [b, n] as I64 [b, n]. */
    private static Tensor network(Tensor keys, int b, int n, boolean descending) {
        int m = Integer.highestOneBit(Math.max(1, n - 1)) << (n > 1 ? 1 : 0);
        Device device = keys.device();
        Tensor vals = keys, idx = Factories.arange(0, m, 1, DType.I64).to(device).reshape(1, m).expand(b, m).contiguous();
        if (m > n) {
            int[] padShape = {b, m - n};
            vals = Views.cat(1, new Tensor[] {keys, Factories.full(0, keys.dtype(), device, padShape)});
        }
        Tensor size = Factories.full(n, DType.I64, device, new int[0]);
        for (int k = 2; k <= m; k <<= 1) {
            // Blocks of k alternate ascending and descending, so that each pair of blocks is bitonic for the next k.
            boolean[] up = new boolean[m / k];
            for (int i = 0; i < up.length; i++) {
                up[i] = i % 2 == 0;
            }
            Tensor ascending = Factories.upload(up, up.length, DType.BOOL, device, new int[] {1, m / k, 1, 1});
            for (int j = k >> 1; j > 0; j >>= 1) {
                int[] split = {b, m / k, k / (2 * j), 2, j};
                Tensor v = vals.reshape(split), ix = idx.reshape(split);
                Tensor vLo = v.select(3, 0), vHi = v.select(3, 1), iLo = ix.select(3, 0), iHi = ix.select(3, 1);
                Tensor loAfterHi = after(vLo, iLo, vHi, iHi, size, descending);
                Tensor hiAfterLo = after(vHi, iHi, vLo, iLo, size, descending);
                Tensor swap = Elementwise.where(ascending, loAfterHi, hiAfterLo);
                vals = Views.stack(3, new Tensor[] {Elementwise.where(swap, vHi, vLo), Elementwise.where(swap, vLo, vHi)}).reshape(b, m);
                idx = Views.stack(3, new Tensor[] {Elementwise.where(swap, iHi, iLo), Elementwise.where(swap, iLo, iHi)}).reshape(b, m);
            }
        }
        return Views.narrow(idx, 1, 0, n);
    }

    /**
     * Whether (a at index ia) comes after (b at index ib): padding (index ≥ n) after everything,
     * then NaN after numbers ascending (before them descending), then by value, then by index.
     */
    private static Tensor after(Tensor a, Tensor ia, Tensor b, Tensor ib, Tensor n, boolean descending) {
        Tensor padA = ia.ge(n), padB = ib.ge(n);
        Tensor byIndex = ia.gt(ib);
        Tensor real;
        if (a.dtype().isFloating()) {
            Tensor nanA = a.ne(a), nanB = b.ne(b);
            Tensor numbers = nanA.logicalOr(nanB).logicalNot();
            Tensor byValue = descending ? a.lt(b) : a.gt(b);
            Tensor nanOrder = descending ? nanB.logicalAnd(nanA.logicalNot()) : nanA.logicalAnd(nanB.logicalNot());
            Tensor tie = nanA.logicalAnd(nanB).logicalOr(numbers.logicalAnd(a.eq(b)));
            real = numbers.logicalAnd(byValue).logicalOr(nanOrder).logicalOr(tie.logicalAnd(byIndex));
        } else {
            real = (descending ? a.lt(b) : a.gt(b)).logicalOr(a.eq(b).logicalAnd(byIndex));
        }
        Tensor bothReal = padA.logicalOr(padB).logicalNot();
        return bothReal.logicalAnd(real).logicalOr(padA.logicalAnd(padB.logicalNot())).logicalOr(padA.logicalAnd(padB).logicalAnd(byIndex));
    }

    private static int[] moveToEnd(int rank, int d) {
        int[] p = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) {
            if (i != d) {
                p[j++] = i;
            }
        }
        p[rank - 1] = d;
        return p;
    }

    /** The inverse of {@link #moveToEnd}. */
    private static int[] moveBack(int rank, int d) {
        int[] forward = moveToEnd(rank, d), back = new int[rank];
        for (int i = 0; i < rank; i++) {
            back[forward[i]] = i;
        }
        return back;
    }

    private static int[] concat(int[] head, int last) {
        int[] out = java.util.Arrays.copyOf(head, head.length + 1);
        out[head.length] = last;
        return out;
    }
}
