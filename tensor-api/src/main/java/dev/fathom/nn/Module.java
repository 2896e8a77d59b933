package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer or a model: named parameters, buffers and child modules, a training flag, and
 * {@link #forward}. Subclasses create their state in the constructor with {@link #parameter},
 * {@link #buffer} and {@link #child}; names are dotted paths from the root
 * ({@code "0.weight"}, {@code "block.bn.running_mean"}), as in PyTorch's {@code state_dict}.
 *
 * <p>Lifecycle: construct, optionally {@link #to(Device)}, train/eval, {@link #close()}. A module
 * owns its tensors (they live outside every scope) and closes them with itself. Not thread-safe.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Parameter> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** The output for one input; modules with other inputs add overloads. */
    public abstract Tensor forward(Tensor input);

    // ---- registration (constructors of subclasses) ----------------------------------------------

    /** Registers a trainable parameter initialized with {@code init} (ownership is taken). */
    protected final Parameter parameter(String name, Tensor init) {
        checkName(name);
        Parameter p = new Parameter(init, true);
        parameters.put(name, p);
        return p;
    }

    /** Registers a buffer: saved in the state dict and moved with the module, never trained. */
    protected final Parameter buffer(String name, Tensor init) {
        checkName(name);
        Parameter p = new Parameter(init, false);
        buffers.put(name, p);
        return p;
    }

    /** Registers a child module; returns it. */
    protected final <M extends Module> M child(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": invalid name \"" + name + "\" (non-empty, no dots)");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": \"" + name + "\" is registered twice");
        }
    }

    // ---- traversal --------------------------------------------------------------------------------

    /** Every trainable parameter of this module and its descendants, in registration order. */
    public final List<Parameter> parameters() {
        return List.copyOf(namedParameters().values());
    }

    /** Trainable parameters by dotted name. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out, true, false);
        return Collections.unmodifiableMap(out);
    }

    /** Buffers by dotted name. */
    public final Map<String, Parameter> namedBuffers() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out, false, true);
        return Collections.unmodifiableMap(out);
    }

    private void collect(String prefix, Map<String, Parameter> out, boolean params, boolean bufs) {
        if (params) {
            parameters.forEach((n, p) -> out.put(prefix + n, p));
        }
        if (bufs) {
            buffers.forEach((n, p) -> out.put(prefix + n, p));
        }
        children.forEach((n, c) -> c.collect(prefix + n + ".", out, params, bufs));
    }

    /** The direct children by name. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** The number of trainable scalars. */
    public final long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.numel();
        }
        return n;
    }

    // ---- modes, devices, gradients ----------------------------------------------------------------

    /** Training mode (dropout active, batch norm uses batch statistics); returns this. */
    public final Module train() {
        setTraining(true);
        return this;
    }

    /** Evaluation mode; returns this. */
    public final Module eval() {
        setTraining(false);
        return this;
    }

    private void setTraining(boolean on) {
        training = on;
        children.values().forEach(c -> c.setTraining(on));
    }

    public final boolean isTraining() {
        return training;
    }

    /** Moves every parameter and buffer to {@code device}; returns this. */
    public final Module to(Device device) {
        for (Parameter p : all().values()) {
            p.to(device);
        }
        return this;
    }

    /**
     * Converts every floating parameter and buffer to the floating {@code dtype} (as PyTorch's
     * {@code module.to(torch.float64)}: integer buffers stay as they are; gradients are dropped);
     * returns this. F64 modules are what gradcheck needs.
     */
    public final Module to(DType dtype) {
        if (dtype == null || !dtype.isFloating()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".to: dtype must be floating (F32 or F64), got " + dtype);
        }
        for (Parameter p : all().values()) {
            p.to(dtype);
        }
        return this;
    }

    /** Drops every parameter's gradient. */
    public final void zeroGrad() {
        parameters().forEach(Parameter::zeroGrad);
    }

    private Map<String, Parameter> all() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out, true, true);
        return out;
    }

    // ---- state ------------------------------------------------------------------------------------

    /** Parameters and buffers by dotted name (the live tensors, not copies). */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        all().forEach((n, p) -> out.put(n, p.data()));
        return out;
    }

    /**
     * Copies {@code state} into this module's parameters and buffers. Names it shares with the
     * module must match in shape and dtype; with {@code strict}, every parameter and buffer must
     * be given and no other name may appear (as PyTorch's {@code load_state_dict}); the error lists
     * what is missing, unexpected or mismatched. Values move to each parameter's device.
     */
    public final void loadStateDict(Map<String, Tensor> state, boolean strict) {
        java.util.Objects.requireNonNull(state, () -> "loadStateDict(" + getClass().getSimpleName() + "): the state is null");
        Map<String, Parameter> mine = all();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Parameter p = mine.get(e.getKey());
            if (e.getValue() == null) {
                problems.add("\"" + e.getKey() + "\" is null");
            } else if (e.getValue().isClosed()) {
                problems.add("\"" + e.getKey() + "\" was closed (keep the state's tensors open until it is loaded)");
            } else if (p == null) {
                if (strict) {
                    problems.add("unexpected \"" + e.getKey() + "\"");
                }
            } else if (!java.util.Arrays.equals(p.shape(), e.getValue().shape())) {
                problems.add("\"" + e.getKey() + "\" has shape " + Shape.format(e.getValue().shape()) + ", expected " + Shape.format(p.shape()));
            } else if (p.data().dtype() != e.getValue().dtype()) {
                problems.add("\"" + e.getKey() + "\" is " + e.getValue().dtype() + ", expected " + p.data().dtype());
            }
        }
        if (strict) {
            for (String name : mine.keySet()) {
                if (!state.containsKey(name)) {
                    problems.add("missing \"" + name + "\"");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("loadStateDict(" + getClass().getSimpleName() + "): " + String.join("; ", problems));
        }
        try (var g = dev.fathom.autograd.Autograd.noGrad(); var s = dev.fathom.tensor.Scope.open()) {
            state.forEach((n, t) -> {
                Parameter p = mine.get(n);
                if (p != null) {
                    p.data().copyFrom(t.to(p.data().device()));
                }
            });
        }
    }

    /** Closes every parameter, buffer and child. */
    @Override
    public void close() {
        parameters.values().forEach(Parameter::close);
        buffers.values().forEach(Parameter::close);
        children.values().forEach(Module::close);
    }

    /** The dtype of the first parameter (F32 for a module without parameters). */
    public final DType dtype() {
        List<Parameter> ps = parameters();
        return ps.isEmpty() ? DType.F32 : ps.get(0).data().dtype();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append('(');
        if (!children.isEmpty()) {
            sb.append('\n');
            children.forEach((n, c) -> sb.append("  (").append(n).append("): ")
                    .append(c.toString().replace("\n", "\n  ")).append('\n'));
        }
        return sb.append(')').toString();
    }
}
