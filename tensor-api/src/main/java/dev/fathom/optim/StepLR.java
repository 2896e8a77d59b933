package dev.fathom.optim;

/**
 * Decays the learning rate by {@code gamma} every {@code stepSize} steps (usually epochs), as
 * {@code torch.optim.lr_scheduler.StepLR}: {@code lr(t) = base · gamma^floor(t / stepSize)}.
 */
public final class StepLR extends CountingSchedule {
    private final long stepSize;
    private final double gamma;

    public StepLR(Optimizer optimizer, long stepSize, double gamma) {
        super(optimizer);
        this.stepSize = Hyper.positive("StepLR", "stepSize", stepSize);
        this.gamma = Hyper.nonNegative("StepLR", "gamma", gamma);
        start();
    }

    @Override
    protected double lrAt(long t) {
        return baseLr * Math.pow(gamma, t / stepSize);
    }

    @Override
    public String toString() {
        return "StepLR(stepSize=" + stepSize + ", gamma=" + gamma + ", baseLr=" + baseLr + ", step=" + t + ")";
    }
}
