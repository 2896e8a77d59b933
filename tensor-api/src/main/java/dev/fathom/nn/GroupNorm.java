package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

/**
 * Group normalization (Wu and He 2018) of {@code [N, C, *]} inputs: the C channels in
 * {@code numGroups} groups, each normalized per example, with a per-channel affine {@code weight}
 * (ones) and {@code bias} (zeros); eps 1e-5 as PyTorch. See {@link Functional#groupNorm}.
 */
public final class GroupNorm extends Module {
    private final int numGroups;
    private final int numChannels;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;

    public GroupNorm(int numGroups, int numChannels) {
        this(numGroups, numChannels, LayerNorm.DEFAULT_EPS, true);
    }

    public GroupNorm(int numGroups, int numChannels, double eps, boolean affine) {
        if (numGroups < 1 || numChannels < 1 || numChannels % numGroups != 0) {
            throw new IllegalArgumentException("GroupNorm: " + numChannels + " channels do not split into " + numGroups
                    + " groups; the group count must be >= 1 and divide the channel count");
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("GroupNorm: eps must be > 0, got " + eps);
        }
        this.numGroups = numGroups;
        this.numChannels = numChannels;
        this.eps = eps;
        this.weight = affine ? parameter("weight", Tensor.ones(DType.F32, numChannels)) : null;
        this.bias = affine ? parameter("bias", Tensor.zeros(DType.F32, numChannels)) : null;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.groupNorm(input, numGroups, weight == null ? null : weight.data(), bias == null ? null : bias.data(), eps);
    }

    @Override
    public String toString() {
        return "GroupNorm(" + numGroups + ", " + numChannels + ", eps=" + eps + ", affine=" + (weight != null) + ")";
    }
}
