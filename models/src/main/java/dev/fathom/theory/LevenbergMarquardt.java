package dev.fathom.theory;

import dev.fathom.autograd.Autograd;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Levenberg–Marquardt for nonlinear least squares: minimizes {@code C(θ) = ½‖r(θ)‖²} over a list of
 * parameters, where {@code r} is any residual tensor computed from {@link Parameter#data()} (flattened
 * to {@code [M]}), on Fathom's autograd. The classic algorithm with a multiplicative damping schedule,
 * not MINPACK's trust region (Moré 1978), which {@code scipy.optimize.least_squares(method='lm')}
 * runs: the two reach the same minima on well-posed problems by different iterates.
 *
 * <p>Each iteration, with θ flattened to {@code [P]} (parameters in list order, each row-major):
 * <pre>
 *   J = ∂r/∂θ                               [M, P], from autograd (see {@link JacobianMode})
 *   g = Jᵀr,  A = JᵀJ                        gradient of C and the Gauss–Newton matrix
 *   (A + λ·D) δ = −g                          D = diag(A) (Marquardt 1963) or I (Levenberg 1944)
 *   accept θ + δ if C(θ + δ) &lt; C(θ):  λ ← λ / lambdaDown;   else reject:  λ ← λ · lambdaUp
 * </pre>
 * The system is solved in F64 on the host by a Cholesky factorization, whatever the parameters'
 * dtype and device; parameters are written back in their own dtype. A zero column of J (a parameter
 * the residuals ignore) gets {@code D_jj = 1} so that the damped matrix stays positive definite.
 *
 * <p>Stopping, with tests of the form scipy's {@code least_squares} uses for its trust-region methods
 * ({@code gtol}, {@code xtol}, {@code ftol}): {@code ‖g‖∞ ≤ gradientTolerance}; a step with
 * {@code ‖δ‖ ≤ stepTolerance·(stepTolerance + ‖θ‖)}; an accepted step whose reduction
 * {@code C_old − C_new ≤ costTolerance·C_old}; or {@code maxIterations} trial steps. A tolerance of 0
 * turns that test off.
 *
 * <p>Size: the dense Jacobian and solve are for small problems. {@code P ≤ }{@link #MAX_PARAMETERS}
 * and {@code M·P ≤ }{@link #MAX_JACOBIAN_ENTRIES}; larger problems are refused with the sizes (use a
 * first-order optimizer from {@code dev.fathom.optim} there).
 *
 * <pre>{@code
 * // fit y = a·exp(b·x): parameters a, b; residuals a·exp(b·x) − y
 * Parameter a = new Parameter(Tensor.scalar(1.0), true), b = new Parameter(Tensor.scalar(0.1), true);
 * LevenbergMarquardtResult res = LevenbergMarquardt.minimize(
 *         () -> a.data().mul(x.mul(b.data()).exp()).sub(y), List.of(a, b));
 * }</pre>
 *
 * <p>References: K. Levenberg, "A method for the solution of certain non-linear problems in least
 * squares" (1944); D. Marquardt, "An algorithm for least-squares estimation of nonlinear parameters"
 * (1963); J. Moré, "The Levenberg–Marquardt algorithm: implementation and theory" (1978, MINPACK).
 * Not thread-safe: it mutates the parameters and uses this thread's grad mode and scopes.
 */
public final class LevenbergMarquardt {
    /** The largest number of scalar parameters P: the dense {@code [P, P]} solve stays small. */
    public static final int MAX_PARAMETERS = 2048;
    /** The largest Jacobian {@code M·P} (32 MiB of doubles). */
    public static final long MAX_JACOBIAN_ENTRIES = 1L << 22;

    /** The damping matrix D in {@code (JᵀJ + λD)δ = −Jᵀr}. */
    public enum Damping {
        /** {@code D = diag(JᵀJ)}: scale invariant (Marquardt 1963); the default. */
        MARQUARDT,
        /** {@code D = I} (Levenberg 1944). */
        LEVENBERG
    }

    /** How the Jacobian is built from autograd. */
    public enum JacobianMode {
        /** M vector–Jacobian products {@code e_iᵀJ}: one backward pass per residual (graph retained); the default. */
        REVERSE,
        /**
         * P Jacobian–vector products {@code J·e_j} by the double-backward trick: {@code Jv = ∂(Jᵀu)ᵀv/∂u}.
         * Cheaper when P &lt; M; needs every op of r to have a differentiable backward.
         */
        FORWARD
    }

    /** Why {@link #minimize} stopped. */
    public enum StopReason { GRADIENT_TOLERANCE, STEP_TOLERANCE, COST_TOLERANCE, MAX_ITERATIONS }

    /**
     * Settings; every field is printed by {@code toString}. Start from {@link #defaults()}.
     *
     * @param maxIterations     trial steps allowed (≥ 1)
     * @param initialLambda     λ₀ (&gt; 0)
     * @param lambdaUp          λ multiplier after a rejected step (&gt; 1)
     * @param lambdaDown        λ divisor after an accepted step (&gt; 1)
     * @param gradientTolerance stop when {@code ‖Jᵀr‖∞} is at most this (≥ 0)
     * @param stepTolerance     stop when {@code ‖δ‖ ≤ tol·(tol + ‖θ‖)} (≥ 0)
     * @param costTolerance     stop when an accepted step reduces C by at most {@code tol·C} (≥ 0)
     */
    public record Options(int maxIterations, double initialLambda, double lambdaUp, double lambdaDown,
                          double gradientTolerance, double stepTolerance, double costTolerance,
                          Damping damping, JacobianMode jacobian) {
        public Options {
            Objects.requireNonNull(damping, "LevenbergMarquardt.Options: damping is null");
            Objects.requireNonNull(jacobian, "LevenbergMarquardt.Options: jacobian is null");
            if (maxIterations < 1) {
                throw new IllegalArgumentException("LevenbergMarquardt.Options: maxIterations must be >= 1, got " + maxIterations);
            }
            if (!(initialLambda > 0) || !Double.isFinite(initialLambda)) {
                throw new IllegalArgumentException("LevenbergMarquardt.Options: initialLambda must be finite and > 0, got " + initialLambda);
            }
            if (!(lambdaUp > 1) || !(lambdaDown > 1) || !Double.isFinite(lambdaUp) || !Double.isFinite(lambdaDown)) {
                throw new IllegalArgumentException("LevenbergMarquardt.Options: lambdaUp and lambdaDown must be finite and > 1, got "
                        + lambdaUp + " and " + lambdaDown);
            }
            if (!(gradientTolerance >= 0) || !(stepTolerance >= 0) || !(costTolerance >= 0)) {
                throw new IllegalArgumentException("LevenbergMarquardt.Options: tolerances must be >= 0 (0 turns a test off), got gradient "
                        + gradientTolerance + ", step " + stepTolerance + ", cost " + costTolerance);
            }
        }

        /** 100 iterations, λ₀ = 1e-3, ×10 / ÷10, tolerances 1e-8 (scipy's), Marquardt damping, reverse mode. */
        public static Options defaults() {
            return new Options(100, 1e-3, 10, 10, 1e-8, 1e-8, 1e-8, Damping.MARQUARDT, JacobianMode.REVERSE);
        }

        public Options withMaxIterations(int n) {
            return new Options(n, initialLambda, lambdaUp, lambdaDown, gradientTolerance, stepTolerance, costTolerance, damping, jacobian);
        }

        /** Gradient, step and cost tolerances (0 turns one off). */
        public Options withTolerances(double gradient, double step, double cost) {
            return new Options(maxIterations, initialLambda, lambdaUp, lambdaDown, gradient, step, cost, damping, jacobian);
        }

        public Options withLambda(double initial, double up, double down) {
            return new Options(maxIterations, initial, up, down, gradientTolerance, stepTolerance, costTolerance, damping, jacobian);
        }

        public Options withDamping(Damping d) {
            return new Options(maxIterations, initialLambda, lambdaUp, lambdaDown, gradientTolerance, stepTolerance, costTolerance, d, jacobian);
        }

        public Options withJacobian(JacobianMode mode) {
            return new Options(maxIterations, initialLambda, lambdaUp, lambdaDown, gradientTolerance, stepTolerance, costTolerance, damping, mode);
        }
    }

    private LevenbergMarquardt() {
    }

    /** {@link #minimize(Supplier, List, Options)} with {@link Options#defaults()}. */
    public static LevenbergMarquardtResult minimize(Supplier<Tensor> residuals, List<Parameter> parameters) {
        return minimize(residuals, parameters, Options.defaults());
    }

    /**
     * Minimizes {@code ½‖r‖²}, updating {@code parameters} in place to the best point found.
     * {@code residuals} is called with grad enabled (for Jacobians) or disabled (for trial costs), each
     * time inside a scope of its own, so it must compute from the parameters' current {@code data()}.
     *
     * @throws IllegalArgumentException for null or empty arguments, a frozen, non-floating or repeated
     *                                  parameter, more than {@link #MAX_PARAMETERS} scalars, a Jacobian above
     *                                  {@link #MAX_JACOBIAN_ENTRIES}, residuals that are empty, non-floating,
     *                                  independent of the parameters, or not finite at the start
     */
    public static LevenbergMarquardtResult minimize(Supplier<Tensor> residuals, List<Parameter> parameters, Options options) {
        Objects.requireNonNull(residuals, "LevenbergMarquardt.minimize: residuals is null");
        Objects.requireNonNull(options, "LevenbergMarquardt.minimize: options is null");
        int p = checkParameters("LevenbergMarquardt.minimize", parameters);
        double[] theta = read(parameters, p);

        Linearization lin = linearize(residuals, parameters, p, options.jacobian(), true);
        int jacobians = 1;
        double cost = lin.cost();
        double initialCost = cost;
        double lambda = options.initialLambda();
        int iterations = 0;
        StopReason reason;
        while (true) {
            double[] g = lin.gradient();
            double[] a = lin.gaussNewton();
            if (maxAbs(g) <= options.gradientTolerance()) {
                reason = StopReason.GRADIENT_TOLERANCE;
                break;
            }
            if (iterations >= options.maxIterations()) {
                reason = StopReason.MAX_ITERATIONS;
                break;
            }
            iterations++;
            double[] delta = solveDamped(a, g, lambda, options.damping(), p);
            if (delta == null) {                                  // not positive definite in F64: damp harder
                lambda *= options.lambdaUp();
                continue;
            }
            double[] trial = theta.clone();
            for (int j = 0; j < p; j++) {
                trial[j] += delta[j];
            }
            write(parameters, trial);
            double trialCost = cost(residuals);
            boolean smallStep = norm(delta) <= options.stepTolerance() * (options.stepTolerance() + norm(theta));
            if (Double.isFinite(trialCost) && trialCost < cost) {
                double reduction = cost - trialCost;
                double before = cost;
                theta = trial;
                cost = trialCost;
                lambda = Math.max(lambda / options.lambdaDown(), Double.MIN_NORMAL);
                if (reduction <= options.costTolerance() * before) {
                    reason = StopReason.COST_TOLERANCE;
                    break;
                }
                if (smallStep) {
                    reason = StopReason.STEP_TOLERANCE;
                    break;
                }
                lin = linearize(residuals, parameters, p, options.jacobian(), false);
                jacobians++;
            } else {
                write(parameters, theta);
                lambda = Math.min(lambda * options.lambdaUp(), Double.MAX_VALUE);
                if (smallStep) {
                    reason = StopReason.STEP_TOLERANCE;
                    break;
                }
            }
        }
        return new LevenbergMarquardtResult(initialCost, cost, iterations, jacobians, reason, lambda);
    }

    /**
     * The Jacobian {@code ∂r/∂θ} as a row-major {@code [M, P]} array in F64, θ flattened in list order;
     * the same one {@link #minimize} uses. Same checks as {@code minimize}.
     */
    public static double[] jacobian(Supplier<Tensor> residuals, List<Parameter> parameters, JacobianMode mode) {
        Objects.requireNonNull(residuals, "LevenbergMarquardt.jacobian: residuals is null");
        Objects.requireNonNull(mode, "LevenbergMarquardt.jacobian: mode is null");
        int p = checkParameters("LevenbergMarquardt.jacobian", parameters);
        return linearize(residuals, parameters, p, mode, true).jacobian();
    }

    // ---- linearization: r and J at the current parameters --------------------------------------------------

    /** r [M] and J [M, P] (row-major) in F64. */
    private record Linearization(double[] residual, double[] jacobian, int m, int p) {
        double cost() {
            double s = 0;
            for (double v : residual) {
                s += v * v;
            }
            return 0.5 * s;
        }

        /** g = Jᵀr. */
        double[] gradient() {
            double[] g = new double[p];
            for (int i = 0; i < m; i++) {
                double ri = residual[i];
                for (int j = 0; j < p; j++) {
                    g[j] += jacobian[i * p + j] * ri;
                }
            }
            return g;
        }

        /** A = JᵀJ, [P, P] row-major. */
        double[] gaussNewton() {
            double[] a = new double[p * p];
            for (int i = 0; i < m; i++) {
                int row = i * p;
                for (int j = 0; j < p; j++) {
                    double jij = jacobian[row + j];
                    if (jij == 0) {
                        continue;
                    }
                    for (int k = j; k < p; k++) {
                        a[j * p + k] += jij * jacobian[row + k];
                    }
                }
            }
            for (int j = 0; j < p; j++) {
                for (int k = 0; k < j; k++) {
                    a[j * p + k] = a[k * p + j];
                }
            }
            return a;
        }
    }

    private static Linearization linearize(Supplier<Tensor> residuals, List<Parameter> parameters, int p, JacobianMode mode, boolean first) {
        String op = "LevenbergMarquardt.minimize";
        Tensor[] inputs = parameters.stream().map(Parameter::data).toArray(Tensor[]::new);
        try (var grad = Autograd.enableGrad(); Scope s = Scope.open()) {
            Tensor r = Objects.requireNonNull(residuals.get(), op + ": the residual function returned null");
            if (!r.dtype().isFloating()) {
                throw new IllegalArgumentException(op + ": residuals must be floating, got " + r.describe());
            }
            long m = r.numel();
            if (m == 0) {
                throw new IllegalArgumentException(op + ": the residuals are empty (" + Shape.format(r.shape()) + "); return at least one");
            }
            if (m * p > MAX_JACOBIAN_ENTRIES) {
                throw new IllegalArgumentException(op + ": the Jacobian would be [M, P] = [" + m + ", " + p + "] = " + m * p
                        + " entries, above the dense limit of " + MAX_JACOBIAN_ENTRIES + "; use fewer residuals (a batch) or"
                        + " parameters, or a first-order optimizer (dev.fathom.optim)");
            }
            double[] res = r.detach().toDoubleArray();
            for (int i = 0; i < res.length; i++) {
                if (!Double.isFinite(res[i])) {
                    throw new IllegalArgumentException(op + ": residual " + i + " of " + m + " is " + res[i] + (first
                            ? " at the starting parameters; start from a point where r(θ) is finite"
                            : " at an accepted point"));
                }
            }
            if (!r.requiresGrad()) {
                throw new IllegalArgumentException(op + ": the residuals " + r.describe() + " do not depend on the parameters;"
                        + " compute them from Parameter.data() (not under noGrad, not detached)");
            }
            int mi = (int) m;
            double[] jac = mode == JacobianMode.REVERSE ? reverse(r, inputs, mi, p) : forward(r, inputs, mi, p);
            for (int k = 0; k < jac.length; k++) {
                if (!Double.isFinite(jac[k])) {
                    throw new IllegalArgumentException(op + ": the Jacobian entry [" + k / p + ", " + k % p + "] is " + jac[k]
                            + "; the residuals are not differentiable at this point");
                }
            }
            return new Linearization(res, jac, mi, p);
        }
    }

    /** Row i of J is e_iᵀJ: one backward pass per residual, the graph retained until the last. */
    private static double[] reverse(Tensor r, Tensor[] inputs, int m, int p) {
        double[] jac = new double[m * p];
        double[] basis = new double[m];
        for (int i = 0; i < m; i++) {
            basis[i] = 1;
            Tensor seed = Tensor.of(basis).reshape(r.shape()).to(r.dtype()).to(r.device());
            basis[i] = 0;
            Tensor[] rows = Autograd.grad(new Tensor[] {r}, new Tensor[] {seed}, inputs, false, i + 1 < m);
            int col = 0;
            for (Tensor row : rows) {
                double[] v = row.toDoubleArray();
                System.arraycopy(v, 0, jac, i * p + col, v.length);
                col += v.length;
            }
        }
        return jac;
    }

    /**
     * Column j of J is J·e_j = ∂(uᵀJ e_j)/∂u: the vector–Jacobian product Jᵀu is recorded as a function
     * of a dummy u (it is linear in u), then differentiated once per parameter scalar.
     */
    private static double[] forward(Tensor r, Tensor[] inputs, int m, int p) {
        Tensor u = Tensor.zeros(r.dtype(), r.device(), r.shape()).requiresGrad(true);
        Tensor[] vjp = Autograd.grad(new Tensor[] {r}, new Tensor[] {u}, inputs, true, true);
        Tensor flat = Tensor.cat(0, java.util.Arrays.stream(vjp).map(t -> t.reshape((int) t.numel())).toArray(Tensor[]::new));
        double[] jac = new double[m * p];
        if (!flat.requiresGrad()) {
            return jac;                                          // r is constant in θ to first order
        }
        double[] basis = new double[p];
        for (int j = 0; j < p; j++) {
            basis[j] = 1;
            Tensor seed = Tensor.of(basis).to(flat.dtype()).to(flat.device());
            basis[j] = 0;
            double[] col = Autograd.grad(new Tensor[] {flat}, new Tensor[] {seed}, new Tensor[] {u}, false, true)[0].toDoubleArray();
            for (int i = 0; i < m; i++) {
                jac[i * p + j] = col[i];
            }
        }
        return jac;
    }

    private static double cost(Supplier<Tensor> residuals) {
        try (var g = Autograd.noGrad(); Scope s = Scope.open()) {
            Tensor r = Objects.requireNonNull(residuals.get(), "LevenbergMarquardt.minimize: the residual function returned null");
            double c = 0;
            for (double v : r.toDoubleArray()) {
                c += v * v;
            }
            return 0.5 * c;
        }
    }

    // ---- the damped normal equations, in F64 ------------------------------------------------------------------

    /** δ solving (A + λD)δ = −g, or null when the damped matrix is not positive definite in F64. */
    private static double[] solveDamped(double[] a, double[] g, double lambda, Damping damping, int p) {
        double[] m = a.clone();
        for (int j = 0; j < p; j++) {
            double d = damping == Damping.LEVENBERG || a[j * p + j] <= 0 ? 1 : a[j * p + j];
            m[j * p + j] += lambda * d;
        }
        double[] rhs = new double[p];
        for (int j = 0; j < p; j++) {
            rhs[j] = -g[j];
        }
        return Cholesky.solve(m, rhs, p);
    }

    /** Dense Cholesky A = LLᵀ for a small symmetric positive definite matrix, row-major. */
    static final class Cholesky {
        private Cholesky() {
        }

        /** x with A x = b, or null when A is not (numerically) positive definite. A is not modified. */
        static double[] solve(double[] a, double[] b, int n) {
            double[] l = new double[n * n];
            for (int j = 0; j < n; j++) {
                double d = a[j * n + j];
                for (int k = 0; k < j; k++) {
                    d -= l[j * n + k] * l[j * n + k];
                }
                if (!(d > 0) || !Double.isFinite(d)) {
                    return null;
                }
                double ljj = Math.sqrt(d);
                l[j * n + j] = ljj;
                for (int i = j + 1; i < n; i++) {
                    double s = a[i * n + j];
                    for (int k = 0; k < j; k++) {
                        s -= l[i * n + k] * l[j * n + k];
                    }
                    l[i * n + j] = s / ljj;
                }
            }
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                double s = b[i];
                for (int k = 0; k < i; k++) {
                    s -= l[i * n + k] * y[k];
                }
                y[i] = s / l[i * n + i];
            }
            double[] x = new double[n];
            for (int i = n - 1; i >= 0; i--) {
                double s = y[i];
                for (int k = i + 1; k < n; k++) {
                    s -= l[k * n + i] * x[k];
                }
                x[i] = s / l[i * n + i];
            }
            return x;
        }
    }

    // ---- parameters <-> flat F64 vector ------------------------------------------------------------------------

    private static int checkParameters(String op, List<Parameter> parameters) {
        Objects.requireNonNull(parameters, op + ": parameters is null");
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException(op + ": the parameter list is empty; pass the parameters the residuals depend on"
                    + " (e.g. model.parameters())");
        }
        IdentityHashMap<Parameter, Integer> seen = new IdentityHashMap<>();
        long p = 0;
        for (int i = 0; i < parameters.size(); i++) {
            Parameter q = Objects.requireNonNull(parameters.get(i), op + ": parameter " + i + " is null");
            if (seen.put(q, i) != null) {
                throw new IllegalArgumentException(op + ": parameter " + i + " (" + q + ") is also parameter " + seen.get(q)
                        + "; pass each parameter once");
            }
            if (!q.trainable()) {
                throw new IllegalArgumentException(op + ": parameter " + i + " (" + q + ") is a buffer; pass trainable parameters only");
            }
            if (!q.data().dtype().isFloating()) {
                throw new IllegalArgumentException(op + ": parameter " + i + " (" + q + ") is not floating");
            }
            p += q.numel();
        }
        if (p > MAX_PARAMETERS) {
            throw new IllegalArgumentException(op + ": " + p + " scalar parameters in " + parameters.size() + " tensors, above the dense"
                    + " limit of " + MAX_PARAMETERS + " (the solve is [P, P] in F64); optimize a subset, or use a first-order"
                    + " optimizer (dev.fathom.optim)");
        }
        if (p == 0) {
            throw new IllegalArgumentException(op + ": the parameters hold no elements (P = 0)");
        }
        return (int) p;
    }

    private static double[] read(List<Parameter> parameters, int p) {
        double[] theta = new double[p];
        int at = 0;
        for (Parameter q : parameters) {
            double[] v;
            try (Tensor d = q.data().detach()) {   // closed again: outside a scope the view would keep the storage alive
                v = d.toDoubleArray();
            }
            System.arraycopy(v, 0, theta, at, v.length);
            at += v.length;
        }
        return theta;
    }

    private static void write(List<Parameter> parameters, double[] theta) {
        try (var g = Autograd.noGrad(); Scope s = Scope.open()) {
            int at = 0;
            for (Parameter q : parameters) {
                Tensor target = q.data();
                int n = (int) q.numel();
                double[] part = java.util.Arrays.copyOfRange(theta, at, at + n);
                at += n;
                target.copyFrom(Tensor.of(part).reshape(target.shape()).to(target.dtype()).to(target.device()));
            }
        }
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
