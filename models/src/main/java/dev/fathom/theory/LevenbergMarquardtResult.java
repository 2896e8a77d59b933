package dev.fathom.theory;

import java.util.Objects;

/**
 * What {@link LevenbergMarquardt#minimize} returns: the cost {@code ½‖r(θ)‖²} before and after, how
 * much work was done, why it stopped and the damping it ended with. The parameters themselves hold
 * the solution (they are updated in place).
 *
 * @param initialCost         {@code ½‖r(θ₀)‖²}
 * @param cost                {@code ½‖r(θ)‖²} at the returned parameters (the best accepted point)
 * @param iterations          trial steps (accepted or rejected), at most {@code Options.maxIterations}
 * @param jacobianEvaluations Jacobians computed (one at the start and one per accepted step that did not stop)
 * @param reason              which test stopped the run
 * @param lambda              the damping {@code λ} at the end
 */
public record LevenbergMarquardtResult(double initialCost, double cost, int iterations, int jacobianEvaluations,
                                       LevenbergMarquardt.StopReason reason, double lambda) {
    public LevenbergMarquardtResult {
        Objects.requireNonNull(reason, "LevenbergMarquardtResult: reason is null");
    }

    /** True unless the iteration budget ran out first. */
    public boolean converged() {
        return reason != LevenbergMarquardt.StopReason.MAX_ITERATIONS;
    }
}
