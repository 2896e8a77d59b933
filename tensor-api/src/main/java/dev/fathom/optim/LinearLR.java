package dev.fathom.optim;

/**
 * Scales the learning rate linearly from {@code startFactor·base} to {@code endFactor·base} over
 * {@code totalSteps} steps and holds it there, as {@code torch.optim.lr_scheduler.LinearLR}
 * (its closed form): {@code lr(t) = base · (startFactor + (endFactor − startFactor) · min(t, totalSteps) / totalSteps)}.
 * A warm-up when {@code startFactor < endFactor}, a linear decay when it is above.
 */
public final class LinearLR extends CountingSchedule {
    private final double startFactor, endFactor;
    private final long totalSteps;

    public LinearLR(Optimizer optimizer, double startFactor, double endFactor, long totalSteps) {
        super(optimizer);
        if (!(startFactor > 0 && startFactor <= 1)) {
            throw new IllegalArgumentException("LinearLR: startFactor must be in (0, 1], got " + startFactor);
        }
        this.startFactor = startFactor;
        this.endFactor = Hyper.closedUnitInterval("LinearLR", "endFactor", endFactor);
        this.totalSteps = Hyper.positive("LinearLR", "totalSteps", totalSteps);
        start();
    }

    /** PyTorch's defaults: from a third of the rate to all of it over 5 steps. */
    public LinearLR(Optimizer optimizer) {
        this(optimizer, 1.0 / 3, 1.0, 5);
    }

    @Override
    protected double lrAt(long t) {
        return baseLr * (startFactor + (endFactor - startFactor) * Math.min(t, totalSteps) / totalSteps);
    }

    @Override
    public String toString() {
        return "LinearLR(startFactor=" + startFactor + ", endFactor=" + endFactor + ", totalSteps=" + totalSteps + ", baseLr=" + baseLr + ", step="
                + t + ")";
    }
}
