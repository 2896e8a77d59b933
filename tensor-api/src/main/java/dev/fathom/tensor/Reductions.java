package dev.fathom.tensor;

import dev.fathom.autograd.Autograd;
import dev.fathom.spi.ReduceOp;

import java.util.Arrays;

/**
 * Reductions (sum, max, min, argmax/argmin as kernels) and the composites built on them: mean,
 * var, logsumexp, softmax, log-softmax. The composites are the definitions; their gradients come
 * from autograd through the primitives. Softmax and log-softmax run the backend's fused kernels
 * when it has them ({@link FusedSoftmax}) and compose otherwise.
 */
final class Reductions {
    private Reductions() {
    }

    /** x's shape with size 1 on {@code axes}. */
    static int[] keptShape(int[] shape, int[] axes) {
        int[] out = shape.clone();
        for (int a : axes) {
            out[a] = 1;
        }
        return out;
    }

    /** x's shape without {@code axes}. */
    static int[] droppedShape(int[] shape, int[] axes) {
        int[] out = new int[shape.length - axes.length];
        int j = 0;
        for (int d = 0, k = 0; d < shape.length; d++) {
            if (k < axes.length && axes[k] == d) {
                k++;
            } else {
                out[j++] = shape[d];
            }
        }
        return out;
    }

    static long count(int[] shape, int[] axes) {
        long n = 1;
        for (int a : axes) {
            n *= shape[a];
        }
        return n;
    }

    /** Runs the kernel; returns the result with the reduced dims kept as size 1. */
    private static Tensor reduceKept(ReduceOp op, Tensor x, int[] axes, DType outType) {
        Tensor out = Ops.empty(outType, x.device(), keptShape(x.shape, axes));
        Ops.kernels(x.device()).reduce(op, Ops.strided(x), axes, Ops.strided(out));
        return out;
    }

    /** Drops the kept size-1 dims (a view) unless keepDim. */
    private static Tensor finish(Tensor kept, int[] shape, int[] axes, boolean keepDim) {
        if (keepDim) {
            return kept;
        }
        try (var g = Autograd.noGrad()) {
            return Ops.view(kept, droppedShape(shape, axes), Shape.contiguousStrides(droppedShape(shape, axes)), kept.offset);
        }
    }

    static Tensor sum(Tensor x, int[] dims, boolean keepDim) {
        return Scope.intermediates(() -> sumOf(x, dims, keepDim));
    }

    private static Tensor sumOf(Tensor x, int[] dims, boolean keepDim) {
        Ops.open("sum", x);
        int[] axes = Shape.dims("sum", dims, x.shape);
        DType outType = x.dtype() == DType.BOOL ? DType.I64 : x.dtype();
        Tensor out = finish(reduceKept(ReduceOp.SUM, x, axes, outType), x.shape, axes, keepDim);
        int[] kept = keptShape(x.shape, axes);
        return Ops.record("sum", out, new Tensor[] {x}, new Tensor[0],
                g -> new Tensor[] {g.reshape(kept).expand(x.shape)});
    }

    static Tensor sumToSize(Tensor g, int[] shape) {
        return Scope.intermediates(() -> sumToSizeOf(g, shape));
    }

    private static Tensor sumToSizeOf(Tensor g, int[] shape) {
        Ops.open("sumToSize", g);
        if (Arrays.equals(g.shape, shape)) {
            return g;
        }
        int lead = g.shape.length - shape.length;
        if (lead < 0) {
            throw new IllegalArgumentException("sumToSize: shape " + Shape.format(g.shape) + " cannot be summed to the larger rank of " + Shape.format(shape));
        }
        int[] axes = new int[g.shape.length];
        int n = 0;
        for (int d = 0; d < g.shape.length; d++) {
            if (d < lead) {
                axes[n++] = d;
            } else if (shape[d - lead] == 1 && g.shape[d] != 1) {
                axes[n++] = d;
            } else if (shape[d - lead] != g.shape[d]) {
                throw new IllegalArgumentException("sumToSize: shape " + Shape.format(g.shape) + " is not a broadcast of " + Shape.format(shape)
                        + " (dim " + d + ": " + g.shape[d] + " vs " + shape[d - lead] + ")");
            }
        }
        Tensor s = sum(g, Arrays.copyOf(axes, n), true);
        return s.reshape(shape);
    }

    static Tensor mean(Tensor x, int[] dims, boolean keepDim) {
        Ops.open("mean", x);
        Ops.floating("mean", x);
        int[] axes = Shape.dims("mean", dims, x.shape);
        return Scope.intermediates(() -> sum(x, axes, keepDim).div((double) count(x.shape, axes)));
    }

    static Tensor var(Tensor x, int[] dims, int correction, boolean keepDim) {
        Ops.open("var", x);
        Ops.floating("var", x);
        if (correction < 0) {
            throw new IllegalArgumentException("var: correction must be >= 0, got " + correction);
        }
        int[] axes = Shape.dims("var", dims, x.shape);
        double denom = Math.max(count(x.shape, axes) - correction, 0);
        return Scope.intermediates(() -> {
            Tensor d = x.sub(mean(x, axes, true));
            return sum(d.mul(d), axes, keepDim).div(denom);
        });
    }

