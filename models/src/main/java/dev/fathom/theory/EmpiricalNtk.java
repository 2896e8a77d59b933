package dev.fathom.theory;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The empirical neural tangent kernel of a model f(x; θ) with outputs {@code [N, K]}:
 *
 * <pre>
 *   Θ(x₁, x₂)[n, m, a, b] = Σ_p ∂f_a(x₁[n])/∂θ_p · ∂f_b(x₂[m])/∂θ_p      i.e. Θ = J(x₁)·J(x₂)ᵀ
 * </pre>
 *
 * with J the Jacobian of the outputs with respect to every parameter, at the current parameters
 * (neural-tangents' {@code empirical_ntk_fn} with {@code trace_axes=()}, functorch's "full" NTK).
 *
 * <p>Layout: an F64 tensor {@code [N1, N2, K, K]}, on the parameters' device. As one
 * {@code [N1·K, N2·K]} matrix (rows sample-major, then output): {@code
 * ntk.permute(0, 2, 1, 3).reshape(N1 * K, N2 * K)}; the output-traced kernel {@code [N1, N2]} of
 * neural-tangents' default is Σ_a Θ[n, m, a, a]. No normalization is applied: in the standard
 * parametrization Θ grows with width (there is no 1/width factor, and no 1/N); a model written in
 * the NTK parametrization gives the NTK-parametrized kernel.
 *
 * <p>Computation: one forward pass per input batch and one backward pass per output entry
 * (N·K passes, the graph retained between them), giving J's rows in the model's dtype; the rows
 * are converted to F64 and Θ = J₁ J₂ᵀ is one F64 matmul. Memory is the N·K × P Jacobian (P the
 * parameter count) in F64, so this is for small models or small batches (more than 2²⁸ entries is
 * refused). The model runs as it is:
 * put dropout and batch norm in {@code eval()} first. Every temporary is closed; the result belongs
 * to the caller (to the enclosing scope, if any). Parameters' {@code .grad()} are not touched.
 *
 * <pre>{@code
 * model.eval();
 * Tensor ntk = EmpiricalNtk.compute(model, x, x);          // [N, N, K, K]
 * Tensor gram = ntk.permute(0, 2, 1, 3).reshape(n * k, n * k);
 * }</pre>
 */
public final class EmpiricalNtk {
    /** The most F64 entries one Jacobian may hold (2 GiB). */
    static final long MAX_JACOBIAN = 1L << 28;

    private EmpiricalNtk() {
    }

    /** Θ(x1, x2) for {@code model.forward} with respect to all of {@code model.parameters()}. */
    public static Tensor compute(Module model, Tensor x1, Tensor x2) {
        Objects.requireNonNull(model, "EmpiricalNtk.compute: the model is null");
        return compute(model::forward, model.parameters(), x1, x2);
    }

    /**
     * Θ(x1, x2) for {@code f} with respect to {@code parameters}; f maps a batch {@code [N, …]} to
     * outputs {@code [N, K]}. With {@code x2 == x1} (the same tensor) J is computed once.
     */
    public static Tensor compute(Function<Tensor, Tensor> f, List<Parameter> parameters, Tensor x1, Tensor x2) {
        String op = "EmpiricalNtk.compute";
        Objects.requireNonNull(f, op + ": the model function is null");
        Objects.requireNonNull(parameters, op + ": the parameter list is null");
        Objects.requireNonNull(x1, op + ": x1 is null");
        Objects.requireNonNull(x2, op + ": x2 is null");
        x1.checkOpen(op);
        x2.checkOpen(op);
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException(op + ": no parameters; pass model.parameters() of a module that has trainable parameters");
        }
        Tensor[] leaves = new Tensor[parameters.size()];
        for (int i = 0; i < leaves.length; i++) {
            Parameter p = Objects.requireNonNull(parameters.get(i), op + ": parameter " + i + " is null");
            leaves[i] = p.data();
            if (!leaves[i].requiresGrad()) {
                throw new IllegalArgumentException(op + ": parameter " + i + " " + leaves[i].describe()
                        + " does not require grad; pass trainable parameters (a module's buffers are not parameters)");
            }
        }
        Tensor result;
        try (Scope s = Scope.open()) {
            Jacobian j1 = jacobian(op, f, leaves, x1, "x1");
            Jacobian j2 = x2 == x1 ? j1 : jacobian(op, f, leaves, x2, "x2");
            if (j1.k != j2.k) {
                throw new IllegalArgumentException(op + ": the model gives " + j1.k + " outputs per example for x1 but " + j2.k
                        + " for x2; the kernel needs the same output size");
            }
            int k = j1.k;
            Tensor theta = j1.rows.matmul(j2.rows.t()).reshape(j1.n, k, j2.n, k).permute(0, 2, 1, 3).contiguous();
            HessianVectorProduct.requireFinite(op, theta.toDoubleArray(), "the kernel " + Shape.format(theta.shape()));
            result = s.keep(theta);
        }
        return result;
    }

    /** J(x) as F64 rows {@code [N·K, P]}: row n·K + a is ∂f_a(x[n])/∂θ, the parameters flattened in order. */
    private record Jacobian(Tensor rows, int n, int k) {
    }

    private static Jacobian jacobian(String op, Function<Tensor, Tensor> f, Tensor[] leaves, Tensor x, String name) {
        if (x.dim() < 1 || x.size(0) < 1) {
            throw new IllegalArgumentException(op + ": " + name + " must be a batch [N, ...] with N >= 1, got " + Shape.format(x.shape()));
        }
        try (Scope s = Scope.open(); GradMode on = Autograd.enableGrad()) {
            Tensor out = f.apply(x);
            if (out == null) {
                throw new IllegalArgumentException(op + ": the model returned null for " + name + " " + x.describe());
            }
            if (out.dim() != 2 || out.size(0) != x.size(0)) {
                throw new IllegalArgumentException(op + ": the model must map " + name + " " + Shape.format(x.shape()) + " to outputs [N, K] with N = "
                        + x.size(0) + ", got " + Shape.format(out.shape()) + "; reshape a [N] output to [N, 1]");
            }
            if (!out.requiresGrad()) {
                throw new IllegalArgumentException(op + ": the model's output " + out.describe()
                        + " does not depend on the parameters (it does not require grad); compute it from them, and do not detach it");
            }
            int n = out.size(0);
            int k = out.size(1);
            long count = 0;
            for (Tensor leaf : leaves) {
                count += leaf.numel();
            }
            if ((long) n * k * count > MAX_JACOBIAN) {
                throw new IllegalArgumentException(op + ": the Jacobian for " + name + " would be [" + n * k + ", " + count + "] (N·K × parameters), more than "
                        + MAX_JACOBIAN + " doubles; use a smaller batch or model");
            }
            Tensor[] rows = new Tensor[n * k];
            for (int i = 0; i < n; i++) {
                for (int a = 0; a < k; a++) {
                    try (Scope row = Scope.open()) {
                        Tensor entry = out.select(0, i).select(0, a);
                        Tensor[] g = Autograd.grad(new Tensor[] {entry}, null, leaves, false, true);
                        Tensor[] flat = new Tensor[g.length];
                        for (int p = 0; p < g.length; p++) {
                            flat[p] = g[p].flatten().to(DType.F64);
                        }
                        rows[i * k + a] = row.keep(Tensor.cat(0, flat));
                    }
                }
            }
            return new Jacobian(s.keep(Tensor.stack(0, rows)), n, k);
        }
    }
}
