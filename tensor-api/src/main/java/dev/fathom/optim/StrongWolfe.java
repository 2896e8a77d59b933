package dev.fathom.optim;

import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

/**
 * The strong-Wolfe line search of {@link LBFGS} ({@code line_search_fn="strong_wolfe"}), as
 * PyTorch ports it from minFunc's {@code lswolfe}: bracket a step that satisfies the sufficient
 * decrease {@code f(t) ≤ f(0) + c₁·t·g₀ᵀd} and the curvature condition {@code |g(t)ᵀd| ≤ −c₂·g₀ᵀd},
 * then zoom in by safeguarded cubic interpolation (Nocedal and Wright, "Numerical Optimization",
 * 2006, algorithms 3.5 and 3.6), with {@code c₁ = 1e-4}, {@code c₂ = 0.9} and at most 25 evaluations.
 */
final class StrongWolfe {
    private static final double C1 = 1e-4, C2 = 0.9;
    private static final int MAX_EVALUATIONS = 25;

    /** The loss and flat gradient at the parameters moved by {@code t·d} from where the search started (they are put back). */
    interface Objective {
        Evaluation at(double t);
    }

    /** A loss and its flat gradient, made outside every scope: the search closes those it does not return. */
    record Evaluation(double loss, Tensor grad) {
    }

    /** The accepted step: its length, loss and gradient (outside every scope), and the evaluations it took. */
    record Step(double t, double loss, Tensor grad, int evaluations) {
    }

    private StrongWolfe() {
    }

    /** Searches along {@code d} from loss {@code f} and gradient {@code g} (slope {@code gtd} = gᵀd), starting at step {@code t}. */
    static Step search(Objective objective, double t, Tensor d, double f, Tensor g, double gtd, double toleranceChange) {
        java.util.List<Tensor> made = new java.util.ArrayList<>();
        Objective tracked = step -> {
            Evaluation e = objective.at(step);
            made.add(e.grad());
            return e;
        };
        try (Scope scope = Scope.open()) {
            double dNorm = LBFGS.maxAbs(d);
            Evaluation next = tracked.at(t);
            int evaluations = 1;
            double gtdNew = LBFGS.dot(next.grad(), d);
            double tPrev = 0, fPrev = f, gtdPrev = gtd;
            Tensor gPrev = g;
            boolean done = false;
            int iterations = 0;
            double[] bracket = null, bracketF = null, bracketGtd = null;
            Tensor[] bracketG = null;
            // Bracketing: grow the step until an interval surely holds a point that satisfies both conditions.
            while (iterations < MAX_EVALUATIONS) {
                // PyTorch's order: too little decrease brackets, then both conditions end the search, then an uphill slope brackets.
                boolean curvature = Math.abs(gtdNew) <= -C2 * gtd;
                boolean tooHigh = next.loss() > f + C1 * t * gtd || (iterations > 1 && next.loss() >= fPrev);
                if (tooHigh || (!curvature && gtdNew >= 0)) {
                    bracket = new double[] {tPrev, t};
                    bracketF = new double[] {fPrev, next.loss()};
                    bracketG = new Tensor[] {gPrev, next.grad()};
                    bracketGtd = new double[] {gtdPrev, gtdNew};
                    break;
                }
                if (curvature) {
                    bracket = new double[] {t};
                    bracketF = new double[] {next.loss()};
                    bracketG = new Tensor[] {next.grad()};
                    done = true;
                    break;
                }
                double minStep = t + 0.01 * (t - tPrev), maxStep = t * 10, previous = t;
                t = cubicMinimum(tPrev, fPrev, gtdPrev, t, next.loss(), gtdNew, minStep, maxStep);
                tPrev = previous;
                fPrev = next.loss();
                gPrev = next.grad();
                gtdPrev = gtdNew;
                next = tracked.at(t);
                evaluations++;
                gtdNew = LBFGS.dot(next.grad(), d);
                iterations++;
            }
            if (iterations == MAX_EVALUATIONS) {
                bracket = new double[] {0, t};
                bracketF = new double[] {f, next.loss()};
                bracketG = new Tensor[] {g, next.grad()};
            }
            // Zoom: shrink the bracket around the point that satisfies both conditions.
            boolean insufficientProgress = false;
            int low = bracketF[0] <= bracketF[bracketF.length - 1] ? 0 : 1, high = 1 - low;
            while (!done && iterations < MAX_EVALUATIONS) {
                if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) {
                    break;
                }
                t = cubicMinimum(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1],
                        Math.min(bracket[0], bracket[1]), Math.max(bracket[0], bracket[1]));
                double hi = Math.max(bracket[0], bracket[1]), lo = Math.min(bracket[0], bracket[1]);
                double eps = 0.1 * (hi - lo);
                if (Math.min(hi - t, t - lo) < eps) {
                    // Too close to an end: after two such steps (or at an end), move a tenth of the bracket inside.
                    if (insufficientProgress || t >= hi || t <= lo) {
                        t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - eps : lo + eps;
                        insufficientProgress = false;
                    } else {
                        insufficientProgress = true;
                    }
                } else {
                    insufficientProgress = false;
                }
                next = tracked.at(t);
                evaluations++;
                gtdNew = LBFGS.dot(next.grad(), d);
                iterations++;
                if (next.loss() > f + C1 * t * gtd || next.loss() >= bracketF[low]) {
                    bracket[high] = t;
                    bracketF[high] = next.loss();
                    bracketG[high] = next.grad();
                    bracketGtd[high] = gtdNew;
                    low = bracketF[0] <= bracketF[1] ? 0 : 1;
                    high = 1 - low;
                } else {
                    if (Math.abs(gtdNew) <= -C2 * gtd) {
                        done = true;
                    } else if (gtdNew * (bracket[high] - bracket[low]) >= 0) {
                        bracket[high] = bracket[low];
                        bracketF[high] = bracketF[low];
                        bracketG[high] = bracketG[low];
                        bracketGtd[high] = bracketGtd[low];
                    }
                    bracket[low] = t;
                    bracketF[low] = next.loss();
                    bracketG[low] = next.grad();
                    bracketGtd[low] = gtdNew;
                }
            }
            Tensor grad = bracketG[low];
            // The caller's g stays the caller's: the result is then a copy. The other evaluations' gradients are closed.
            Tensor kept = grad == g ? Scope.escape(g.clone()) : grad;
            made.stream().filter(m -> m != kept).forEach(Tensor::close);
            return new Step(bracket[low], bracketF[low], kept, evaluations);
        } catch (RuntimeException | Error e) {
            made.forEach(Tensor::close);
            throw e;
        }
    }

    /**
     * The minimum of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
     * [lo, hi]; the middle of [lo, hi] when the cubic has no minimum.
     */
    static double cubicMinimum(double x1, double f1, double g1, double x2, double f2, double g2, double lo, double hi) {
        double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        double d2Square = d1 * d1 - g1 * g2;
        if (d2Square < 0) {
            return (lo + hi) / 2;
        }
        double d2 = Math.sqrt(d2Square);
        double min = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
        return Math.min(Math.max(min, lo), hi);
    }
}