    /**
     * {@code sqrt(var)}, whose gradient is {@code g/(2·std)} except where std is 0 (a constant row),
     * where it is 0 as in PyTorch's std_backward: sqrt's own gradient is ∞ there, and ∞ times the
     * variance's zero gradient made NaN.
     */
    static Tensor std(Tensor x, int[] dims, int correction, boolean keepDim) {
        return Scope.intermediates(() -> {
            Tensor v = var(x, dims, correction, keepDim);
            Tensor r;
            try (var g = Autograd.noGrad()) {
                r = v.sqrt();
            }
            return Ops.record("std", r, new Tensor[] {v}, new Tensor[] {r}, g -> {
                Tensor d = g.div(r.mul(2));
                return new Tensor[] {Tensor.where(r.eq(0), Tensor.zerosLike(d), d)};
            });
        });
    }

    static Tensor extreme(ReduceOp op, Tensor x, int[] dims, boolean keepDim) {
        return Scope.intermediates(() -> extremeOf(op, x, dims, keepDim));
    }

    private static Tensor extremeOf(ReduceOp op, Tensor x, int[] dims, boolean keepDim) {
        String name = op == ReduceOp.MAX ? "max" : "min";
        Ops.open(name, x);
        if (x.dtype() == DType.BOOL) {
            throw new IllegalArgumentException(name + ": not defined for " + x.describe() + "; convert with .to(DType.I64)");
        }
        int[] axes = Shape.dims(name, dims, x.shape);
        for (int a : axes) {
            if (x.shape[a] == 0) {
                throw new IllegalArgumentException(name + ": cannot reduce over dim " + a + " of size 0 in shape " + Shape.format(x.shape)
                        + " (a " + (op == ReduceOp.MAX ? "maximum" : "minimum") + " of nothing is undefined)");
            }
        }
        Tensor kept = reduceKept(op, x, axes, x.dtype());
        Tensor out = finish(kept, x.shape, axes, keepDim);
        int[] keptShape = keptShape(x.shape, axes);
        return Ops.record(name, out, new Tensor[] {x}, new Tensor[] {x, kept}, g -> {
            // Ties share the gradient equally (amax semantics); a NaN result came from the NaNs, which
            // share it (PyTorch's evenly_distribute_backward), where x == NaN would match nothing: 0/0.
            Tensor mask = x.eq(kept).logicalOr(x.ne(x).logicalAnd(kept.ne(kept))).to(g.dtype());
            Tensor share = mask.div(mask.sum(axes, true));
            return new Tensor[] {share.mul(g.reshape(keptShape))};
        });
    }

    static Tensor arg(ReduceOp op, Tensor x, Integer dim, boolean keepDim) {
        return Scope.intermediates(() -> argOf(op, x, dim, keepDim));
    }

    private static Tensor argOf(ReduceOp op, Tensor x, Integer dim, boolean keepDim) {
        String name = op == ReduceOp.ARGMAX ? "argmax" : "argmin";
        Ops.open(name, x);
        if (x.dtype() == DType.BOOL) {
            throw new IllegalArgumentException(name + ": not defined for " + x.describe() + "; convert with .to(DType.I64)");
        }
        if (x.shape.length == 0 && dim != null) {
            Shape.dims(name, new int[] {dim}, x.shape);  // 0 or -1 only: its one element, as with no dim
            dim = null;
        }
        if (dim == null) {
            Tensor flat = x.reshape(-1);
            if (flat.shape[0] == 0) {
                throw new IllegalArgumentException(name + ": the tensor of shape " + Shape.format(x.shape) + " is empty");
            }
            Tensor r = reduceKept(op, flat, new int[] {0}, DType.I64);
            int[] ones = new int[x.shape.length];
            Arrays.fill(ones, 1);
            return keepDim ? r.reshape(ones) : r.reshape();
        }
        int a = Shape.dim(name, dim, x.shape);
        if (x.shape[a] == 0) {
            throw new IllegalArgumentException(name + ": cannot reduce over dim " + a + " of size 0 in shape " + Shape.format(x.shape));
        }
        return finish(reduceKept(op, x, new int[] {a}, DType.I64), x.shape, new int[] {a}, keepDim);
    }

    /**
     * The shift that makes {@code exp(x - shift)} safe: the max over {@code axes} (kept dims), not
     * recorded (it cancels in value and gradient), and 0 where the max is infinite (all -inf rows).
     */
    private static Tensor safeMax(Tensor x, int[] axes) {
        try (var g = Autograd.noGrad()) {
            Tensor m = count(x.shape, axes) == 0 ? Tensor.zerosLike(sum(x, axes, true)) : reduceKept(ReduceOp.MAX, x, axes, x.dtype());
            return Tensor.where(m.abs().lt(Double.POSITIVE_INFINITY), m, Tensor.zerosLike(m));
        }
    }

