package dev.fathom.optim;

import dev.fathom.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An optimizer's state, as {@link Optimizer#stateDict()} returns it and
 * {@link Optimizer#loadStateDict} takes it: what a checkpoint saves so that training resumes
 * bit-identically.
 *
 * <ul>
 *   <li>{@code optimizer}: the class that wrote it ({@code "Adam"}), checked on load.</li>
 *   <li>{@code tensors}: per-parameter buffers named {@code "<index>.<buffer>"}, with the index into
 *       the optimizer's parameter list, as in PyTorch ({@code "0.exp_avg"}, {@code "3.momentum_buffer"}).</li>
 *   <li>{@code scalars}: {@code "lr"} (the current learning rate, as schedules left it),
 *       {@code "step"} (calls of {@code step()}), {@code "params"} (the parameter count) and
 *       {@code "<index>.step"} (updates applied to that parameter; parameters without a gradient
 *       are skipped, so counts can differ).</li>
 * </ul>
 *
 * <p>The maps are unmodifiable; the tensors are copies owned by whoever called {@code stateDict()}
 * (they belong to the current scope, if any).
 */
public record OptimizerState(String optimizer, Map<String, Tensor> tensors, Map<String, Number> scalars) implements AutoCloseable {
    public OptimizerState {
        if (optimizer == null || tensors == null || scalars == null) {
            throw new IllegalArgumentException("OptimizerState: optimizer, tensors and scalars must not be null");
        }
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        scalars = Collections.unmodifiableMap(new LinkedHashMap<>(scalars));
    }

    /** Closes the tensors (when the caller owns them outside any scope). */
    @Override
    public void close() {
        tensors.values().forEach(Tensor::close);
    }
}
