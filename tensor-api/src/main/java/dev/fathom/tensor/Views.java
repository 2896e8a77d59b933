package dev.fathom.tensor;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.SliceBackwardFn;

import java.util.Arrays;

/**
 * Movement ops: views that share storage (reshape of compatible strides, permute, transpose,
 * unsqueeze, squeeze, expand, narrow, slice, select) and the copies that assemble or split
 * tensors (contiguous, cat, stack, chunk, split). Each records the backward that undoes it.
 */
final class Views {
    private Views() {
    }

    static Tensor reshape(Tensor x, int[] newShape, boolean viewOnly) {
        return Scope.intermediates(() -> reshapeOf(x, newShape, viewOnly));
    }

    private static Tensor reshapeOf(Tensor x, int[] newShape, boolean viewOnly) {
        String op = viewOnly ? "view" : "reshape";
        Ops.open(op, x);
        int[] shape = inferShape(op, x, newShape);
        long[] strides = x.isContiguous() ? Shape.contiguousStrides(shape) : viewStrides(x.shape, x.strides, shape);
        Tensor out;
        if (strides != null) {
            out = Ops.view(x, shape, strides, x.offset);
        } else if (viewOnly) {
            throw new IllegalArgumentException("view: shape " + Shape.format(shape) + " is not compatible with the layout of the input "
                    + Shape.format(x.shape) + " (strides " + Arrays.toString(x.strides) + "); use reshape(), or contiguous() first");
        } else {
            try (var g = Autograd.noGrad()) {
                Tensor c = Conversions.copy(x);
                out = Ops.view(c, shape, Shape.contiguousStrides(shape), 0);
            }
        }
        int[] inShape = x.shape;
        return Ops.record(op, out, new Tensor[] {x}, new Tensor[0], g -> new Tensor[] {g.reshape(inShape)});
    }