    static Tensor logsumexp(Tensor x, int[] dims, boolean keepDim) {
        Ops.open("logsumexp", x);
        Ops.floating("logsumexp", x);
        int[] axes = Shape.dims("logsumexp", dims, x.shape);
        return Scope.intermediates(() -> {
            Tensor shift = safeMax(x, axes);
            Tensor lse = x.sub(shift).exp().sum(axes, true).log().add(shift);
            return keepDim ? lse : lse.reshape(droppedShape(x.shape, axes));
        });
    }

    /** exp(x - max) / Σ exp(x - max): exact to rounding for any magnitude (no rounded logsumexp is subtracted). */
    static Tensor softmax(Tensor x, int dim) {
        int[] axes = softmaxAxes("softmax", x, dim);
        Tensor fused = axes.length == 1 && x.numel() > 0 ? FusedSoftmax.forward(x, axes[0], false) : null;
        if (fused != null) {
            return fused;
        }
        return Scope.intermediates(() -> {
            Tensor e = x.sub(safeMax(x, axes)).exp();
            return e.div(e.sum(axes, true));
        });
    }

    /** (x - max) - log Σ exp(x - max). */
    static Tensor logSoftmax(Tensor x, int dim) {
        int[] axes = softmaxAxes("logSoftmax", x, dim);
        Tensor fused = axes.length == 1 && x.numel() > 0 ? FusedSoftmax.forward(x, axes[0], true) : null;
        if (fused != null) {
            return fused;
        }
        return Scope.intermediates(() -> {
            Tensor shifted = x.sub(safeMax(x, axes));
            return shifted.sub(shifted.exp().sum(axes, true).log());
        });
    }

    /** The one axis a softmax normalizes over (none for a 0-d tensor, where dim 0 and -1 are accepted, as in PyTorch). */
    private static int[] softmaxAxes(String op, Tensor x, int dim) {
        Ops.open(op, x);
        Ops.floating(op, x);
        int d = Shape.dim(op, dim, x.shape.length == 0 ? 1 : x.shape.length, x.shape);
        return x.shape.length == 0 ? new int[0] : new int[] {d};
    }

    /** {@code torch.any} ({@code all} false) or {@code torch.all} over {@code dims} (none: every dim): BOOL, NaN counting as true. */
    static Tensor anyOrAll(Tensor x, int[] dims, boolean keepDim, boolean all) {
        String op = all ? "all" : "any";
        Ops.open(op, x);
        int[] axes = Shape.dims(op, dims, x.shape);
        long n = count(x.shape, axes);
        Tensor out;
        try (var g = Autograd.noGrad(); Scope s = Scope.open()) {
            Tensor nonzero = x.dtype() == DType.BOOL ? x : x.ne(0);
            Tensor hits = sum(nonzero.to(DType.I64), axes, keepDim);
            out = s.keep(all ? hits.eq(n) : hits.gt(0));
        }
        return out;
    }

    /**
     * The {@code p}-norm over {@code dims} (none: every dim), as {@code torch.linalg.vector_norm}:
     * {@code p} = 1, 2, ∞ or any other positive number. For p other than 1 and ∞ the gradient is
     * {@code sign(x)·|x|^(p−1)/‖x‖^(p−1)}, 0 where x or the norm is 0 (PyTorch's subgradient), not
     * the 0/0 or ∞·0 of composing pow and sqrt.
     */
    static Tensor norm(Tensor x, double p, int[] dims, boolean keepDim) {
        Ops.open("norm", x);
        Ops.floating("norm", x);
        if (!(p > 0)) {
            throw new IllegalArgumentException("norm: p must be positive (1, 2, infinity or another positive number), got " + p);
        }
        int[] axes = Shape.dims("norm", dims, x.shape);
        if (p == 1) {
            return Scope.intermediates(() -> sum(x.abs(), axes, keepDim));
        }
        if (p == Double.POSITIVE_INFINITY) {
            return Scope.intermediates(() -> extreme(ReduceOp.MAX, x.abs(), axes, keepDim));
        }
        Tensor y;
        try (var g = Autograd.noGrad(); Scope s = Scope.open()) {
            y = s.keep(p == 2 ? sum(x.mul(x), axes, keepDim).sqrt() : sum(x.abs().pow(p), axes, keepDim).pow(1 / p));
        }
        return Ops.record("norm", y, new Tensor[] {x}, new Tensor[] {x, y}, gy -> {
            Tensor kept = keepDim ? y : y.reshape(keptShape(x.shape, axes));
            Tensor gk = keepDim ? gy : gy.reshape(keptShape(x.shape, axes));
            Tensor none = kept.eq(0).logicalOr(x.eq(0));
            Tensor safeNorm = Elementwise.where(kept.eq(0), kept, 1, true), safeX = Elementwise.where(x.eq(0), x, 1, true);
            // x·(|x|/‖x‖)^(p−2)/‖x‖ is sign(x)·|x|^(p−1)/‖x‖^(p−1); for p = 2 it is x/‖x‖.
            Tensor slope = p == 2 ? safeX.div(safeNorm) : safeX.div(safeNorm).mul(safeX.abs().div(safeNorm).pow(p - 2));
            return new Tensor[] {Elementwise.where(none, slope.mul(gk), 0, true)};
        });
    }
}
