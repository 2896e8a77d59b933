package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

/**
 * Batch normalization (Ioffe and Szegedy 2015) over channel dim 1, as PyTorch's
 * {@code _BatchNorm}: an affine {@code weight} (ones) and {@code bias} (zeros), buffers
 * {@code running_mean} (zeros), {@code running_var} (ones) and {@code num_batches_tracked} (an I64
 * 0-d count). Training normalizes with batch statistics and updates the running ones with
 * {@code momentum}; evaluation uses the running ones. See {@link Functional#batchNorm}.
 */
public abstract sealed class BatchNorm extends Module permits BatchNorm1d, BatchNorm2d {
    /** PyTorch's defaults. */
    public static final double DEFAULT_EPS = 1e-5;
    public static final double DEFAULT_MOMENTUM = 0.1;

    private final int numFeatures;
    private final double eps;
    private final double momentum;
    private final Parameter weight;
    private final Parameter bias;
    private final Parameter runningMean;
    private final Parameter runningVar;
    private final Parameter numBatchesTracked;

    BatchNorm(int numFeatures, double eps, double momentum, boolean affine) {
        String name = getClass().getSimpleName();
        if (numFeatures < 1) {
            throw new IllegalArgumentException(name + ": num_features must be >= 1, got " + numFeatures);
        }
        if (!(eps > 0) || !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(name + ": need eps > 0 and momentum in [0, 1], got eps " + eps + ", momentum " + momentum);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = affine ? parameter("weight", Tensor.ones(DType.F32, numFeatures)) : null;
        this.bias = affine ? parameter("bias", Tensor.zeros(DType.F32, numFeatures)) : null;
        this.runningMean = buffer("running_mean", Tensor.zeros(DType.F32, numFeatures));
        this.runningVar = buffer("running_var", Tensor.ones(DType.F32, numFeatures));
        this.numBatchesTracked = buffer("num_batches_tracked", Tensor.zeros(DType.I64));
    }

    /** The input ranks this layer accepts. */
    abstract boolean acceptsRank(int rank);

    abstract String expectedRanks();

    @Override
    public Tensor forward(Tensor input) {
        String name = getClass().getSimpleName();
        if (input == null || !acceptsRank(input.dim())) {
            throw new IllegalArgumentException(name + ": expected " + expectedRanks() + " input, got "
                    + (input == null ? "null" : input.describe()));
        }
        if (input.size(1) != numFeatures) {
            throw new IllegalArgumentException(name + ": input " + Shape.format(input.shape()) + " has " + input.size(1)
                    + " channels at dim 1, expected " + numFeatures);
        }
        if (isTraining()) {
            try (var g = Autograd.noGrad(); Tensor one = Tensor.onesLike(numBatchesTracked.data())) {
                numBatchesTracked.data().addInPlace(one);
            }
        }
        return Functional.batchNorm(input, runningMean.data(), runningVar.data(), weight == null ? null : weight.data(),
                bias == null ? null : bias.data(), isTraining(), momentum, eps);
    }

    public int numFeatures() {
        return numFeatures;
    }

    public double eps() {
        return eps;
    }

    public double momentum() {
        return momentum;
    }

    /** The scale, or null without affine. */
    public Parameter weight() {
        return weight;
    }

    /** The shift, or null without affine. */
    public Parameter bias() {
        return bias;
    }

    public Parameter runningMean() {
        return runningMean;
    }

    public Parameter runningVar() {
        return runningVar;
    }

    /** The number of training batches seen (I64, 0-d). */
    public Parameter numBatchesTracked() {
        return numBatchesTracked;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + numFeatures + ", eps=" + eps + ", momentum=" + momentum + ", affine=" + (weight != null)
                + ", track_running_stats=true)";
    }
}
