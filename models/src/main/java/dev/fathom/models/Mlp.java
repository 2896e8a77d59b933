package dev.fathom.models;

import dev.fathom.nn.Linear;
import dev.fathom.nn.Module;
import dev.fathom.nn.ReLU;
import dev.fathom.nn.Sequential;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A multi-layer perceptron {@code Linear → ReLU → … → Linear} returning logits; PyTorch's default
 * initialization from the global generator, so {@code Fathom.seed} fixes the weights. The
 * reference workload is {@code new Mlp(784, 256, 128, 10)}.
 *
 * <p>Shapes: input {@code (B, sizes[0])} (or any {@code (B, …)} with that many features per
 * example, flattened), output {@code (B, sizes[last])}.
 */
public final class Mlp extends Module {
    private final int[] sizes;
    private final Sequential layers;

    public Mlp(int... sizes) {
        this(Generator.global(), sizes);
    }

    /** Initialized from {@code generator} instead of the global one (reproducible whatever other threads draw). */
    public Mlp(Generator generator, int... sizes) {
        java.util.Objects.requireNonNull(generator, "Mlp: generator is null (use Generator.global())");
        if (sizes.length < 2 || Arrays.stream(sizes).anyMatch(s -> s < 1)) {
            throw new IllegalArgumentException("Mlp: need at least two positive layer sizes, got " + Arrays.toString(sizes));
        }
        this.sizes = sizes.clone();
        List<Module> list = new ArrayList<>();
        for (int l = 0; l + 1 < sizes.length; l++) {
            list.add(new Linear(sizes[l], sizes[l + 1], true, generator));
            if (l + 2 < sizes.length) {
                list.add(new ReLU());
            }
        }
        layers = child("layers", new Sequential(list.toArray(Module[]::new)));
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.dim() < 1 || x.numel() != (long) x.size(0) * sizes[0]) {
            throw new IllegalArgumentException("Mlp.forward: expected [B, " + sizes[0] + "] (or [B, ...] with " + sizes[0]
                    + " features per example), got " + Shape.format(x.shape()));
        }
        return layers.forward(x.dim() == 2 ? x : x.reshape(x.size(0), sizes[0]));
    }

    /** The layer widths, e.g. {@code [784, 256, 128, 10]}. */
    public int[] sizes() {
        return sizes.clone();
    }

    /** {@code "Mlp(784-256-128-10)"}. */
    @Override
    public String toString() {
        return "Mlp(" + Arrays.stream(sizes).mapToObj(Integer::toString).collect(Collectors.joining("-")) + ")";
    }
}
