package dev.fathom.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Lowers the learning rate when a validation metric stops improving, exactly as
 * {@code torch.optim.lr_scheduler.ReduceLROnPlateau} with {@code threshold_mode="rel"}: call
 * {@link #step(double)} once per epoch with the metric. A value improves on the best so far when
 * it is below {@code best·(1 - threshold)} (mode MIN) or above {@code best·(1 + threshold)} (MAX).
 * After more than {@code patience} epochs in a row without improvement the rate becomes
 * {@code max(lr·factor, minLr)} (unless that changes it by less than 1e-8) and the next
 * {@code cooldown} epochs count no bad epochs. A NaN metric never improves (as in PyTorch).
 * The plain {@link #step()} throws: this schedule needs the metric.
 */
public final class ReduceLROnPlateau implements LrSchedule {
    /** Whether a lower (loss) or higher (accuracy) metric is better. */
    public enum Mode {
        MIN, MAX
    }

    /** The hyperparameters; {@code threshold} is relative. */
    public record Config(Mode mode, double factor, long patience, double threshold, long cooldown, double minLr) {
        public Config {
            if (mode == null) {
                throw new IllegalArgumentException("ReduceLROnPlateau: mode must be MIN or MAX, got null");
            }
            Hyper.openUnitInterval("ReduceLROnPlateau", "factor", factor);
            Hyper.nonNegative("ReduceLROnPlateau", "patience", patience);
            Hyper.nonNegative("ReduceLROnPlateau", "threshold", threshold);
            Hyper.nonNegative("ReduceLROnPlateau", "cooldown", cooldown);
            Hyper.nonNegative("ReduceLROnPlateau", "minLr", minLr);
        }

        /** PyTorch's defaults: MIN, factor 0.1, patience 10, threshold 1e-4, no cooldown, minLr 0. */
        public static Config defaults() {
            return new Config(Mode.MIN, 0.1, 10, 1e-4, 0, 0);
        }

        public Config withMode(Mode v) {
            return new Config(v, factor, patience, threshold, cooldown, minLr);
        }

        public Config withFactor(double v) {
            return new Config(mode, v, patience, threshold, cooldown, minLr);
        }

        public Config withPatience(long v) {
            return new Config(mode, factor, v, threshold, cooldown, minLr);
        }

        public Config withThreshold(double v) {
            return new Config(mode, factor, patience, v, cooldown, minLr);
        }

        public Config withCooldown(long v) {
            return new Config(mode, factor, patience, threshold, v, minLr);
        }

        public Config withMinLr(double v) {
            return new Config(mode, factor, patience, threshold, cooldown, v);
        }
    }

    /** Reductions smaller than this are skipped, as PyTorch's {@code eps}. */
    private static final double EPS = 1e-8;

    private final Optimizer optimizer;
    private final Config config;
    private double best;
    private long badEpochs;
    private long cooldownLeft;
    private long epochs;

    public ReduceLROnPlateau(Optimizer optimizer, Config config) {
        if (optimizer == null || config == null) {
            throw new IllegalArgumentException("ReduceLROnPlateau: optimizer and config must not be null");
        }
        this.optimizer = optimizer;
        this.config = config;
        this.best = worst();
    }

    @Override
    public Optimizer optimizer() {
        return optimizer;
    }

    private double worst() {
        return config.mode() == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    private boolean isBetter(double value) {
        return config.mode() == Mode.MIN ? value < best * (1 - config.threshold()) : value > best * (1 + config.threshold());
    }

    @Override
    public void step() {
        throw new IllegalStateException("ReduceLROnPlateau.step: this schedule watches a metric; call step(metric) with the epoch's validation "
                + "loss (mode MIN) or accuracy (mode MAX)");
    }

    @Override
    public void step(double metric) {
        epochs++;
        if (isBetter(metric)) {
            best = metric;
            badEpochs = 0;
        } else {
            badEpochs++;
        }
        if (cooldownLeft > 0) {
            cooldownLeft--;
            badEpochs = 0;
        }
        if (badEpochs > config.patience()) {
            double old = optimizer.lr();
            double lower = Math.max(old * config.factor(), config.minLr());
            if (old - lower > EPS) {
                optimizer.setLr(lower);
            }
            cooldownLeft = config.cooldown();
            badEpochs = 0;
        }
    }

    @Override
    public boolean needsMetric() {
        return true;
    }

    @Override
    public double lr() {
        return optimizer.lr();
    }

    /** The best metric so far (infinite before the first step). */
    public double best() {
        return best;
    }

    /** Epochs in a row without improvement. */
    public long badEpochs() {
        return badEpochs;
    }

    @Override
    public Map<String, Number> stateDict() {
        Map<String, Number> out = new LinkedHashMap<>();
        out.put("best", best);
        out.put("bad_epochs", badEpochs);
        out.put("cooldown_left", cooldownLeft);
        out.put("epochs", epochs);
        out.put("lr", optimizer.lr());
        return out;
    }

    @Override
    public void loadStateDict(Map<String, Number> state) {
        CountingSchedule.checkKeys("ReduceLROnPlateau", state, Set.of("best", "bad_epochs", "cooldown_left", "epochs", "lr"));
        double newLr = state.get("lr").doubleValue(), newBest = state.get("best").doubleValue();
        long bad = state.get("bad_epochs").longValue(), cooldown = state.get("cooldown_left").longValue(), seen = state.get("epochs").longValue();
        boolean bestOk = Double.isFinite(newBest) || newBest == worst();  // worst(): no epoch seen yet
        if (bad < 0 || cooldown < 0 || seen < 0 || !Hyper.finiteNonNegative(newLr) || !bestOk) {
            throw new IllegalArgumentException("ReduceLROnPlateau.loadStateDict: need bad_epochs, cooldown_left and epochs >= 0, a finite lr >= 0 and a "
                    + "finite best (or " + worst() + " before the first epoch), got " + state);
        }
        optimizer.setLr(newLr);
        best = newBest;
        badEpochs = bad;
        cooldownLeft = cooldown;
        epochs = seen;
    }

    @Override
    public String toString() {
        return "ReduceLROnPlateau(" + config + ", best=" + best + ", badEpochs=" + badEpochs + ", lr=" + optimizer.lr() + ")";
    }
}
