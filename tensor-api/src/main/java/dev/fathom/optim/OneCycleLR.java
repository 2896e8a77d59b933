package dev.fathom.optim;

/**
 * The one-cycle policy (Smith and Topin, "Super-Convergence: Very Fast Training of Neural Networks
 * Using Large Learning Rates", 2018), stepped per batch; exactly
 * {@code torch.optim.lr_scheduler.OneCycleLR} with {@code anneal_strategy="cos"},
 * {@code three_phase=False} and without momentum cycling:
 *
 * <pre>
 * initial = maxLr / divFactor, min = initial / finalDivFactor, e1 = pctStart · totalSteps - 1, e2 = totalSteps - 1
 * lr(t) = cos(initial → maxLr, t / e1)                  for t ≤ e1
 * lr(t) = cos(maxLr → min, (t - e1) / (e2 - e1))        after
 * cos(a → b, x) = b + (a - b) · (1 + cos(π·x)) / 2
 * </pre>
 *
 * The optimizer's learning rate is overwritten with {@code initial} on construction. As in PyTorch,
 * at most {@code totalSteps} calls of {@link #step()} are allowed; one more throws
 * {@link IllegalStateException}.
 */
public final class OneCycleLR extends CountingSchedule {
    /** The shape of the cycle; {@code pctStart} is the fraction of steps spent increasing the rate. */
    public record Config(double pctStart, double divFactor, double finalDivFactor) {
        public Config {
            Hyper.closedUnitInterval("OneCycleLR", "pctStart", pctStart);
            Hyper.positive("OneCycleLR", "divFactor", divFactor);
            Hyper.positive("OneCycleLR", "finalDivFactor", finalDivFactor);
        }

        /** PyTorch's defaults: pctStart 0.3, divFactor 25, finalDivFactor 1e4. */
        public static Config defaults() {
            return new Config(0.3, 25, 1e4);
        }

        public Config withPctStart(double v) {
            return new Config(v, divFactor, finalDivFactor);
        }

        public Config withDivFactor(double v) {
            return new Config(pctStart, v, finalDivFactor);
        }

        public Config withFinalDivFactor(double v) {
            return new Config(pctStart, divFactor, v);
        }
    }

    private final long totalSteps;
    private final Config config;

    public OneCycleLR(Optimizer optimizer, double maxLr, long totalSteps, Config config) {
        super(optimizer);
        this.baseLr = Hyper.positive("OneCycleLR", "maxLr", maxLr);
        this.totalSteps = Hyper.positive("OneCycleLR", "totalSteps", totalSteps);
        this.config = Hyper.config("OneCycleLR", config);
        start();
    }

    public OneCycleLR(Optimizer optimizer, double maxLr, long totalSteps) {
        this(optimizer, maxLr, totalSteps, Config.defaults());
    }

    @Override
    protected double lrAt(long t) {
        if (t > totalSteps) {
            throw new IllegalStateException("OneCycleLR: tried to step " + t + " times, but totalSteps is " + totalSteps
                    + "; give the total number of batches of the run (epochs · batches per epoch)");
        }
        double initial = baseLr / config.divFactor();
        double min = initial / config.finalDivFactor();
        double end1 = config.pctStart() * totalSteps - 1;
        double end2 = totalSteps - 1;
        if (t <= end1) {
            return anneal(initial, baseLr, fraction(t, end1));
        }
        return anneal(baseLr, min, fraction(t - end1, end2 - end1));
    }

    /** {@code done / length}, where a phase of length 0 (tiny totalSteps or pctStart) counts as finished. */
    private static double fraction(double done, double length) {
        return length <= 0 ? 1 : done / length;
    }

    private static double anneal(double start, double end, double pct) {
        return end + (start - end) / 2 * (Math.cos(Math.PI * pct) + 1);
    }

    @Override
    public String toString() {
        return "OneCycleLR(maxLr=" + baseLr + ", totalSteps=" + totalSteps + ", " + config + ", step=" + t + ")";
    }
}
