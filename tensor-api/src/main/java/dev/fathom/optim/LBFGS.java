package dev.fathom.optim;

import dev.fathom.autograd.Autograd;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Limited-memory BFGS (Liu and Nocedal, "On the limited memory BFGS method for large scale
 * optimization", 1989), as {@code torch.optim.LBFGS}: each {@link #step(Supplier)} runs up to
 * {@code maxIterations} iterations, each a step along the two-loop recursion's direction over the
 * last {@code historySize} curvature pairs, of {@code lr} (the first iteration of a run scales it by
 * {@code min(1, 1/‖g‖₁)}) or, with {@code strongWolfe}, the step the strong-Wolfe line search
 * finds from there ({@link StrongWolfe}); it stops early, as PyTorch's does, when the largest
 * gradient entry is at most {@code toleranceGrad}, the step or the loss change is below
 * {@code toleranceChange}, or {@code maxEvaluations} losses were computed.
 *
 * <p>Unlike {@link Optimizer}, it needs the loss again at every iteration: the closure computes it
 * (a scalar) from the parameters' current values; LBFGS clears their gradients, runs backward and
 * reads them, inside a scope of its own. All parameters share one dtype and device; the history
 * lives there as flat vectors until {@link #close()}. For the small, smooth problems it suits
 * (fits, physics), see also {@code dev.fathom.theory.LevenbergMarquardt} for least squares. Not
 * thread-safe.
 */
public final class LBFGS implements AutoCloseable {
    /**
     * @param lr              step length (PyTorch's default 1)
     * @param maxIterations   iterations per {@link #step} (default 20)
     * @param maxEvaluations  loss evaluations per step (default 1.25 × maxIterations)
     * @param toleranceGrad   stop when every gradient entry is at most this in magnitude (default 1e-7)
     * @param toleranceChange stop when the step or the loss change is below this (default 1e-9)
     * @param historySize     curvature pairs kept (default 100)
     * @param strongWolfe     search each step's length by the strong-Wolfe conditions (PyTorch's {@code line_search_fn="strong_wolfe"}); default off
     */
    public record Config(double lr, int maxIterations, int maxEvaluations, double toleranceGrad, double toleranceChange, int historySize,
                         boolean strongWolfe) {
        public Config {
            if (!(lr > 0) || Double.isInfinite(lr) || maxIterations < 1 || maxEvaluations < 1 || !(toleranceGrad >= 0) || !(toleranceChange >= 0)
                    || historySize < 1) {
                throw new IllegalArgumentException("LBFGS: need a finite lr > 0, maxIterations, maxEvaluations and historySize >= 1 and "
                        + "tolerances >= 0; got " + lr + ", " + maxIterations + ", " + maxEvaluations + ", " + historySize + ", " + toleranceGrad
                        + ", " + toleranceChange);
            }
        }

        /** PyTorch's defaults: lr 1, 20 iterations, 25 evaluations, tolerances 1e-7 and 1e-9, history 100. */
        public static Config defaults() {
            return new Config(1, 20, 25, 1e-7, 1e-9, 100, false);
        }

        /** These settings with another learning rate. */
        public Config withLr(double value) {
            return new Config(value, maxIterations, maxEvaluations, toleranceGrad, toleranceChange, historySize, strongWolfe);
        }

        /** These settings with {@code iterations} per step and PyTorch's evaluation budget for them (1.25 ×). */
        public Config withMaxIterations(int iterations) {
            return new Config(lr, iterations, iterations * 5 / 4, toleranceGrad, toleranceChange, historySize, strongWolfe);
        }

        /** These settings with another history size. */
        public Config withHistorySize(int pairs) {
            return new Config(lr, maxIterations, maxEvaluations, toleranceGrad, toleranceChange, pairs, strongWolfe);
        }

        /** These settings with the strong-Wolfe line search on or off. */
        public Config withStrongWolfe(boolean on) {
            return new Config(lr, maxIterations, maxEvaluations, toleranceGrad, toleranceChange, historySize, on);
        }
    }

    private final List<Parameter> params;
    private final Config config;
    private final List<Tensor> oldDirs = new ArrayList<>(), oldSteps = new ArrayList<>();
    private final List<Double> rho = new ArrayList<>();
    private Tensor direction, previousGrad;
    private double t, hDiag = 1;
    private long iterations, evaluations;
    private boolean closed;

    public LBFGS(List<Parameter> params, Config config) {
        this.config = Objects.requireNonNull(config, "LBFGS: the config is null; pass Config.defaults() or a copy of it with the changes");
        if (params == null || params.isEmpty()) {
            throw new IllegalArgumentException("LBFGS: got " + (params == null ? "null for the" : "an empty") + " parameter list; pass model.parameters()");
        }
        this.params = List.copyOf(params);
        Tensor first = this.params.getFirst().data();
        for (int i = 0; i < this.params.size(); i++) {
            Tensor p = Objects.requireNonNull(this.params.get(i), "LBFGS: parameter " + i + " is null").data();
            if (!this.params.get(i).trainable() || p.dtype() != first.dtype() || !p.device().equals(first.device()) || !p.dtype().isFloating()) {
                throw new IllegalArgumentException("LBFGS: parameter " + i + " is " + p.describe() + (this.params.get(i).trainable() ? "" : ", a buffer")
                        + "; every parameter must be trainable, floating and of parameter 0's dtype and device (" + first.describe() + ")");
            }
        }
    }

    /** Runs up to {@code maxIterations} iterations; returns the loss at the parameters the step started from. */
    public double step(Supplier<Tensor> closure) {
        Objects.requireNonNull(closure, "LBFGS.step: the closure is null; pass () -> the loss at the parameters' current values");
        if (closed) {
            throw new IllegalStateException("LBFGS.step: used after close()");
        }
        Config c = config;
        double[] lossOut = new double[1];
        Tensor grad = evaluate(closure, lossOut);
        double originalLoss = lossOut[0], loss = originalLoss;
        int currentEvaluations = 1;
        evaluations++;
        if (maxAbs(grad) <= c.toleranceGrad()) {
            grad.close();
            return originalLoss;
        }
        for (int n = 1; n <= c.maxIterations(); n++) {
            iterations++;
            try (Scope s = Scope.open(); var g = Autograd.noGrad()) {
                if (iterations == 1) {
                    direction = replaced(direction, grad.neg());
                    clearHistory();
                    hDiag = 1;
                } else {
                    Tensor y = grad.sub(previousGrad), step = direction.mul(t);
                    double ys = dot(y, step);
                    if (ys > 1e-10) {
                        if (oldDirs.size() == c.historySize()) {
                            oldDirs.removeFirst().close();
                            oldSteps.removeFirst().close();
                            rho.removeFirst();
                        }
                        oldDirs.add(Scope.escape(y));
                        oldSteps.add(Scope.escape(step));
                        rho.add(1 / ys);
                        hDiag = ys / dot(y, y);
                    }
                    // The two-loop recursion: q ← −g through the history backwards, then r ← H₀·q forwards.
                    int k = oldDirs.size();
                    double[] alpha = new double[k];
                    Tensor q = grad.neg();
                    for (int i = k - 1; i >= 0; i--) {
                        alpha[i] = dot(oldSteps.get(i), q) * rho.get(i);
                        q = q.sub(oldDirs.get(i).mul(alpha[i]));
                    }
                    Tensor r = q.mul(hDiag);
                    for (int i = 0; i < k; i++) {
                        double beta = dot(oldDirs.get(i), r) * rho.get(i);
                        r = r.add(oldSteps.get(i).mul(alpha[i] - beta));
                    }
                    direction = replaced(direction, r);
                }
                previousGrad = replaced(previousGrad, grad.clone());
                double previousLoss = loss;
                t = iterations == 1 ? Math.min(1, 1 / grad.abs().sum().itemDouble()) * c.lr() : c.lr();
                if (dot(grad, direction) > -c.toleranceChange()) {
                    break;   // not a descent direction
                }
                boolean optimal = false;
                int searched = 0;
                if (c.strongWolfe()) {
                    StrongWolfe.Step found = lineSearch(closure, t, loss, grad, c.toleranceChange());
                    grad.close();
                    grad = found.grad();
                    loss = found.loss();
                    t = found.t();
                    searched = found.evaluations();
                    addToParameters(t, direction);
                    optimal = maxAbs(grad) <= c.toleranceGrad();
                } else {
                    addToParameters(t, direction);
                    if (n != c.maxIterations()) {
                        // The last iteration leaves the loss unevaluated, as PyTorch's does.
                        grad.close();
                        grad = evaluate(closure, lossOut);
                        loss = lossOut[0];
                        optimal = maxAbs(grad) <= c.toleranceGrad();
                        searched = 1;
                    }
                }
                currentEvaluations += searched;
                evaluations += searched;
                if (n == c.maxIterations() || currentEvaluations >= c.maxEvaluations() || optimal
                        || maxAbs(direction) * Math.abs(t) <= c.toleranceChange() || Math.abs(loss - previousLoss) < c.toleranceChange()) {
                    break;
                }
            }
        }
        grad.close();
        return originalLoss;
    }

    /** Iterations run so far (PyTorch's {@code n_iter}). */
    public long iterations() {
        return iterations;
    }

    /** Losses computed so far (PyTorch's {@code func_evals}). */
    public long evaluations() {
        return evaluations;
    }

    /** The loss of {@code closure} (into {@code loss[0]}) and the parameters' gradient as one flat vector, outside every scope. */
    private Tensor evaluate(Supplier<Tensor> closure, double[] loss) {
        try (Scope s = Scope.open(); var on = Autograd.enableGrad()) {
            for (Parameter p : params) {
                p.zeroGrad();
            }
            Tensor l = closure.get();
            if (l == null || l.numel() != 1) {
                throw new IllegalArgumentException("LBFGS.step: the closure must return the loss, one number; got " + (l == null ? "null" : l.describe()));
            }
            loss[0] = l.itemDouble();
            l.backward();
            Tensor first = params.getFirst().data();
            Tensor[] parts = new Tensor[params.size()];
            try (var g = Autograd.noGrad()) {
                for (int i = 0; i < parts.length; i++) {
                    Tensor d = params.get(i).data(), gi = d.grad();
                    parts[i] = gi == null ? Tensor.zeros(first.dtype(), first.device(), (int) d.numel()) : gi.reshape(-1);
                }
                // A copy either way: the gradients are cleared (closed) at the next evaluation.
                return Scope.escape(parts.length == 1 ? parts[0].clone() : Tensor.cat(0, parts));
            }
        }
    }

    /** The strong-Wolfe step along the direction from the parameters' current values, which each trial restores. */
    private StrongWolfe.Step lineSearch(Supplier<Tensor> closure, double t0, double loss, Tensor grad, double toleranceChange) {
        List<Tensor> start = new ArrayList<>();
        try (var g = Autograd.noGrad()) {
            for (Parameter p : params) {
                start.add(Scope.escape(p.data().clone()));
            }
        }
        try {
            double gtd = dot(grad, direction);
            double[] lossOut = new double[1];
            return StrongWolfe.search(step -> {
                addToParameters(step, direction);
                Tensor g = evaluate(closure, lossOut);
                try (var off = Autograd.noGrad()) {
                    for (int i = 0; i < params.size(); i++) {
                        params.get(i).data().copyFrom(start.get(i));
                    }
                }
                return new StrongWolfe.Evaluation(lossOut[0], g);
            }, t0, direction, loss, grad, gtd, toleranceChange);
        } finally {
            start.forEach(Tensor::close);
        }
    }

    private void addToParameters(double step, Tensor d) {
        try (Scope s = Scope.open(); var g = Autograd.noGrad()) {
            long offset = 0;
            for (Parameter p : params) {
                Tensor data = p.data();
                int n = (int) data.numel();
                data.addInPlace(d.narrow(0, (int) offset, n).reshape(data.shape()), step);
                offset += n;
            }
        }
    }

    /** {@code value}, kept outside every scope, in place of {@code old}, which is closed. */
    private static Tensor replaced(Tensor old, Tensor value) {
        Tensor kept = Scope.escape(value);
        if (old != null && old != kept) {
            old.close();
        }
        return kept;
    }

    private void clearHistory() {
        oldDirs.forEach(Tensor::close);
        oldSteps.forEach(Tensor::close);
        oldDirs.clear();
        oldSteps.clear();
        rho.clear();
    }

    static double dot(Tensor a, Tensor b) {
        try (Scope s = Scope.open()) {
            return a.mul(b).sum().itemDouble();
        }
    }

    static double maxAbs(Tensor v) {
        try (Scope s = Scope.open(); var g = Autograd.noGrad()) {
            return v.abs().max().itemDouble();
        }
    }

    /** Frees the history; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        clearHistory();
        if (direction != null) {
            direction.close();
        }
        if (previousGrad != null) {
            previousGrad.close();
        }
    }

    @Override
    public String toString() {
        return "LBFGS(" + config + ", " + params.size() + " parameters, " + iterations + " iterations)";
    }
}
