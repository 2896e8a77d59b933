package dev.fathom.optim;

import dev.fathom.autograd.Autograd;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Updates a fixed list of parameters from their gradients. The call order, as in
 * {@code torch.optim}:
 *
 * <pre>{@code
 * Optimizer opt = new Adam(model.parameters(), Adam.Config.defaults());   // 1. construct
 * for (...) {
 *     try (Scope s = Scope.open()) {
 *         Tensor loss = lossFn(model.forward(x), y);                       // 2. forward
 *         loss.backward();                                                 // 3. backward
 *         opt.step();                                                      // 4. step
 *         opt.zeroGrad();                                                  // 5. zeroGrad (or before forward)
 *     }
 * }
 * opt.close();                                                             // 6. close
 * }</pre>
 *
 * <p>Enforced: {@link #step()} throws {@link IllegalStateException} when no parameter has a
 * gradient (backward was not called, or zeroGrad came before step) and any call after
 * {@link #close()} does too. Parameters whose gradient is null are skipped, so their state and
 * step count stay as they were. The optimizer keeps the {@link Parameter} holders and reads
 * {@link Parameter#data()} on every step, so a module may replace or move its tensors; state moves
 * with them.
 *
 * <p>Each step runs under {@link Autograd#noGrad()} with in-place ops inside a {@link Scope} of its
 * own. State tensors (momentum, moments) are created at a parameter's first update, live outside
 * every scope on that parameter's device, and are released by {@link #close()}. Not thread-safe.
 */
public abstract class Optimizer implements AutoCloseable {
    private final String name;
    private final List<Parameter> params;
    /** Per parameter: buffer name to state tensor, in creation order. */
    private final List<Map<String, Tensor>> state;
    /** Per parameter: updates applied so far. */
    private final long[] paramSteps;
    private double lr;
    private long steps;
    private boolean closed;

    protected Optimizer(List<Parameter> params, double lr) {
        this.name = getClass().getSimpleName();
        this.params = checkParams(name, params);
        this.lr = checkLr(name, lr);
        this.state = new ArrayList<>();
        for (int i = 0; i < this.params.size(); i++) {
            state.add(new LinkedHashMap<>());
        }
        this.paramSteps = new long[this.params.size()];
    }

    private static List<Parameter> checkParams(String name, List<Parameter> params) {
        if (params == null || params.isEmpty()) {
            throw new IllegalArgumentException(name + ": got " + (params == null ? "null for the" : "an empty") + " parameter list; pass model.parameters()");
        }
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            if (p == null) {
                throw new IllegalArgumentException(name + ": parameter " + i + " is null");
            }
            if (!p.trainable()) {
                throw new IllegalArgumentException(name + ": parameter " + i + " (" + p + ") is a buffer, which is never trained; pass model.parameters()");
            }
            if (!p.data().dtype().isFloating()) {
                throw new IllegalArgumentException(name + ": parameter " + i + " is " + p.data().describe() + "; only floating tensors can be optimized");
            }
            if (!seen.add(p)) {
                throw new IllegalArgumentException(name + ": parameter " + i + " (" + p + ") appears more than once in the list");
            }
        }
        return List.copyOf(params);
    }

    private static double checkLr(String name, double lr) {
        return Hyper.nonNegative(name, "learning rate", lr);
    }

    // ---- the update rule (subclasses) -----------------------------------------------------------

    /**
     * Applies one update to {@code param} (in place) from {@code grad}. Runs under noGrad inside
     * the step's scope, so temporaries need no closing. {@code step} counts this parameter's
     * updates, starting at 1.
     */
    protected abstract void update(int index, Tensor param, Tensor grad, long step);

    /** The buffers every updated parameter has (for the state dict's strict checks), e.g. {@code exp_avg}. */
    protected abstract List<String> stateNames();

    /** Every hyperparameter, for {@link #toString()}. */
    protected abstract Record config();

    /**
     * The state tensor {@code buffer} of parameter {@code index}, created by {@code init} on first
     * use (from the parameter's tensor) and kept outside every scope; moved when the parameter
     * moved to another device or dtype.
     */
    protected final Tensor state(int index, String buffer, Function<Tensor, Tensor> init) {
        Tensor param = params.get(index).data();
        Map<String, Tensor> mine = state.get(index);
        Tensor t = mine.get(buffer);
        if (t == null) {
            t = Scope.escape(init.apply(param));
            mine.put(buffer, t);
        } else if (!t.device().equals(param.device()) || t.dtype() != param.dtype()) {
            Tensor moved = Scope.escape(t.to(param.device()).to(param.dtype()).clone());
            t.close();
            t = moved;
            mine.put(buffer, t);
        }
        return t;
    }

    // ---- the call sequence ----------------------------------------------------------------------

    /** Updates every parameter that has a gradient; see the class comment for the call order. */
    public final void step() {
        checkOpen("step");
        boolean any = false;
        try (var g = Autograd.noGrad(); Scope s = Scope.open()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor param = params.get(i).data();
                if (param.isClosed()) {
                    throw new IllegalStateException(name + ".step: parameter " + i + " (" + Shape.format(param.shape())
                            + ") is closed: its module was closed; an optimizer updates the parameters of an open module");
                }
                Tensor grad = param.grad();
                if (grad == null) {
                    continue;
                }
                any = true;
                update(i, param, grad, ++paramSteps[i]);
            }
        }
        if (!any) {
            throw new IllegalStateException(name + ".step: none of the " + params.size() + " parameters has a gradient; call loss.backward() "
                    + "before step(), and zeroGrad() after it (not between backward and step)");
        }
        steps++;
    }

    /** Drops every parameter's gradient (PyTorch's {@code zero_grad(set_to_none=True)}). */
    public final void zeroGrad() {
        checkOpen("zeroGrad");
        params.forEach(Parameter::zeroGrad);
    }

    /** The current learning rate. */
    public final double lr() {
        return lr;
    }

    /** Sets the learning rate (schedules call this); must be finite and >= 0. */
    public final void setLr(double lr) {
        checkOpen("setLr");
        this.lr = checkLr(name, lr);
    }

    /** The number of {@link #step()} calls so far. */
    public final long stepCount() {
        return steps;
    }

    /** The parameters, in the order state dict indices refer to. */
    public final List<Parameter> parameters() {
        return params;
    }

    // ---- state ----------------------------------------------------------------------------------

    /** A copy of the state (see {@link OptimizerState} for the names); the tensors belong to the current scope, if any. */
    public final OptimizerState stateDict() {
        checkOpen("stateDict");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, Number> scalars = new LinkedHashMap<>();
        scalars.put("lr", lr);
        scalars.put("step", steps);
        scalars.put("params", params.size());
        try (var g = Autograd.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                scalars.put(i + ".step", paramSteps[i]);
                for (var e : state.get(i).entrySet()) {
                    tensors.put(i + "." + e.getKey(), e.getValue().clone());
                }
            }
        }
        return new OptimizerState(name, tensors, scalars);
    }

    /**
     * Replaces the state with a copy of {@code saved} (which stays the caller's). Strict: it must
     * come from the same optimizer class with the same number of parameters, every updated
     * parameter must have exactly {@link #stateNames()} with its shape and dtype, and there must
     * be nothing else; the message lists every problem. Tensors move to each parameter's device.
     */
    public final void loadStateDict(OptimizerState saved) {
        checkOpen("loadStateDict");
        if (saved == null) {
            throw new IllegalArgumentException(name + ".loadStateDict: state is null");
        }
        List<String> problems = new ArrayList<>();
        if (!saved.optimizer().equals(name)) {
            problems.add("the state was written by " + saved.optimizer() + ", not " + name);
        }
        Number count = saved.scalars().get("params");
        if (count == null || count.longValue() != params.size()) {
            problems.add("the state is for " + count + " parameters, this optimizer has " + params.size());
        }
        for (String key : List.of("lr", "step")) {
            if (!(saved.scalars().get(key) instanceof Number)) {
                problems.add("scalar \"" + key + "\" is missing");
            }
        }
        long[] loadedSteps = new long[params.size()];
        Set<String> expected = new java.util.HashSet<>(List.of("lr", "step", "params"));
        for (int i = 0; i < params.size(); i++) {
            Number st = saved.scalars().get(i + ".step");
            expected.add(i + ".step");
            if (st == null || st.longValue() < 0) {
                problems.add("scalar \"" + i + ".step\" is " + (st == null ? "missing" : st));
                continue;
            }
            loadedSteps[i] = st.longValue();
            if (loadedSteps[i] == 0) {
                continue;
            }
            Tensor param = params.get(i).data();
            for (String buffer : stateNames()) {
                String key = i + "." + buffer;
                Tensor t = saved.tensors().get(key);
                if (t == null) {
                    problems.add("missing \"" + key + "\"");
                } else if (!Arrays.equals(t.shape(), param.shape())) {
                    problems.add("\"" + key + "\" has shape " + Shape.format(t.shape()) + ", but parameter " + i + " has " + Shape.format(param.shape()));
                } else if (t.dtype() != param.dtype()) {
                    problems.add("\"" + key + "\" is " + t.dtype() + ", but parameter " + i + " is " + param.dtype());
                }
                expected.add(key);
            }
        }
        saved.tensors().keySet().stream().filter(k -> !expected.contains(k)).forEach(k -> problems.add("unexpected \"" + k + "\""));
        saved.scalars().keySet().stream().filter(k -> !expected.contains(k)).forEach(k -> problems.add("unexpected scalar \"" + k + "\""));
        if (problems.isEmpty()) {
            double savedLr = saved.scalars().get("lr").doubleValue();
            if (!Hyper.finiteNonNegative(savedLr)) {
                problems.add("lr is " + saved.scalars().get("lr") + " (it must be finite and >= 0)");
            }
            if (saved.scalars().get("step").longValue() < 0) {
                problems.add("step is " + saved.scalars().get("step") + " (it must be >= 0)");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(name + ".loadStateDict: " + String.join("; ", problems));
        }
        clearState();
        try (var g = Autograd.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                paramSteps[i] = loadedSteps[i];
                if (loadedSteps[i] == 0) {
                    continue;
                }
                Tensor param = params.get(i).data();
                for (String buffer : stateNames()) {
                    Tensor src = saved.tensors().get(i + "." + buffer);
                    Tensor copy;
                    try (Scope s = Scope.open()) {
                        copy = s.keep(src.to(param.device()).clone());
                    }
                    state.get(i).put(buffer, Scope.escape(copy));
                }
            }
        }
        lr = saved.scalars().get("lr").doubleValue();
        steps = saved.scalars().get("step").longValue();
    }

    private void clearState() {
        for (Map<String, Tensor> m : state) {
            m.values().forEach(Tensor::close);
            m.clear();
        }
    }

    // ---- lifetime -------------------------------------------------------------------------------

    /** Releases the state tensors (the parameters stay the module's); later calls throw. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            clearState();
        }
    }

    protected final void checkOpen(String op) {
        if (closed) {
            throw new IllegalStateException(name + "." + op + ": the optimizer was closed; create a new one");
        }
    }

    /** The class, the current learning rate and every hyperparameter. */
    @Override
    public String toString() {
        return name + "(lr=" + lr + ", " + config() + ", params=" + params.size() + ", steps=" + steps + ")";
    }
}
