package dev.fathom.optim;

/**
 * Linear warm-up, then cosine annealing (Loshchilov and Hutter, "SGDR: Stochastic Gradient Descent
 * with Warm Restarts", ICLR 2017, without restarts), stepped per batch:
 *
 * <pre>
 * lr(t) = base · t / warmupSteps                                          for t &lt; warmupSteps
 * lr(t) = minLr + (base - minLr) · (1 + cos(π · (t - warmupSteps) / (totalSteps - warmupSteps))) / 2
 *                                                                          for warmupSteps ≤ t ≤ totalSteps
 * lr(t) = minLr                                                            for t &gt; totalSteps
 * </pre>
 *
 * The warm-up starts at 0, as Hugging Face's {@code get_cosine_schedule_with_warmup}; with
 * {@code warmupSteps = 0} this is {@code torch.optim.lr_scheduler.CosineAnnealingLR} with
 * {@code T_max = totalSteps} and {@code eta_min = minLr} (its closed form).
 */
public final class CosineAnnealingLR extends CountingSchedule {
    private final long warmupSteps;
    private final long totalSteps;
    private final double minLr;

    public CosineAnnealingLR(Optimizer optimizer, long warmupSteps, long totalSteps, double minLr) {
        super(optimizer);
        this.warmupSteps = Hyper.nonNegative("CosineAnnealingLR", "warmupSteps", warmupSteps);
        this.totalSteps = Hyper.positive("CosineAnnealingLR", "totalSteps", totalSteps);
        this.minLr = Hyper.nonNegative("CosineAnnealingLR", "minLr", minLr);
        if (warmupSteps >= totalSteps) {
            throw new IllegalArgumentException("CosineAnnealingLR: warmupSteps (" + warmupSteps + ") must be less than totalSteps ("
                    + totalSteps + ")");
        }
        if (minLr > baseLr) {
            throw new IllegalArgumentException("CosineAnnealingLR: minLr " + minLr + " is above the optimizer's learning rate " + baseLr
                    + ", which the schedule starts from");
        }
        start();
    }

    /** Cosine annealing over {@code totalSteps} with no warm-up and {@code minLr} 0. */
    public CosineAnnealingLR(Optimizer optimizer, long totalSteps) {
        this(optimizer, 0, totalSteps, 0);
    }

    @Override
    protected double lrAt(long t) {
        if (t < warmupSteps) {
            return baseLr * t / warmupSteps;
        }
        if (t >= totalSteps) {
            return minLr;
        }
        double progress = (double) (t - warmupSteps) / (totalSteps - warmupSteps);
        return minLr + (baseLr - minLr) * (1 + Math.cos(Math.PI * progress)) / 2;
    }

    @Override
    public String toString() {
        return "CosineAnnealingLR(warmupSteps=" + warmupSteps + ", totalSteps=" + totalSteps + ", minLr=" + minLr + ", baseLr=" + baseLr
                + ", step=" + t + ")";
    }
}
