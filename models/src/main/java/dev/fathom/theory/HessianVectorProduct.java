package dev.fathom.theory;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Hessian-vector products {@code H·v} of a scalar loss L(θ), where θ is a list of leaf tensors (a
 * model's parameters) and {@code H = ∂²L/∂θ²}, by double backward (Pearlmutter's trick, as
 * {@code torch.autograd.functional.hvp}):
 *
 * <pre>
 *   g = ∂L/∂θ          (Autograd.grad with createGraph: g is part of a new graph)
 *   H·v = ∂(g·v)/∂θ    (a second pass, seeded with v: the vector-Jacobian product of g)
 * </pre>
 *
 * <p>Conventions: H is the Hessian of the loss exactly as the supplier computes it; nothing is
 * averaged, scaled or regularized here (a mean-reduced loss gives the Hessian of the mean). The
 * supplier is called once per product, with grad mode on, so the loss may be a fresh forward pass
 * over a fixed batch; it must be deterministic (put dropout and batch norm in {@code eval()}) or
 * the products are of different functions. Gradients land in no {@code .grad()}: the parameters'
 * accumulated gradients are left as they are. Parameters are read through {@link Parameter#data()}
 * on every product, so a module moved or reloaded between products is followed.
 *
 * <p>Two forms of v: a list of tensors shaped, typed and placed like the leaves (the result is
 * alike), or one flat {@code double[]} of {@link #dimension()} entries, the leaves flattened in
 * row-major order and concatenated in list order (the result is alike; the products then run in
 * the leaves' dtype, so an F32 model gives F32-accurate products returned as doubles).
 *
 * <p>Memory: each product runs in its own {@link Scope}; the forward graph, the gradient graph and
 * every temporary are closed before it returns. Result tensors belong to the caller (to the
 * enclosing scope, if any).
 *
 * <pre>{@code
 * Tensor x = ..., y = ...;                        // a fixed batch
 * var hvp = HessianVectorProduct.of(() -> Functional.mseLoss(model.forward(x), y), model.parameters());
 * double[] hv = hvp.apply(v);                     // v.length == hvp.dimension()
 * double[] top = HessianSpectrum.largest(hvp, 3, 30, new Generator(0));
 * }</pre>
 */
public final class HessianVectorProduct {
    private final Supplier<Tensor> loss;
    private final Supplier<List<Tensor>> leaves;

    private HessianVectorProduct(Supplier<Tensor> loss, Supplier<List<Tensor>> leaves) {
        this.loss = loss;
        this.leaves = leaves;
    }

    /**
     * Products of the Hessian of {@code loss} with respect to {@code parameters} (e.g.
     * {@code model.parameters()}); each must be trainable.
     */
    public static HessianVectorProduct of(Supplier<Tensor> loss, List<Parameter> parameters) {
        Objects.requireNonNull(loss, "HessianVectorProduct.of: the loss supplier is null");
        Objects.requireNonNull(parameters, "HessianVectorProduct.of: the parameter list is null");
        List<Parameter> ps = List.copyOf(parameters);
        if (ps.isEmpty()) {
            throw new IllegalArgumentException("HessianVectorProduct.of: no parameters to differentiate with respect to;"
                    + " pass model.parameters() of a module that has trainable parameters");
        }
        HessianVectorProduct h = new HessianVectorProduct(loss, () -> ps.stream().map(Parameter::data).toList());
        h.leaves();
        return h;
    }

    /**
     * Products of the Hessian of {@code loss} with respect to {@code leaves}: leaf tensors that
     * require grad, which the loss reads.
     */
    public static HessianVectorProduct ofTensors(Supplier<Tensor> loss, List<Tensor> leaves) {
        Objects.requireNonNull(loss, "HessianVectorProduct.ofTensors: the loss supplier is null");
        Objects.requireNonNull(leaves, "HessianVectorProduct.ofTensors: the leaf list is null");
        for (Tensor t : leaves) {
            Objects.requireNonNull(t, "HessianVectorProduct.ofTensors: a leaf is null");
        }
        List<Tensor> ls = List.copyOf(leaves);
        if (ls.isEmpty()) {
            throw new IllegalArgumentException("HessianVectorProduct.ofTensors: no tensors to differentiate with respect to;"
                    + " pass the leaves (requiresGrad(true)) the loss is computed from");
        }
        HessianVectorProduct h = new HessianVectorProduct(loss, () -> ls);
        h.leaves();
        return h;
    }

    /** The number of scalars in θ: the Hessian is {@code dimension() × dimension()}. */
    public long dimension() {
        long n = 0;
        for (Tensor t : leaves()) {
            n += t.numel();
        }
        return n;
    }

    /**
     * H·v for v shaped like the leaves (same count, shapes, dtype and device, in order); returns
     * new tensors alike, owned by the caller.
     */
    public List<Tensor> apply(List<Tensor> v) {
        Objects.requireNonNull(v, "HessianVectorProduct.apply: v is null");
        Tensor[] ls = leaves().toArray(Tensor[]::new);
        if (v.size() != ls.length) {
            throw new IllegalArgumentException("HessianVectorProduct.apply: v has " + v.size() + " tensors but there are " + ls.length
                    + " parameters " + shapes(ls) + "; pass one tensor per parameter, in order");
        }
        Tensor[] vs = new Tensor[ls.length];
        for (int i = 0; i < ls.length; i++) {
            Tensor vi = Objects.requireNonNull(v.get(i), "HessianVectorProduct.apply: v[" + i + "] is null");
            vi.checkOpen("HessianVectorProduct.apply");
            if (!Arrays.equals(vi.shape(), ls[i].shape()) || vi.dtype() != ls[i].dtype() || !vi.device().equals(ls[i].device())) {
                throw new IllegalArgumentException("HessianVectorProduct.apply: v[" + i + "] is " + vi.describe() + " but parameter " + i
                        + " is " + ls[i].describe() + "; pass v shaped, typed and placed like the parameters (convert with to(...))");
            }
            vs[i] = vi;
        }
        Tensor[] hv = product("HessianVectorProduct.apply", ls, vs);
        try {
            for (int i = 0; i < hv.length; i++) {
                requireFinite("HessianVectorProduct.apply", hv[i].toDoubleArray(), "H·v for parameter " + i + " " + hv[i].describe());
            }
        } catch (RuntimeException e) {
            for (Tensor t : hv) {
                t.close();   // the caller never sees them
            }
            throw e;
        }
        return List.of(hv);
    }

    /**
     * H·v for a flat v of {@link #dimension()} entries (the leaves flattened row-major and
     * concatenated in order); returns H·v in the same layout.
     */
    public double[] apply(double[] v) {
        Objects.requireNonNull(v, "HessianVectorProduct.apply: v is null");
        Tensor[] ls = leaves().toArray(Tensor[]::new);
        long n = dimension();
        if (v.length != n) {
            throw new IllegalArgumentException("HessianVectorProduct.apply: v has " + v.length + " entries but the parameters "
                    + shapes(ls) + " have " + n + "; pass one entry per parameter scalar, flattened in parameter order");
        }
        requireFinite("HessianVectorProduct.apply", v, "v");
        double[] out = new double[v.length];
        try (Scope s = Scope.open()) {
            Tensor[] vs = new Tensor[ls.length];
            int offset = 0;
            for (int i = 0; i < ls.length; i++) {
                int m = (int) ls[i].numel();
                vs[i] = Tensor.of(Arrays.copyOfRange(v, offset, offset + m), ls[i].shape()).to(ls[i].dtype()).to(ls[i].device());
                offset += m;
            }
            Tensor[] hv = product("HessianVectorProduct.apply", ls, vs);
            offset = 0;
            for (Tensor t : hv) {
                double[] part = t.toDoubleArray();
                System.arraycopy(part, 0, out, offset, part.length);
                offset += part.length;
            }
        }
        requireFinite("HessianVectorProduct.apply", out, "H·v");
        return out;
    }

    /** The double-backward product; every temporary is closed, the results go to the caller's scope. */
    private Tensor[] product(String op, Tensor[] ls, Tensor[] vs) {
        Tensor[] result = new Tensor[ls.length];
        try (Scope s = Scope.open(); GradMode on = Autograd.enableGrad()) {
            Tensor l = evaluate(op, ls);
            Tensor[] g = Autograd.grad(new Tensor[] {l}, ls, true);
            // A gradient that does not depend on θ (L linear in that leaf) adds nothing to H·v.
            List<Tensor> outs = new ArrayList<>();
            List<Tensor> seeds = new ArrayList<>();
            for (int i = 0; i < g.length; i++) {
                if (g[i].requiresGrad()) {
                    outs.add(g[i]);
                    seeds.add(vs[i]);
                }
            }
            Tensor[] hv = outs.isEmpty() ? null
                    : Autograd.grad(outs.toArray(Tensor[]::new), seeds.toArray(Tensor[]::new), ls, false, false);
            for (int i = 0; i < ls.length; i++) {
                Tensor r = hv == null ? Tensor.zerosLike(ls[i]) : hv[i];
                result[i] = s.keep(r.isContiguous() ? r : r.contiguous());
            }
        }
        return result;
    }

    /** Calls the supplier and checks that it gave a finite scalar that depends on the leaves. */
    private Tensor evaluate(String op, Tensor[] ls) {
        Tensor l = loss.get();
        if (l == null) {
            throw new IllegalArgumentException(op + ": the loss supplier returned null; return the scalar loss tensor");
        }
        l.checkOpen(op);
        if (l.numel() != 1) {
            throw new IllegalArgumentException(op + ": the loss must be a scalar, got shape " + Shape.format(l.shape())
                    + "; reduce it with sum() or mean()");
        }
        if (!l.dtype().isFloating()) {
            throw new IllegalArgumentException(op + ": the loss must be floating, got " + l.describe());
        }
        if (!l.requiresGrad()) {
            throw new IllegalArgumentException(op + ": the loss " + l.describe() + " does not depend on the parameters " + shapes(ls)
                    + " (it does not require grad); compute it from them, and do not detach it");
        }
        double value = l.itemDouble();
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(op + ": the loss is " + value + " at the current parameters; its Hessian is undefined");
        }
        return l;
    }

    /** The current leaves, checked: open, floating, requiring grad. */
    List<Tensor> leaves() {
        List<Tensor> ls = leaves.get();
        for (int i = 0; i < ls.size(); i++) {
            Tensor t = ls.get(i);
            t.checkOpen("HessianVectorProduct");
            if (!t.requiresGrad() || !t.isLeaf()) {
                throw new IllegalArgumentException("HessianVectorProduct: parameter " + i + " " + t.describe()
                        + (t.isLeaf() ? " does not require grad; call requiresGrad(true) on it (a module's buffers are not parameters)"
                                : " is not a leaf; differentiate with respect to the leaf it was computed from"));
            }
        }
        return ls;
    }

    static void requireFinite(String op, double[] values, String what) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(op + ": " + what + " is not finite: entry " + i + " is " + values[i]
                        + "; check the loss and the parameters for NaN or overflow");
            }
        }
    }

    static String shapes(Tensor[] ts) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < ts.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(Shape.format(ts[i].shape()));
        }
        return sb.append(']').toString();
    }
}