    private static int[] inferShape(String op, Tensor x, int[] newShape) {
        java.util.Objects.requireNonNull(newShape, () -> op + ": the shape is null");
        int[] shape = newShape.clone();
        int infer = -1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException(op + ": only one size may be -1, got " + Arrays.toString(newShape));
                }
                infer = i;
            } else if (shape[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid size " + shape[i] + " in " + Arrays.toString(newShape));
            }
        }
        int[] given = shape.clone();
        if (infer >= 0) {
            given[infer] = 1;
        }
        long known = Shape.count(op, given), n = x.numel();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException(op + ": shape " + Arrays.toString(newShape) + " is invalid for input of shape "
                        + Shape.format(x.shape) + " (" + n + " elements)");
            }
            shape[infer] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(newShape) + " is invalid for input of shape "
                    + Shape.format(x.shape) + " (" + n + " elements vs " + known + ")");
        }
        return shape;
    }

    /** Strides that view {@code (old, oldStrides)} as {@code shape} without copying, or null (PyTorch's computeStride). */
    static long[] viewStrides(int[] old, long[] oldStrides, int[] shape) {
        long[] out = new long[shape.length];
        if (Shape.numel(old) == 0 || old.length == 0) {
            return Shape.contiguousStrides(shape);
        }
        int viewD = shape.length - 1;
        long chunkBase = oldStrides[old.length - 1];
        long tensorNumel = 1, viewNumel = 1;
        for (int d = old.length - 1; d >= 0; d--) {
            tensorNumel *= old[d];
            if (d == 0 || (old[d - 1] != 1 && oldStrides[d - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || shape[viewD] == 1)) {
                    out[viewD] = viewNumel * chunkBase;
                    viewNumel *= shape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (d > 0) {
                    chunkBase = oldStrides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? out : null;
    }

    static Tensor permute(Tensor x, int[] dims) {
        Ops.open("permute", x);
        int r = x.shape.length;
        if (dims.length != r) {
            throw new IllegalArgumentException("permute: " + Arrays.toString(dims) + " has " + dims.length + " dims but the tensor of shape "
                    + Shape.format(x.shape) + " has " + r);
        }
        int[] perm = new int[r];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < r; i++) {
            perm[i] = Shape.dim("permute", dims[i], x.shape);
            if (seen[perm[i]]) {
                throw new IllegalArgumentException("permute: dim " + perm[i] + " repeats in " + Arrays.toString(dims));
            }
            seen[perm[i]] = true;
        }
        int[] shape = new int[r];
        long[] strides = new long[r];
        int[] inverse = new int[r];
        for (int i = 0; i < r; i++) {
            shape[i] = x.shape[perm[i]];
            strides[i] = x.strides[perm[i]];
            inverse[perm[i]] = i;
        }
        Tensor out = Ops.view(x, shape, strides, x.offset);
        return Ops.record("permute", out, new Tensor[] {x}, new Tensor[0], g -> new Tensor[] {g.permute(inverse)});
    }

    static Tensor transpose(Tensor x, int a, int b) {
        Ops.open("transpose", x);
        int r = x.shape.length;
        if (r == 0) {
            Shape.dim("transpose", a, new int[] {});
        }
        int da = Shape.dim("transpose", a, x.shape), db = Shape.dim("transpose", b, x.shape);
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) {
            perm[i] = i;
        }
        perm[da] = db;
        perm[db] = da;
        return permute(x, perm);
    }

    static Tensor t(Tensor x) {
        Ops.open("t", x);
        if (x.shape.length > 2) {
            throw new IllegalArgumentException("t: expects a tensor with <= 2 dims, got shape " + Shape.format(x.shape)
                    + "; use transpose(dim0, dim1)");
        }
        return x.shape.length < 2 ? reshape(x, x.shape, true) : transpose(x, 0, 1);
    }

    static Tensor unsqueeze(Tensor x, int dim) {
        Ops.open("unsqueeze", x);
        int r = x.shape.length;
        int d = Shape.dim("unsqueeze", dim, r + 1, x.shape);
        int[] shape = new int[r + 1];
        long[] strides = new long[r + 1];
        for (int i = 0, j = 0; i <= r; i++) {
            if (i == d) {
                shape[i] = 1;
                strides[i] = d < r ? x.strides[d] * x.shape[d] : 1;
            } else {
                shape[i] = x.shape[j];
                strides[i] = x.strides[j];
                j++;
            }
        }
        Tensor out = Ops.view(x, shape, strides, x.offset);
        return Ops.record("unsqueeze", out, new Tensor[] {x}, new Tensor[0], g -> new Tensor[] {g.squeeze(d)});
    }

    static Tensor squeeze(Tensor x, Integer dim) {
        Ops.open("squeeze", x);
        int r = x.shape.length;
        boolean[] drop = new boolean[r];
        if (dim == null) {
            for (int i = 0; i < r; i++) {
                drop[i] = x.shape[i] == 1;
            }
        } else if (r > 0) {
            int d = Shape.dim("squeeze", dim, x.shape);
            drop[d] = x.shape[d] == 1;
        } else if (dim != 0 && dim != -1) {
            Shape.dim("squeeze", dim, 1, x.shape);
        }
        int n = 0;
        for (boolean b : drop) {
            n += b ? 0 : 1;
        }
        int[] shape = new int[n];
        long[] strides = new long[n];
        for (int i = 0, j = 0; i < r; i++) {
            if (!drop[i]) {
                shape[j] = x.shape[i];
                strides[j] = x.strides[i];
                j++;
            }
        }
        Tensor out = Ops.view(x, shape, strides, x.offset);
        int[] inShape = x.shape;
        return Ops.record("squeeze", out, new Tensor[] {x}, new Tensor[0], g -> new Tensor[] {g.reshape(inShape)});
    }

    static Tensor expand(Tensor x, int[] newShape) {
        Ops.open("expand", x);
        int r = x.shape.length;
        if (newShape.length < r) {
            throw new IllegalArgumentException("expand: target " + Arrays.toString(newShape) + " has fewer dims than the input "
                    + Shape.format(x.shape));
        }
        int lead = newShape.length - r;
        int[] shape = new int[newShape.length];
        long[] strides = new long[newShape.length];
        for (int i = 0; i < newShape.length; i++) {
            int want = newShape[i];
            if (i < lead) {
                if (want < 0) {
                    throw new IllegalArgumentException("expand: -1 is not allowed for the new leading dim " + i + " in " + Arrays.toString(newShape));
                }
                shape[i] = want;
                strides[i] = 0;
                continue;
            }
            int have = x.shape[i - lead];
            if (want == -1 || want == have) {
                shape[i] = have;
                strides[i] = x.strides[i - lead];
            } else if (have == 1 && want >= 0) {
                shape[i] = want;
                strides[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: cannot expand shape " + Shape.format(x.shape) + " to " + Arrays.toString(newShape)
                        + ": size " + have + " at dim " + (i - lead) + " is not 1 and differs from " + want);
            }
        }
        Shape.count("expand", shape);
        Tensor out = Ops.view(x, shape, strides, x.offset);
        int[] inShape = x.shape;
        return Ops.record("expand", out, new Tensor[] {x}, new Tensor[0], g -> new Tensor[] {g.sumToSize(inShape)});
    }

    static Tensor narrow(Tensor x, int dim, int start, int length) {
        Ops.open("narrow", x);
        int d = Shape.dim("narrow", dim, x.shape);
        int size = x.shape[d];
        int s = start < 0 ? start + size : start;
        if (s < 0 || length < 0 || (long) s + length > size) {
            throw new IllegalArgumentException("narrow: start " + start + " and length " + length + " do not fit dim " + d + " of size " + size
                    + " in shape " + Shape.format(x.shape));
        }
        return sliceView("narrow", x, d, s, length, 1);
    }

    static Tensor slice(Tensor x, int dim, int start, int end, int step) {
        Ops.open("slice", x);
        int d = Shape.dim("slice", dim, x.shape);
        if (step <= 0) {
            throw new IllegalArgumentException("slice: step must be positive, got " + step);
        }
        int size = x.shape[d];
        int s = clampIndex(start, size), e = clampIndex(end, size);
        int len = e > s ? (int) (((long) e - s + step - 1) / step) : 0;
        return sliceView("slice", x, d, s, len, step);
    }

    private static int clampIndex(int i, int size) {
        int j = i < 0 ? i + size : i;
        return Math.max(0, Math.min(size, j));
    }

    static Tensor select(Tensor x, int dim, int index) {
        Ops.open("select", x);
        int d = Shape.dim("select", dim, x.shape);
        int size = x.shape[d];
        int i = index < 0 ? index + size : index;
        if (i < 0 || i >= size) {
            throw new IllegalArgumentException("select: index " + index + " is out of range for dim " + d + " of size " + size
                    + " in shape " + Shape.format(x.shape));
        }
        int[] shape = Reductions.droppedShape(x.shape, new int[] {d});
        long[] strides = new long[shape.length];
        for (int k = 0, j = 0; k < x.shape.length; k++) {
            if (k != d) {
                strides[j++] = x.strides[k];
            }
        }
        Tensor out = Ops.view(x, shape, strides, x.offset + (long) i * x.strides[d]);
        int[] inShape = x.shape;
        return Ops.record("select", out, new Tensor[] {x}, new Tensor[0], new SliceBackwardFn() {
            @Override
            public Tensor[] apply(Tensor g) {
                return new Tensor[] {embed(g.unsqueeze(d), inShape, d, i, 1)};
            }

            @Override
            public Tensor region(Tensor inputGrad) {
                return inputGrad.select(d, i);
            }
        });
    }

    /** Elements start, start+step, … (count of them) of dim d, as a view; backward embeds into zeros. */
    private static Tensor sliceView(String op, Tensor x, int d, int start, int count, int step) {
        int[] shape = x.shape.clone();
        long[] strides = x.strides.clone();
        shape[d] = count;
        strides[d] = x.strides[d] * step;
        long offset = x.offset + (count == 0 ? 0 : (long) start * x.strides[d]);
        Tensor out = Ops.view(x, shape, strides, offset);
        int[] inShape = x.shape;
        return Ops.record(op, out, new Tensor[] {x}, new Tensor[0], new SliceBackwardFn() {
            @Override
            public Tensor[] apply(Tensor g) {
                return new Tensor[] {embed(g, inShape, d, start, step)};
            }

            @Override
            public Tensor region(Tensor inputGrad) {
                return inputGrad.slice(d, start, start + (count - 1) * step + 1, step);
            }
        });
    }

    /** Zeros of {@code shape} with {@code g} written at elements start, start+step, … of dim d; differentiable in g. */
    static Tensor embed(Tensor g, int[] shape, int d, int start, int step) {
        return Scope.intermediates(() -> embedOf(g, shape, d, start, step));
    }

    private static Tensor embedOf(Tensor g, int[] shape, int d, int start, int step) {
        Tensor out = Tensor.zeros(g.dtype(), g.device(), shape);
        try (var ng = Autograd.noGrad()) {
            Tensor region = out.slice(d, start, start + (g.shape[d] - 1) * step + 1, step);
            if (g.numel() > 0) {
                Ops.kernels(g.device()).copy(Ops.strided(g), Ops.strided(region));
            }
        }
        int count = g.shape[d];
        return Ops.record("embed", out, new Tensor[] {g}, new Tensor[0],
                gg -> new Tensor[] {gg.slice(d, start, start + (count - 1) * step + 1, step)});
    }

    static Tensor flatten(Tensor x, int startDim, int endDim) {
        Ops.open("flatten", x);
        if (x.shape.length == 0) {
            return reshape(x, new int[] {1}, false);
        }
        int s = Shape.dim("flatten", startDim, x.shape), e = Shape.dim("flatten", endDim, x.shape);
        if (s > e) {
            throw new IllegalArgumentException("flatten: startDim " + startDim + " comes after endDim " + endDim + " for shape " + Shape.format(x.shape));
        }
        int[] shape = new int[x.shape.length - (e - s)];
        int j = 0;
        for (int i = 0; i < s; i++) {
            shape[j++] = x.shape[i];
        }
        long n = 1;
        for (int i = s; i <= e; i++) {
            n *= x.shape[i];
        }
        shape[j++] = (int) n;
        for (int i = e + 1; i < x.shape.length; i++) {
            shape[j++] = x.shape[i];
        }
        return reshape(x, shape, false);
    }

    static Tensor contiguous(Tensor x) {
        Ops.open("contiguous", x);
        return x.isContiguous() ? x : Conversions.copy(x);
    }

    static Tensor[] split(Tensor x, int splitSize, int dim) {
        Ops.open("split", x);
        int d = Shape.dim("split", dim, x.shape);
        if (splitSize <= 0) {
            throw new IllegalArgumentException("split: splitSize must be positive, got " + splitSize);
        }
        int size = x.shape[d];
        int n = Math.max(1, (size + splitSize - 1) / splitSize);
        Tensor[] out = new Tensor[n];
        for (int i = 0; i < n; i++) {
            int start = i * splitSize;
            out[i] = narrow(x, d, start, Math.min(splitSize, size - start));
        }
        return out;
    }

    static Tensor[] chunk(Tensor x, int chunks, int dim) {
        Ops.open("chunk", x);
        if (chunks <= 0) {
            throw new IllegalArgumentException("chunk: number of chunks must be positive, got " + chunks);
        }
        int d = Shape.dim("chunk", dim, x.shape);
        int size = x.shape[d];
        int per = Math.max(1, (size + chunks - 1) / chunks);
        return split(x, per, d);
    }

    static Tensor cat(int dim, Tensor[] ts) {
        return Scope.intermediates(() -> catOf(dim, ts));
    }

    private static Tensor catOf(int dim, Tensor[] ts) {
        if (ts == null || ts.length == 0) {
            throw new IllegalArgumentException("cat: needs at least one tensor");
        }
        Ops.open("cat", ts);
        Tensor first = ts[0];
        if (first.shape.length == 0) {
            throw new IllegalArgumentException("cat: 0-d tensors cannot be concatenated; use stack(), or unsqueeze(0) them first");
        }
        int d = Shape.dim("cat", dim, first.shape);
        long total = 0;
        for (int i = 0; i < ts.length; i++) {
            Tensor t = ts[i];
            Ops.sameDevice("cat", first, t);
            Ops.sameDtype("cat", first, t);
            boolean ok = t.shape.length == first.shape.length;
            for (int k = 0; ok && k < t.shape.length; k++) {
                ok = k == d || t.shape[k] == first.shape[k];
            }
            if (!ok) {
                throw new IllegalArgumentException("cat: tensor " + i + " has shape " + Shape.format(t.shape) + " but tensor 0 has "
                        + Shape.format(first.shape) + "; all sizes except dim " + d + " must match");
            }
            total += t.shape[d];
        }
        int[] shape = first.shape.clone();
        shape[d] = Math.toIntExact(total);
        Tensor out = Ops.empty(first.dtype(), first.device(), shape);
        int[] starts = new int[ts.length];
        try (var g = Autograd.noGrad()) {
            int at = 0;
            for (int i = 0; i < ts.length; i++) {
                starts[i] = at;
                if (ts[i].numel() > 0) {
                    Ops.kernels(out.device()).copy(Ops.strided(ts[i]), Ops.strided(out.narrow(d, at, ts[i].shape[d])));
                }
                at += ts[i].shape[d];
            }
        }
        Tensor[] inputs = ts.clone();
        return Ops.record("cat", out, inputs, new Tensor[0], g -> {
            Tensor[] grads = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                grads[i] = inputs[i].requiresGrad() ? g.narrow(d, starts[i], inputs[i].shape[d]) : null;
            }
            return grads;
        });
    }

    static Tensor stack(int dim, Tensor[] ts) {
        if (ts == null || ts.length == 0) {
            throw new IllegalArgumentException("stack: needs at least one tensor");
        }
        Ops.open("stack", ts);
        for (int i = 1; i < ts.length; i++) {
            Ops.sameDevice("stack", ts[0], ts[i]);
            Ops.sameDtype("stack", ts[0], ts[i]);
            if (!Arrays.equals(ts[i].shape, ts[0].shape)) {
                throw new IllegalArgumentException("stack: tensor " + i + " has shape " + Shape.format(ts[i].shape) + " but tensor 0 has "
                        + Shape.format(ts[0].shape) + "; stack needs equal shapes");
            }
        }
        int d = Shape.dim("stack", dim, ts[0].shape.length + 1, ts[0].shape);
        return Scope.intermediates(() -> {
            Tensor[] u = new Tensor[ts.length];
            for (int i = 0; i < ts.length; i++) {
                u[i] = unsqueeze(ts[i], d);
            }
            return cat(d, u);
        });
    }

    static Tensor[] unbind(Tensor x, int dim) {
        Ops.open("unbind", x);
        int d = Shape.dim("unbind", dim, x.shape);
        Tensor[] out = new Tensor[x.shape[d]];
        for (int i = 0; i < out.length; i++) {
            out[i] = select(x, d, i);
        }
        return out;
    }
}
