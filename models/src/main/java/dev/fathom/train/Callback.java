package dev.fathom.train;

/**
 * Hooks into {@link Trainer#fit}. Called on the training thread, in registration order:
 * {@link #onTrainStart} once, {@link #onEpochEnd} after each epoch's validation and logging,
 * {@link #onTrainEnd} once (also after an early stop, not after an exception).
 */
public interface Callback {
    default void onTrainStart(Trainer trainer) {
    }

    /** After epoch {@code end.epoch()}; may call {@link Trainer#stop(String)}. */
    default void onEpochEnd(Trainer trainer, EpochEnd end) {
    }

    default void onTrainEnd(Trainer trainer) {
    }
}
