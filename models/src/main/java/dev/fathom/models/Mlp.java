package dev.fathom.models;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A multi-layer perceptron: {@code Linear → ReLU → … → Linear}, returning logits.
 *
 * <p>Shapes: input {@code (B, sizes[0])}, output {@code (B, sizes[last])}. Weights are stored
 * {@code (in, out)} so a layer is {@code x.matmul(w).add(b)}; they start He-normal
 * ({@code std = sqrt(2/in)}, suited to ReLU) from the given generator, biases at 0.
 */
public final class Mlp implements AutoCloseable {
    private final int[] sizes;
    private final List<Tensor> weights = new ArrayList<>();
    private final List<Tensor> biases = new ArrayList<>();

    /** An MLP with layer widths {@code sizes} (at least input and output), on the default device. */
    public Mlp(Generator generator, int... sizes) {
        if (sizes.length < 2 || Arrays.stream(sizes).anyMatch(s -> s < 1)) {
            throw new IllegalArgumentException("Mlp: need at least two positive layer sizes, got " + Arrays.toString(sizes));
        }
        this.sizes = sizes.clone();
        for (int l = 0; l + 1 < sizes.length; l++) {
            double std = Math.sqrt(2.0 / sizes[l]);
            weights.add(parameter(Tensor.normal(0, std, DType.F32, generator, sizes[l], sizes[l + 1])));
            biases.add(parameter(Tensor.zeros(sizes[l + 1])));
        }
    }

    private static Tensor parameter(Tensor t) {
        return Scope.escape(t).requiresGrad(true);
    }

    /** Logits {@code (B, out)} for inputs {@code (B, in)}. */
    public Tensor forward(Tensor x) {
        if (x.dim() != 2 || x.size(1) != sizes[0]) {
            throw new IllegalArgumentException("Mlp.forward: expected input of shape [B, " + sizes[0] + "], got " + x.describe());
        }
        Tensor h = x;
        for (int l = 0; l < weights.size(); l++) {
            h = h.matmul(weights.get(l)).add(biases.get(l));
            if (l + 1 < weights.size()) {
                h = h.relu();
            }
        }
        return h;
    }

    /** Weights and biases, layer by layer. */
    public List<Tensor> parameters() {
        List<Tensor> ps = new ArrayList<>();
        for (int l = 0; l < weights.size(); l++) {
            ps.add(weights.get(l));
            ps.add(biases.get(l));
        }
        return ps;
    }

    /** The number of trainable scalars. */
    public long parameterCount() {
        return parameters().stream().mapToLong(Tensor::numel).sum();
    }

    /** {@code "MLP 784-128-10"}. */
    @Override
    public String toString() {
        return "MLP " + Arrays.stream(sizes).mapToObj(Integer::toString).collect(Collectors.joining("-"));
    }

    /** Releases the parameters and their gradients. */
    @Override
    public void close() {
        parameters().forEach(Tensor::close);
    }
}
