package dev.fathom.optim;

/**
 * Multiplies the learning rate by {@code gamma} every step (usually an epoch), as
 * {@code torch.optim.lr_scheduler.ExponentialLR}: {@code lr(t) = base · gamma^t}.
 */
public final class ExponentialLR extends CountingSchedule {
    private final double gamma;

    public ExponentialLR(Optimizer optimizer, double gamma) {
        super(optimizer);
        this.gamma = Hyper.nonNegative("ExponentialLR", "gamma", gamma);
        start();
    }

    @Override
    protected double lrAt(long t) {
        return baseLr * Math.pow(gamma, t);
    }

    @Override
    public String toString() {
        return "ExponentialLR(gamma=" + gamma + ", baseLr=" + baseLr + ", step=" + t + ")";
    }
}
