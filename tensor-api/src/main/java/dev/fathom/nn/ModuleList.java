package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * Modules held in a list, as {@code torch.nn.ModuleList}: each is registered as the child "0",
 * "1", … so its parameters, buffers, state-dict entries, train/eval mode, device and dtype are the
 * holder's. It has no {@code forward} of its own: the module that holds it decides how to call
 * them (use {@link Sequential} for one after another). Closing it closes them.
 */
public final class ModuleList extends Module implements Iterable<Module> {
    private final List<Module> modules = new ArrayList<>();

    public ModuleList(Module... modules) {
        this(List.of(Objects.requireNonNull(modules, "ModuleList: modules is null")));
    }

    public ModuleList(List<? extends Module> modules) {
        Objects.requireNonNull(modules, "ModuleList: modules is null");
        for (Module m : modules) {
            add(m);
        }
    }

    /** Appends {@code module} as the next child; returns this list. */
    public ModuleList add(Module module) {
        Objects.requireNonNull(module, () -> "ModuleList.add: module " + modules.size() + " is null");
        child(Integer.toString(modules.size()), module);
        modules.add(module);
        return this;
    }

    /** Module {@code i}. */
    public Module get(int i) {
        if (i < 0 || i >= modules.size()) {
            throw new IndexOutOfBoundsException("ModuleList.get: index " + i + " is outside [0, " + modules.size() + ") for its " + modules.size()
                    + " module(s)");
        }
        return modules.get(i);
    }

    public int size() {
        return modules.size();
    }

    @Override
    public Iterator<Module> iterator() {
        return Collections.unmodifiableList(modules).iterator();
    }

    /** Refused, as in PyTorch: a list of modules has no one way to be applied. */
    @Override
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException("ModuleList has no forward: call its modules from the module that holds it (for (Module m : list) "
                + "x = m.forward(x)), or use Sequential to apply them one after another");
    }
}
