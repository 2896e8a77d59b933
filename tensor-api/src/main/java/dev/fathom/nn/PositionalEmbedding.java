package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

/**
 * Learned absolute positions (as GPT-2's {@code wpe}): a table {@code weight [max_length, dim]},
 * initialized N(0, 1) as {@link Embedding}; {@link #forward} adds rows {@code offset … offset+T−1} to
 * a batch-first {@code [N, T, dim]} input (an offset continues a sequence under a {@link KvCache}).
 * Positions at or beyond {@code max_length} are an error, never wrapped.
 */
public final class PositionalEmbedding extends Module {
    private final int maxLength;
    private final int dim;
    private final Parameter weight;

    public PositionalEmbedding(int maxLength, int dim) {
        this(maxLength, dim, Generator.global());
    }

    public PositionalEmbedding(int maxLength, int dim, Generator generator) {
        if (maxLength < 1 || dim < 1) {
            throw new IllegalArgumentException("PositionalEmbedding: max_length and dim must be >= 1, got " + maxLength + " and " + dim);
        }
        this.maxLength = maxLength;
        this.dim = dim;
        this.weight = parameter("weight", Tensor.zeros(DType.F32, maxLength, dim));
        Init.normal(weight.data(), 0, 1, generator);
    }

    /** {@code x + weight[0:T]} for x {@code [N, T, dim]}. */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, 0);
    }

    /** {@code x + weight[offset : offset+T]}. */
    public Tensor forward(Tensor x, int offset) {
        Checks.floating("PositionalEmbedding", "input", x);
        Checks.like("PositionalEmbedding", "input", x, "weight", weight.data());
        if (x.dim() < 2 || x.size(-1) != dim) {
            throw new IllegalArgumentException("PositionalEmbedding: input must be [..., T, dim] with dim = " + dim + ", got " + Shape.format(x.shape()));
        }
        int t = x.size(-2);
        if (offset < 0 || offset + t > maxLength) {
            throw new IllegalArgumentException("PositionalEmbedding: positions " + offset + ".." + (offset + t - 1) + " (offset " + offset + ", input "
                    + Shape.format(x.shape()) + ") exceed max_length = " + maxLength + "; build it with a larger max_length or use shorter sequences");
        }
        return Scope.intermediates(() -> x.add(weight.data().narrow(0, offset, t)));
    }

    public Parameter weight() {
        return weight;
    }

    public int maxLength() {
        return maxLength;
    }

    @Override
    public String toString() {
        return "PositionalEmbedding(" + maxLength + ", " + dim + ")";
    }
}
