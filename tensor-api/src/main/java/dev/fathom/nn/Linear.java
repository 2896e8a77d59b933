package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

/** {@code y = x·Wᵀ + b} with W {@code [out_features, in_features]}, initialized as PyTorch ({@link Init#defaultLayer}). */
public final class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Parameter weight;
    private final Parameter bias;

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true);
    }

    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this(inFeatures, outFeatures, bias, Generator.global());
    }

    /** A layer initialized from {@code generator}. */
    public Linear(int inFeatures, int outFeatures, boolean bias, Generator generator) {
        if (inFeatures < 1 || outFeatures < 1) {
            throw new IllegalArgumentException("Linear: in_features and out_features must be >= 1, got " + inFeatures + " and " + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = parameter("weight", Tensor.zeros(DType.F32, outFeatures, inFeatures));
        this.bias = bias ? parameter("bias", Tensor.zeros(DType.F32, outFeatures)) : null;
        Init.defaultLayer(weight.data(), bias ? this.bias.data() : null, generator);
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.linear(input, weight.data(), bias == null ? null : bias.data());
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null when the layer has none. */
    public Parameter bias() {
        return bias;
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    @Override
    public String toString() {
        return "Linear(in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null ? "True" : "False") + ")";   // PyTorch's repr
    }
}
