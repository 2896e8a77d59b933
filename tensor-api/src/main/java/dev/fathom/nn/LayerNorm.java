package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

/**
 * Layer normalization (Ba et al. 2016) over the trailing {@code normalizedShape}, with an
 * elementwise affine {@code weight} (ones) and {@code bias} (zeros); eps 1e-5 as PyTorch.
 */
public final class LayerNorm extends Module {
    public static final double DEFAULT_EPS = 1e-5;

    private final int[] normalizedShape;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;

    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, DEFAULT_EPS, true);
    }

    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine) {
        if (normalizedShape == null || normalizedShape.length == 0) {
            throw new IllegalArgumentException("LayerNorm: normalized shape must have at least one dim");
        }
        for (int s : normalizedShape) {
            if (s < 1) {
                throw new IllegalArgumentException("LayerNorm: normalized shape " + Shape.format(normalizedShape) + " has a size < 1");
            }
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("LayerNorm: eps must be > 0, got " + eps);
        }
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        this.weight = elementwiseAffine ? parameter("weight", Tensor.ones(DType.F32, normalizedShape)) : null;
        this.bias = elementwiseAffine ? parameter("bias", Tensor.zeros(DType.F32, normalizedShape)) : null;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.layerNorm(input, normalizedShape, weight == null ? null : weight.data(), bias == null ? null : bias.data(), eps);
    }

    public int[] normalizedShape() {
        return normalizedShape.clone();
    }

    public double eps() {
        return eps;
    }

    @Override
    public String toString() {
        return "LayerNorm(" + Shape.format(normalizedShape) + ", eps=" + eps + ", elementwise_affine=" + (weight != null) + ")";
    }
}
