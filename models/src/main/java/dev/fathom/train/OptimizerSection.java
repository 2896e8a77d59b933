package dev.fathom.train;

import dev.fathom.io.Stateful;
import dev.fathom.optim.Optimizer;
import dev.fathom.optim.OptimizerState;
import dev.fathom.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An optimizer as a checkpoint section: its {@link OptimizerState} tensors, and its scalars as
 * strings (integers as integers, the learning rate as a round-trip double, so resume is exact),
 * plus the optimizer's class under {@code "optimizer"}, checked on load. Register it in a
 * {@link dev.fathom.io.Checkpoint} to save an optimizer beside a model:
 * {@code new Checkpoint().section("model", model).section("optimizer", new OptimizerSection(opt))}.
 */
public final class OptimizerSection implements Stateful {
    private static final String CLASS_KEY = "optimizer";
    private final Optimizer optimizer;
    private OptimizerState pending;

    public OptimizerSection(Optimizer optimizer) {
        this.optimizer = java.util.Objects.requireNonNull(optimizer, "OptimizerSection: the optimizer is null");
    }

    private OptimizerState state() {
        if (pending == null) {
            pending = optimizer.stateDict();
        }
        return pending;
    }

    @Override
    public Map<String, Tensor> tensors() {
        return state().tensors();
    }

    @Override
    public Map<String, String> scalars() {
        OptimizerState s = state();
        pending = null;   // the next save takes a fresh snapshot; the tensors belong to the saving scope
        Map<String, String> out = new LinkedHashMap<>();
        out.put(CLASS_KEY, s.optimizer());
        out.putAll(NumberStrings.format(s.scalars()));
        return out;
    }

    @Override
    public void load(Map<String, Tensor> tensors, Map<String, String> scalars) {
        String cls = scalars.get(CLASS_KEY);
        if (cls == null) {
            throw new IllegalArgumentException("optimizer section: no '" + CLASS_KEY + "' entry (have " + scalars.keySet() + ")");
        }
        optimizer.loadStateDict(new OptimizerState(cls, tensors, NumberStrings.parse(scalars, CLASS_KEY)));
    }
}
