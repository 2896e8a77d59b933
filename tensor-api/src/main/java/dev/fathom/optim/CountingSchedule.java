package dev.fathom.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A schedule whose rate is a closed form of the number of steps taken: {@code lr(t)} with
 * {@code t = 0} at construction. State: {@code "step"} (t) and {@code "base_lr"}.
 */
abstract class CountingSchedule implements LrSchedule {
    protected final Optimizer optimizer;
    protected double baseLr;
    protected long t;

    CountingSchedule(Optimizer optimizer) {
        if (optimizer == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": optimizer is null");
        }
        this.optimizer = optimizer;
        this.baseLr = optimizer.lr();
    }

    /** Call at the end of the subclass constructor, once its fields are set. */
    protected final void start() {
        optimizer.setLr(lrAt(0));
    }

    @Override
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The learning rate after {@code t} steps. */
    protected abstract double lrAt(long t);

    @Override
    public void step() {
        double next = lrAt(t + 1);
        t++;
        optimizer.setLr(next);
    }

    @Override
    public final double lr() {
        return lrAt(t);
    }

    /** The number of steps taken. */
    public final long stepCount() {
        return t;
    }

    @Override
    public Map<String, Number> stateDict() {
        Map<String, Number> out = new LinkedHashMap<>();
        out.put("step", t);
        out.put("base_lr", baseLr);
        return out;
    }

    @Override
    public void loadStateDict(Map<String, Number> state) {
        checkKeys(getClass().getSimpleName(), state, Set.of("step", "base_lr"));
        long step = state.get("step").longValue();
        double base = state.get("base_lr").doubleValue();
        String owner = getClass().getSimpleName() + ".loadStateDict";
        if (step < 0 || !Hyper.finiteNonNegative(base)) {
            throw new IllegalArgumentException(owner + ": step " + step + " must be >= 0 and base_lr " + base + " finite and >= 0");
        }
        long oldT = t;
        double oldBase = baseLr;
        t = step;
        baseLr = base;
        try {
            optimizer.setLr(lrAt(t));
        } catch (IllegalArgumentException | IllegalStateException e) {
            t = oldT;  // a state this schedule cannot take leaves it as it was
            baseLr = oldBase;
            throw new IllegalArgumentException(owner + ": step " + step + " and base_lr " + base + " give no learning rate: " + e.getMessage(), e);
        }
    }

    /** Throws listing every missing and unexpected key. */
    static void checkKeys(String owner, Map<String, Number> state, Set<String> keys) {
        if (state == null) {
            throw new IllegalArgumentException(owner + ".loadStateDict: state is null");
        }
        List<String> problems = new ArrayList<>();
        keys.stream().sorted().filter(k -> state.get(k) == null).forEach(k -> problems.add("missing \"" + k + "\""));
        state.keySet().stream().filter(k -> !keys.contains(k)).forEach(k -> problems.add("unexpected \"" + k + "\""));
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(owner + ".loadStateDict: " + String.join("; ", problems));
        }
    }
}
