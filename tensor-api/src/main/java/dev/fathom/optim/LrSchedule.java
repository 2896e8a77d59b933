package dev.fathom.optim;

import java.util.Map;

/**
 * A learning-rate schedule: it owns the learning rate of one {@link Optimizer} and sets it on
 * construction and on every {@link #step()}. Whether a step is an epoch or a batch is the
 * caller's choice, stated per schedule (StepLR and ExponentialLR usually per epoch; cosine and
 * one-cycle per batch, with their step counts in batches); the formulas only count calls.
 *
 * <p>Call order: construct after the optimizer (the optimizer's learning rate at that moment is
 * the base rate, PyTorch's {@code initial_lr}); call {@code optimizer.step()} then
 * {@code schedule.step()}; save and restore with {@link #stateDict()} and
 * {@link #loadStateDict(Map)} next to the optimizer's state. Not thread-safe.
 */
public interface LrSchedule {
    /** Advances by one epoch or batch and sets the optimizer's learning rate. */
    void step();

    /**
     * Advances with a validation metric (for schedules that watch one, such as
     * {@link ReduceLROnPlateau}); the others ignore the metric and just {@link #step()}.
     */
    default void step(double metric) {
        step();
    }

    /** True when {@link #step(double)} with a metric is required (a {@code Trainer} passes the validation loss). */
    default boolean needsMetric() {
        return false;
    }

    /** The learning rate this schedule set last. */
    double lr();

    /** The optimizer whose learning rate this schedule sets. */
    Optimizer optimizer();

    /** The schedule's counters (not its configuration), for a checkpoint. */
    Map<String, Number> stateDict();

    /**
     * Restores counters saved by {@link #stateDict()} from a schedule of the same class and
     * configuration, and sets the optimizer's learning rate accordingly; throws
     * {@link IllegalArgumentException} listing missing or unexpected keys.
     */
    void loadStateDict(Map<String, Number> state);
}
