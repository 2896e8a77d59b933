package dev.fathom.theory;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The loss along a line or over a plane through parameter space, centred on the parameters as they
 * are (θ*):
 *
 * <pre>
 *   line:   f(α)    = L(θ* + α·d)            for α in a grid
 *   plane:  f(α, β) = L(θ* + α·d₁ + β·d₂)    for α, β in two grids
 * </pre>
 *
 * <p>Directions are lists of tensors shaped, typed and placed like the parameters:
 * <ul>
 *   <li>{@link #randomDirection} draws Gaussian entries and scales them. {@link Normalization#FILTER}
 *       is the filter normalization of Li, Xu, Taylor, Studer &amp; Goldstein (2018, "Visualizing the
 *       loss landscape of neural nets"): each filter of a weight (its slice along dim 0: an output
 *       channel of a convolution, an output unit of a linear layer) is scaled to the norm of the
 *       same filter of θ*, so that plots of networks whose weights differ in scale (batch norm makes
 *       a network invariant to it) can be compared; directions of biases and other parameters of at
 *       most one dim are zero, as in the paper's figures. Two random directions in a space of many
 *       dimensions are nearly orthogonal, so a plane needs no orthogonalization.</li>
 *   <li>{@link #towards} is {@code target − θ*}: α = 1 is the target, so the line from 0 to 1 is the
 *       linear interpolation of Goodfellow, Vinyals &amp; Saxe (2015, "Qualitatively characterizing
 *       neural network optimization problems"), e.g. from trained weights back to their initialization.</li>
 * </ul>
 *
 * <p>Each point sets the parameters in place, calls the supplier with grad mode off and reads its
 * scalar back, so the supplier should run the model in {@code eval()} on a fixed batch (or a loop
 * over fixed batches); it may return any floating scalar, and a loss that is NaN or infinite is
 * recorded as it is (the far side of a wide plot may diverge). The parameters are copied back
 * bit for bit when the call returns or throws. Every temporary is closed; the directions belong to
 * the caller. Not thread-safe: nothing else may use the model during a call.
 *
 * <pre>{@code
 * Tensor x = ..., y = ...;                                  // a fixed batch; model.eval()
 * Supplier<Tensor> loss = () -> Functional.crossEntropy(model.forward(x), y);
 * Generator g = new Generator(0);
 * List<Tensor> d1 = LossLandscape.randomDirection(model.parameters(), Normalization.FILTER, g);
 * List<Tensor> d2 = LossLandscape.randomDirection(model.parameters(), Normalization.FILTER, g);
 * double[] grid = LossLandscape.linspace(-1, 1, 21);
 * LossSurface s = LossLandscape.plane(loss, model.parameters(), d1, d2, grid, grid);
 * LossLine l = LossLandscape.line(loss, model.parameters(), d1, grid);
 * }</pre>
 */
public final class LossLandscape {
    /** How {@link #randomDirection} scales its Gaussian entries. */
    public enum Normalization {
        /**
         * Li et al.'s filter normalization: each slice along dim 0 of a parameter of two or more dims
         * scaled to the norm of the same slice of the parameter; parameters of at most one dim
         * (biases, normalization scales) get a zero direction.
         */
        FILTER,
        /** Each parameter's direction scaled to the parameter's norm (every rank). */
        LAYER,
        /** Standard normal entries, unscaled. */
        NONE
    }

    private LossLandscape() {
    }

    /**
     * {@code points} evenly spaced values from {@code from} to {@code to}, both included (as
     * {@code torch.linspace}); one point is {@code from}.
     */
    public static double[] linspace(double from, double to, int points) {
        if (!Double.isFinite(from) || !Double.isFinite(to)) {
            throw new IllegalArgumentException("LossLandscape.linspace: the ends must be finite, got " + from + " and " + to);
        }
        if (points < 1) {
            throw new IllegalArgumentException("LossLandscape.linspace: points must be at least 1, got " + points);
        }
        double[] grid = new double[points];
        for (int i = 0; i < points; i++) {
            // The weighted mean of the ends, not from + step·i: a symmetric grid is then symmetric
            // and has an exact 0 (-1 + 0.8 is -0.19999999999999996; (-6 + 4) / 10 is -0.2).
            grid[i] = points == 1 ? from : (from * (points - 1 - i) + to * i) / (points - 1);
        }
        return grid;
    }

    /**
     * A random direction for {@code parameters}: standard normal entries drawn from
     * {@code generator} (every parameter's, in order, whatever the normalization, so that one seed
     * gives the same draws under each), scaled as {@code normalization} says. One tensor per
     * parameter, shaped, typed and placed like it, owned by the caller.
     */
    public static List<Tensor> randomDirection(List<Parameter> parameters, Normalization normalization, Generator generator) {
        String op = "LossLandscape.randomDirection";
        List<Tensor> ps = data(op, parameters);
        Objects.requireNonNull(normalization, op + ": the normalization is null; pass Normalization.FILTER, LAYER or NONE");
        Objects.requireNonNull(generator, op + ": the generator is null; pass new Generator(seed)");
        List<Tensor> direction = new ArrayList<>(ps.size());
        try {
            for (Tensor p : ps) {
                double[] d;
                double[] theta;
                try (Scope s = Scope.open()) {
                    d = Tensor.randn(generator, DType.F64, p.shape()).toDoubleArray();
                    theta = normalization == Normalization.NONE ? null : p.detach().toDoubleArray();
                }
                switch (normalization) {
                    case FILTER -> {
                        if (p.shape().length <= 1) {
                            Arrays.fill(d, 0);
                        } else if (d.length > 0) {
                            int filter = d.length / p.shape()[0];
                            for (int at = 0; at < d.length; at += filter) {
                                scale(d, theta, at, filter);
                            }
                        }
                    }
                    case LAYER -> scale(d, theta, 0, d.length);
                    case NONE -> {
                    }
                }
                direction.add(like(d, p));
            }
        } catch (RuntimeException e) {
            direction.forEach(Tensor::close);
            throw e;
        }
        return direction;
    }

    /**
     * {@code target − θ*} for each parameter: the direction whose α = 1 is {@code target} (tensors
     * shaped, typed and placed like the parameters, e.g. the weights at initialization). Owned by
     * the caller.
     */
    public static List<Tensor> towards(List<Parameter> parameters, List<Tensor> target) {
        String op = "LossLandscape.towards";
        List<Tensor> ps = data(op, parameters);
        checkDirection(op, "target", ps, target);
        List<Tensor> direction = new ArrayList<>(ps.size());
        try (GradMode off = Autograd.noGrad()) {
            for (int i = 0; i < ps.size(); i++) {
                direction.add(target.get(i).sub(ps.get(i)));
            }
        }
        return direction;
    }

    /** {@code L(θ* + α·direction)} for each α of {@code alphas}. */
    public static LossLine line(Supplier<Tensor> loss, List<Parameter> parameters, List<Tensor> direction, double[] alphas) {
        String op = "LossLandscape.line";
        List<Tensor> ps = data(op, parameters);
        checkDirection(op, "direction", ps, direction);
        double[] as = checkGrid(op, "alphas", alphas);
        double[][] at = new double[as.length][];
        for (int i = 0; i < as.length; i++) {
            at[i] = new double[] {as[i]};
        }
        return new LossLine(as, evaluate(op, loss, ps, List.of(direction), at));
    }

    /**
     * {@code L(θ* + α·d1 + β·d2)} for each α of {@code alphas} and β of {@code betas}: the surface's
     * {@code losses()[i][j]} is at {@code (alphas[i], betas[j])}.
     */
    public static LossSurface plane(Supplier<Tensor> loss, List<Parameter> parameters, List<Tensor> d1, List<Tensor> d2,
                                    double[] alphas, double[] betas) {
        String op = "LossLandscape.plane";
        List<Tensor> ps = data(op, parameters);
        checkDirection(op, "d1", ps, d1);
        checkDirection(op, "d2", ps, d2);
        double[] as = checkGrid(op, "alphas", alphas);
        double[] bs = checkGrid(op, "betas", betas);
        double[][] at = new double[as.length * bs.length][];
        for (int i = 0; i < as.length; i++) {
            for (int j = 0; j < bs.length; j++) {
                at[i * bs.length + j] = new double[] {as[i], bs[j]};
            }
        }
        double[] flat = evaluate(op, loss, ps, List.of(d1, d2), at);
        double[][] losses = new double[as.length][];
        for (int i = 0; i < as.length; i++) {
            losses[i] = Arrays.copyOfRange(flat, i * bs.length, (i + 1) * bs.length);
        }
        return new LossSurface(as, bs, losses);
    }

    /**
     * The loss at θ* + Σ_k c_k·directions[k] for each row c of {@code coefficients}; the parameters
     * are copied back from a saved copy, whatever happens.
     */
    private static double[] evaluate(String op, Supplier<Tensor> loss, List<Tensor> ps, List<List<Tensor>> directions,
                                     double[][] coefficients) {
        Objects.requireNonNull(loss, op + ": the loss supplier is null");
        double[] values = new double[coefficients.length];
        try (GradMode off = Autograd.noGrad(); Scope outer = Scope.open()) {
            List<Tensor> saved = new ArrayList<>(ps.size());
            for (Tensor p : ps) {
                saved.add(p.detach().clone());
            }
            try {
                for (int point = 0; point < coefficients.length; point++) {
                    try (Scope s = Scope.open()) {
                        for (int i = 0; i < ps.size(); i++) {
                            Tensor moved = saved.get(i);
                            for (int k = 0; k < directions.size(); k++) {
                                moved = moved.add(directions.get(k).get(i).mul(coefficients[point][k]));
                            }
                            ps.get(i).copyFrom(moved);
                        }
                        values[point] = scalar(op, loss.get(), coefficients[point]);
                    }
                }
            } finally {
                for (int i = 0; i < ps.size(); i++) {
                    ps.get(i).copyFrom(saved.get(i));
                }
            }
        }
        return values;
    }

    /** The supplier's value, checked: an open floating scalar. */
    private static double scalar(String op, Tensor l, double[] at) {
        if (l == null) {
            throw new IllegalArgumentException(op + ": the loss supplier returned null at " + Arrays.toString(at)
                    + "; return the scalar loss tensor");
        }
        l.checkOpen(op);
        if (l.numel() != 1 || !l.dtype().isFloating()) {
            throw new IllegalArgumentException(op + ": the loss must be a floating scalar, got " + l.describe()
                    + "; reduce it with sum() or mean()");
        }
        return l.itemDouble();
    }

    /** d[at, at + n) scaled to the norm of theta[at, at + n); a zero slice stays zero. */
    private static void scale(double[] d, double[] theta, int at, int n) {
        double dd = 0, tt = 0;
        for (int i = at; i < at + n; i++) {
            dd += d[i] * d[i];
            tt += theta[i] * theta[i];
        }
        double f = dd == 0 ? 0 : Math.sqrt(tt / dd);
        for (int i = at; i < at + n; i++) {
            d[i] *= f;
        }
    }

    private static Tensor like(double[] values, Tensor p) {
        try (Scope s = Scope.open()) {
            return s.keep(Tensor.of(values, p.shape()).to(p.dtype()).to(p.device()));
        }
    }

    /** The parameters' tensors, checked: a non-empty list of open floating tensors. */
    private static List<Tensor> data(String op, List<Parameter> parameters) {
        Objects.requireNonNull(parameters, op + ": the parameter list is null");
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException(op + ": no parameters; pass model.parameters() of a module that has some");
        }
        List<Tensor> ps = new ArrayList<>(parameters.size());
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = Objects.requireNonNull(parameters.get(i), op + ": parameter " + i + " is null");
            Tensor t = p.data();
            t.checkOpen(op);
            if (!t.dtype().isFloating()) {
                throw new IllegalArgumentException(op + ": parameter " + i + " is " + t.describe() + "; only floating parameters can move");
            }
            ps.add(t);
        }
        return ps;
    }

    /** One open, finite tensor per parameter, shaped, typed and placed like it. */
    private static void checkDirection(String op, String name, List<Tensor> ps, List<Tensor> direction) {
        Objects.requireNonNull(direction, op + ": " + name + " is null");
        if (direction.size() != ps.size()) {
            throw new IllegalArgumentException(op + ": " + name + " has " + direction.size() + " tensors but there are " + ps.size()
                    + " parameters " + HessianVectorProduct.shapes(ps.toArray(Tensor[]::new)) + "; pass one tensor per parameter, in order");
        }
        for (int i = 0; i < ps.size(); i++) {
            Tensor d = Objects.requireNonNull(direction.get(i), op + ": " + name + "[" + i + "] is null");
            d.checkOpen(op);
            Tensor p = ps.get(i);
            if (!Arrays.equals(d.shape(), p.shape()) || d.dtype() != p.dtype() || !d.device().equals(p.device())) {
                throw new IllegalArgumentException(op + ": " + name + "[" + i + "] is " + d.describe() + " but parameter " + i + " is "
                        + p.describe() + "; pass tensors shaped, typed and placed like the parameters (convert with to(...))");
            }
            double squares;
            try (GradMode off = Autograd.noGrad(); Scope s = Scope.open()) {
                Tensor wide = d.to(DType.F64);
                squares = wide.mul(wide).sum().itemDouble();
            }
            if (!Double.isFinite(squares)) {
                throw new IllegalArgumentException(op + ": " + name + "[" + i + "] " + d.describe()
                        + " has a NaN or infinite entry; build directions from finite values");
            }
        }
    }

    private static double[] checkGrid(String op, String name, double[] grid) {
        Objects.requireNonNull(grid, op + ": " + name + " is null");
        if (grid.length == 0) {
            throw new IllegalArgumentException(op + ": " + name + " is empty; pass at least one value, e.g. LossLandscape.linspace(-1, 1, 21)");
        }
        for (int i = 0; i < grid.length; i++) {
            if (!Double.isFinite(grid[i])) {
                throw new IllegalArgumentException(op + ": " + name + "[" + i + "] is " + grid[i] + "; the grid must be finite");
            }
        }
        return grid.clone();
    }
}
