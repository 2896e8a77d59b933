package dev.fathom.tensor;

import java.util.function.Supplier;

/** matmul with {@code torch.matmul}'s rules, on the batched matmul kernel. */
final class LinearAlgebra {
    private LinearAlgebra() {
    }

    static Tensor matmul(Tensor a, Tensor b) {
        Ops.open("matmul", a, b);
        Ops.sameDevice("matmul", a, b);
        Ops.sameDtype("matmul", a, b);
        if (a.dtype() == DType.BOOL) {
            throw new IllegalArgumentException("matmul: not defined for " + a.describe() + "; convert with .to(DType.F32)");
        }
        if (a.shape.length == 0 || b.shape.length == 0) {
            throw new IllegalArgumentException("matmul: both arguments need at least 1 dim, got shapes " + Shape.format(a.shape) + " and "
                    + Shape.format(b.shape) + "; use mul() for scalars");
        }
        int ka = a.shape[a.shape.length - 1];
        int kb = b.shape.length == 1 ? b.shape[0] : b.shape[b.shape.length - 2];
        if (ka != kb) {
            throw new IllegalArgumentException("matmul: shapes " + Shape.format(a.shape) + " and " + Shape.format(b.shape)
                    + " cannot be multiplied (" + ka + " != " + kb + ")");
        }
        return Scope.intermediates(() -> {
            Tensor aa = a.shape.length == 1 ? a.unsqueeze(0) : a;
            Tensor bb = b.shape.length == 1 ? b.unsqueeze(1) : b;
            Tensor out;
            if (aa.shape.length >= 3 && bb.shape.length == 2) {
                // As torch.matmul: a's batch dims fold into its rows when b is a matrix (a linear
                // layer on [B, T, D]). One product instead of a batch that repacks b for every
                // item, and b's gradient is one K-long product instead of a batch of products
                // summed afterwards.
                int[] shape = aa.shape.clone();
                shape[shape.length - 1] = bb.shape[1];
                out = batched(aa.flatten(0, aa.shape.length - 2), bb).reshape(shape);
            } else {
                out = batched(aa, bb);
            }
            if (a.shape.length == 1) {
                out = out.squeeze(-2);
            }
            if (b.shape.length == 1) {
                out = out.squeeze(-1);
            }
            return out;
        });
    }

    /** a [..., M, K] @ b [..., K, N] with broadcast batch dims. */
    private static Tensor batched(Tensor a, Tensor b) {
        int ra = a.shape.length, rb = b.shape.length;
        int m = a.shape[ra - 2], k = a.shape[ra - 1], n = b.shape[rb - 1];
        int[] batch;
        try {
            batch = Shape.broadcast("matmul", java.util.Arrays.copyOf(a.shape, ra - 2), java.util.Arrays.copyOf(b.shape, rb - 2));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("matmul: batch dims of shapes " + Shape.format(a.shape) + " and " + Shape.format(b.shape)
                    + " cannot be broadcast (" + e.getMessage() + ")", e);
        }
        int r = batch.length + 2;
        int[] as = java.util.Arrays.copyOf(batch, r), bs = java.util.Arrays.copyOf(batch, r), os = java.util.Arrays.copyOf(batch, r);
        as[r - 2] = m;
        as[r - 1] = k;
        bs[r - 2] = k;
        bs[r - 1] = n;
        os[r - 2] = m;
        os[r - 1] = n;
        Tensor out = Ops.empty(a.dtype(), a.device(), os);
        if (out.numel() > 0) {
            if (k == 0) {
                Ops.kernels(a.device()).fill(Ops.strided(out), 0);
            } else {
                Ops.kernels(a.device()).matmul(Ops.broadcast(a, as), Ops.broadcast(b, bs), Ops.strided(out));
            }
        }
        return Ops.record("matmul", out, new Tensor[] {a, b}, new Tensor[] {a, b}, g -> new Tensor[] {
            !a.requiresGrad() ? null : columnMajor(a) ? transposed(() -> b.matmul(g.transpose(-1, -2))).sumToSize(a.shape)
                    : g.matmul(b.transpose(-1, -2)).sumToSize(a.shape),
            !b.requiresGrad() ? null : b.dim() == 2 && a.dim() > 2 ? sharedMatrixGrad(a, b, g)
                    : columnMajor(b) ? transposed(() -> g.transpose(-1, -2).matmul(a)).sumToSize(b.shape)
                    : a.transpose(-1, -2).matmul(g).sumToSize(b.shape)});
    }

    /**
     * The transpose of the product that {@code product} makes. Unless a graph is recorded the
     * product itself is closed at once ({@link Scope#intermediates}); the view keeps the storage
     * and is then the only tensor on it, which is what lets the autograd engine make it a leaf's
     * {@code .grad} without a copy (a linear layer's {@code W.t()} gets its gradient this way: it
     * was 13 copies per GPT char-LM step).
     */
    private static Tensor transposed(Supplier<Tensor> product) {
        return Scope.intermediates(() -> product.get().transpose(-1, -2));
    }

    /**
     * The gradient of a matrix {@code b} that every batch of {@code a} multiplies (a linear layer's
     * {@code W.t()} under a {@code [N, L, in]} input): the batches' rows are one long matrix, so it is
     * one product over all of them, {@code a2ᵀ·g2} with {@code a2 = a [N·L, k]}, {@code g2 = g [N·L, n]},
     * where a product per batch would make N matrices and then sum them. Stored transposed when b is
     * (see {@link #columnMajor}).
     */
    private static Tensor sharedMatrixGrad(Tensor a, Tensor b, Tensor g) {
        return Scope.intermediates(() -> {
            Tensor a2 = a.reshape(-1, a.size(-1)), g2 = g.reshape(-1, g.size(-1));
            return columnMajor(b) ? g2.t().matmul(a2).t() : a2.t().matmul(g2);
        });
    }

    /**
     * A matrix stored transposed ({@code W.t()}, as in a linear layer): its gradient is computed as
     * the transpose of a row-major product, so that it arrives in W's own layout and accumulating
     * it into W's gradient is a plain copy, not a transposing one (a tenth of an MLP step).
     */
    private static boolean columnMajor(Tensor t) {
        return Shape.columnMajor(t.shape, t.strides());
    }
}
