package dev.fathom.io;

import dev.fathom.nn.Module;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Something whose state goes into a {@link Checkpoint} section: a model, an optimizer, an LR
 * schedule, a random generator, a data loader's shuffle position. State is named tensors plus
 * named strings (counters, hyperparameters, seeds); names may contain dots.
 *
 * <p>Contract of {@link #load}: it receives what {@link #tensors()} and {@link #scalars()} gave
 * when the checkpoint was saved, checks it (throwing {@link IllegalArgumentException} naming what is
 * missing or mismatched, ideally before changing anything), and restores it. The tensors given to
 * it are closed when the checkpoint's load returns: copy them ({@code copyFrom}) or take ownership
 * with {@link dev.fathom.tensor.Scope#escape}.
 */
public interface Stateful {
    /** The tensors to save, by name; the live tensors, not copies (they are read, never modified). */
    Map<String, Tensor> tensors();

    /** The strings to save, by name. */
    Map<String, String> scalars();

    /** Restores the state saved from {@link #tensors()} and {@link #scalars()}. */
    void load(Map<String, Tensor> tensors, Map<String, String> scalars);

    /** A module's {@linkplain Module#stateDict() state dict}, loaded strictly (every name, same shapes and dtypes). */
    static Stateful of(Module module) {
        Objects.requireNonNull(module, "Stateful.of: module is null");
        return of(module::stateDict, Map::of, (tensors, scalars) -> module.loadStateDict(tensors, true));
    }

    /** A generator's stream position: {@code seed} and {@code counter}. */
    static Stateful of(Generator generator) {
        Objects.requireNonNull(generator, "Stateful.of: generator is null");
        return of(Map::of,
                () -> Map.of("seed", Long.toString(generator.seed()), "counter", Long.toString(generator.counter())),
                (tensors, scalars) -> generator.setState(longScalar(scalars, "seed"), longScalar(scalars, "counter")));
    }

    /** State from plain functions, for classes that cannot implement this interface (those outside {@code models}). */
    static Stateful of(Supplier<Map<String, Tensor>> tensors, Supplier<Map<String, String>> scalars,
                       BiConsumer<Map<String, Tensor>, Map<String, String>> load) {
        Objects.requireNonNull(tensors, "Stateful.of: tensors is null");
        Objects.requireNonNull(scalars, "Stateful.of: scalars is null");
        Objects.requireNonNull(load, "Stateful.of: load is null");
        return new Stateful() {
            @Override
            public Map<String, Tensor> tensors() {
                return tensors.get();
            }

            @Override
            public Map<String, String> scalars() {
                return scalars.get();
            }

            @Override
            public void load(Map<String, Tensor> t, Map<String, String> s) {
                load.accept(t, s);
            }
        };
    }

    /** The scalar {@code key} parsed as a long; throws naming the key when it is missing or not a number. */
    static long longScalar(Map<String, String> scalars, String key) {
        String value = scalars.get(key);
        if (value == null) {
            throw new IllegalArgumentException("scalar '" + key + "' is missing (have " + scalars.keySet() + ")");
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("scalar '" + key + "' is \"" + value + "\", not an integer", e);
        }
    }
}
