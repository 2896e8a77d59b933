package dev.fathom.autograd;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Checks backward formulas against central finite differences in F64 (as
 * {@code torch.autograd.gradcheck}), and gradients of gradients the same way (gradgradcheck).
 *
 * <p><b>What is compared.</b> The function's output {@code y = fn(x)} is reduced to a scalar with
 * a fixed pseudo-random projection, {@code L = Σ y·W}, where {@code W} has y's shape and holds
 * values in [-1, 1] from {@code SplittableRandom(42)}. One backward pass then gives the
 * vector-Jacobian product {@code ∂L/∂x = Jᵀ W} for every input at once (the analytic side). The
 * numeric side perturbs one element at a time, on the host:
 * {@code (L(x + h·e_i) − L(x − h·e_i)) / 2h} with {@code h = 1e-6}. A random W, unlike a plain
 * sum, catches formulas that are wrong only in how they weigh or permute output elements (a
 * transposed matmul gradient, a swapped gather). It is the same W on every call, so a failure
 * reproduces.
 *
 * <p><b>Inputs.</b> Every floating input must be F64: in F32 the rounding of {@code x ± h} and of
 * y swamps a difference over 2·10⁻⁶. Only inputs that {@link Tensor#requiresGrad()} are
 * perturbed and checked; the others (I64 indices, BOOL masks, constants) are passed through as
 * they are. The output must be F64 too. A function may convert to F32 inside (to test casts) if
 * its values are small enough for F32 to resolve steps of h.
 *
 * <p><b>Tolerances.</b> An element fails when {@code |a − n| > atol + rtol·|n|} (a analytic,
 * n numeric); the defaults {@code atol = 1e-5}, {@code rtol = 1e-3} leave room for the
 * {@code O(h²)} truncation and {@code O(ε·|L|/h)} rounding of the difference quotient on well-scaled
 * inputs (|x|, |y| up to about 10), while a wrong formula is off by far more. Pick inputs away
 * from kinks (relu and abs at 0, clamp bounds, ties of max), where the two sides legitimately
 * differ. A NaN on either side always fails.
 *
 * <p><b>Side effects.</b> None: gradients come from {@link Autograd#grad}, not from
 * {@code backward()}, so the inputs' {@link Tensor#grad()} stay untouched; every tensor made
 * during the check is closed by a {@link Scope} before it returns. The cost is two evaluations of
 * {@code fn} per perturbed element, so keep inputs to a few dozen elements.
 */
public final class Gradcheck {
    /** Absolute tolerance used when none is given. */
    public static final double DEFAULT_ATOL = 1e-5;
    /** Relative tolerance (of the numeric value) used when none is given. */
    public static final double DEFAULT_RTOL = 1e-3;
    /** The finite-difference step. */
    public static final double STEP = 1e-6;
    /** The seed of the projection W for the first derivative. */
    private static final long SEED = 42;
    /** The seed of the inner projection of {@link #checkSecondOrder} (different, so the two do not align). */
    private static final long SECOND_ORDER_SEED = 4242;

    private Gradcheck() {
    }

    /**
     * The outcome of a check: the worst element (largest error relative to its tolerance) and the
     * largest errors over all elements.
     *
     * @param maxAbsError the largest {@code |a − n|} over all checked elements
     * @param maxRelError the largest {@code |a − n| / max(|n|, atol)} over all checked elements
     * @param input       the index (into the inputs) of the worst element's input; -1 when nothing was checked
     * @param element     the worst element's flat row-major index in that input
     * @param analytic    the analytic gradient there
     * @param numeric     the finite-difference gradient there
     * @param passed      whether every element was within tolerance
     */
    public record Report(double maxAbsError, double maxRelError, int input, long element, double analytic, double numeric,
                         boolean passed) {
    }

    /** Thrown when an analytic gradient disagrees with the finite difference; carries the {@link Report}. */
    public static final class GradcheckException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Report report;

        public GradcheckException(String message, Report report) {
            super(message);
            this.report = report;
        }

        public Report report() {
            return report;
        }
    }

    /** {@link #check(Function, double, double, Tensor...)} with the default tolerances. */
    public static Report check(Function<Tensor[], Tensor> fn, Tensor... inputs) {
        return check(fn, DEFAULT_ATOL, DEFAULT_RTOL, inputs);
    }

    /**
     * Compares the analytic gradient of {@code fn} at {@code inputs} with central differences.
     *
     * @return the report (always {@code passed})
     * @throws GradcheckException       naming the input, element and both values when an element is out of tolerance
     * @throws IllegalArgumentException when a floating input or the output is not F64, or no input requires grad
     */
    public static Report check(Function<Tensor[], Tensor> fn, double atol, double rtol, Tensor... inputs) {
        return run("gradcheck", fn, atol, rtol, inputs);
    }

    /** {@link #checkSecondOrder(Function, double, double, Tensor...)} with the default tolerances. */
    public static Report checkSecondOrder(Function<Tensor[], Tensor> fn, Tensor... inputs) {
        return checkSecondOrder(fn, DEFAULT_ATOL, DEFAULT_RTOL, inputs);
    }

    /**
     * Gradgradcheck: the gradcheck of {@code x -> ∂(Σ fn(x)·W')/∂x} (the gradients of all inputs
     * that require grad, flattened and concatenated), computed with
     * {@code Autograd.grad(..., createGraph = true)}. This checks that the backward formulas are
     * themselves differentiable and correctly so, which Hessian-vector products, the NTK and
     * gradient penalties rely on.
     */
    public static Report checkSecondOrder(Function<Tensor[], Tensor> fn, double atol, double rtol, Tensor... inputs) {
        validate("gradgradcheck", inputs);
        boolean[] differentiable = new boolean[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            differentiable[i] = inputs[i].requiresGrad();
        }
        Function<Tensor[], Tensor> gradient = xs -> {
            try (GradMode g = Autograd.enableGrad()) {
                Tensor y = fn.apply(xs);
                List<Tensor> wrt = new ArrayList<>();
                for (int i = 0; i < xs.length; i++) {
                    if (differentiable[i]) {
                        wrt.add(xs[i]);
                    }
                }
                Tensor[] grads;
                if (y.requiresGrad()) {
                    Tensor l = y.mul(projection(y, SECOND_ORDER_SEED)).sum();
                    grads = Autograd.grad(new Tensor[] {l}, wrt.toArray(new Tensor[0]), true);
                } else {
                    grads = wrt.stream().map(Tensor::zerosLike).toArray(Tensor[]::new);
                }
                Tensor[] flat = new Tensor[grads.length];
                for (int i = 0; i < grads.length; i++) {
                    flat[i] = grads[i].reshape(-1);
                }
                return Tensor.cat(0, flat);
            }
        };
        return run("gradgradcheck", gradient, atol, rtol, inputs);
    }

    private static Report run(String name, Function<Tensor[], Tensor> fn, double atol, double rtol, Tensor[] inputs) {
        validate(name, inputs);
        if (!(atol >= 0) || !(rtol >= 0)) {
            throw new IllegalArgumentException(name + ": tolerances must be >= 0, got atol=" + atol + " rtol=" + rtol);
        }
        double[][] analytic = new double[inputs.length][];
        double[] w;
        try (Scope s = Scope.open()) {
            Tensor y = fn.apply(inputs);
            checkOutput(name, y);
            w = projectionValues(y.numel(), SEED);
            List<Integer> wrtIndex = new ArrayList<>();
            for (int i = 0; i < inputs.length; i++) {
                if (inputs[i].requiresGrad()) {
                    wrtIndex.add(i);
                }
            }
            Tensor[] grads = null;
            if (y.requiresGrad()) {
                Tensor l = y.mul(host(w, y.shape()).to(y.device())).sum();
                Tensor[] wrt = wrtIndex.stream().map(i -> inputs[i]).toArray(Tensor[]::new);
                grads = Autograd.grad(new Tensor[] {l}, wrt, false);
            }
            for (int k = 0; k < wrtIndex.size(); k++) {
                int i = wrtIndex.get(k);
                analytic[i] = grads == null ? new double[Math.toIntExact(inputs[i].numel())] : grads[k].toDoubleArray();
            }
        }

        Worst worst = new Worst(atol, rtol);
        for (int i = 0; i < inputs.length; i++) {
            if (analytic[i] == null) {
                continue;
            }
            double[] x0 = inputs[i].toDoubleArray();
            for (int e = 0; e < x0.length; e++) {
                double plus = perturbed(fn, inputs, i, x0, e, STEP, w);
                double minus = perturbed(fn, inputs, i, x0, e, -STEP, w);
                worst.offer(i, e, analytic[i][e], (plus - minus) / (2 * STEP));
            }
        }
        Report report = worst.report();
        if (!report.passed()) {
            Tensor bad = inputs[report.input()];
            throw new GradcheckException(String.format(Locale.ROOT,
                    "%s: input %d (shape %s), element %d: analytic %.10g vs numeric %.10g (|diff| %.3g > atol %.1g + rtol %.1g·|numeric|;"
                            + " max abs error %.3g, max rel error %.3g)",
                    name, report.input(), Shape.format(bad.shape()), report.element(), report.analytic(), report.numeric(),
                    Math.abs(report.analytic() - report.numeric()), atol, rtol, report.maxAbsError(), report.maxRelError()), report);
        }
        return report;
    }

    /** L at inputs[i] with element e moved by {@code delta}, evaluated without recording. */
    private static double perturbed(Function<Tensor[], Tensor> fn, Tensor[] inputs, int i, double[] x0, int e, double delta, double[] w) {
        double[] x = x0.clone();
        x[e] += delta;
        try (Scope s = Scope.open(); GradMode g = Autograd.noGrad()) {
            Tensor[] args = inputs.clone();
            // requiresGrad as the original, so that a function that differentiates inside (gradgradcheck) still can.
            args[i] = host(x, inputs[i].shape()).to(inputs[i].device()).requiresGrad(inputs[i].requiresGrad());
            double[] y = fn.apply(args).toDoubleArray();
            double l = 0;
            for (int k = 0; k < y.length; k++) {
                l += y[k] * w[k];
            }
            return l;
        }
    }

    private static void validate(String name, Tensor[] inputs) {
        if (inputs == null || inputs.length == 0) {
            throw new IllegalArgumentException(name + ": give at least one input");
        }
        boolean any = false;
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = inputs[i];
            if (t == null) {
                throw new IllegalArgumentException(name + ": input " + i + " is null");
            }
            t.checkOpen(name);
            if (t.dtype().isFloating() && t.dtype() != DType.F64) {
                throw new IllegalArgumentException(name + ": input " + i + " is " + t.describe()
                        + "; finite differences need F64 inputs: convert with .to(DType.F64) (and requiresGrad(true) on the result)");
            }
            any |= t.requiresGrad();
        }
        if (!any) {
            throw new IllegalArgumentException(name + ": no input requires grad; call requiresGrad(true) on the inputs to check");
        }
    }

    private static void checkOutput(String name, Tensor y) {
        if (y == null) {
            throw new IllegalArgumentException(name + ": the function returned null");
        }
        if (y.dtype() != DType.F64) {
            throw new IllegalArgumentException(name + ": the function returned " + y.describe()
                    + "; finite differences need an F64 output: end the function with .to(DType.F64)");
        }
    }

    /** The projection W for y: values in [-1, 1] from SplittableRandom(seed), y's shape, dtype and device. */
    private static Tensor projection(Tensor y, long seed) {
        return host(projectionValues(y.numel(), seed), y.shape()).to(y.device()).to(y.dtype());
    }

    /** An F64 tensor of {@code shape} holding {@code values} (0-d included), on the default device. */
    private static Tensor host(double[] values, int[] shape) {
        return shape.length == 0 ? Tensor.scalar(values[0]) : Tensor.of(values, shape);
    }

    private static double[] projectionValues(long n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] w = new double[Math.toIntExact(n)];
        for (int k = 0; k < w.length; k++) {
            w[k] = random.nextDouble(-1, 1);
        }
        return w;
    }

    /** Tracks the element with the largest error relative to its tolerance. */
    private static final class Worst {
        private final double atol;
        private final double rtol;
        private double maxAbs;
        private double maxRel;
        private double worstScore = -1;
        private int input = -1;
        private long element = -1;
        private double analytic = Double.NaN;
        private double numeric = Double.NaN;
        private boolean passed = true;

        Worst(double atol, double rtol) {
            this.atol = atol;
            this.rtol = rtol;
        }

        void offer(int i, long e, double a, double n) {
            double diff = Math.abs(a - n);
            boolean nan = Double.isNaN(diff);
            double abs = nan ? Double.POSITIVE_INFINITY : diff;
            double rel = nan ? Double.POSITIVE_INFINITY : diff / Math.max(Math.abs(n), Math.max(atol, Double.MIN_NORMAL));
            double tolerance = atol + rtol * Math.abs(n);
            double score = nan ? Double.POSITIVE_INFINITY : diff / Math.max(tolerance, Double.MIN_NORMAL);
            maxAbs = Math.max(maxAbs, abs);
            maxRel = Math.max(maxRel, rel);
            if (nan || diff > tolerance) {
                passed = false;
            }
            if (score > worstScore) {
                worstScore = score;
                input = i;
                element = e;
                analytic = a;
                numeric = n;
            }
        }

        Report report() {
            return new Report(maxAbs, maxRel, input, element, analytic, numeric, passed);
        }
    }
}
