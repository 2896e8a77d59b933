package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.KernelOps;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The layer functions that modules call, as PyTorch's {@code torch.nn.functional}: linear maps,
 * activations, dropout, embedding, normalization and the losses. Each is a composition of tensor
 * ops, so it runs on every backend and its gradient comes from autograd; each checks its inputs
 * first and names itself, the shapes and the dtypes when they are wrong.
 *
 * <p>Tensors created inside a function belong to the caller's {@link dev.fathom.tensor.Scope}
 * (training loops open one per step). Inputs are never modified, except batch norm's running
 * statistics, which {@link #batchNorm} updates in place as PyTorch does.
 */
public final class Functional {
    /** The ignore index of the class losses when none is given (PyTorch's −100: no class index equals it). */
    public static final long DEFAULT_IGNORE_INDEX = Losses.DEFAULT_IGNORE_INDEX;

    private Functional() {
    }

    // ---- linear, activations ------------------------------------------------------------------

    /** {@code x·wᵀ + b} for x {@code [..., in]}, w {@code [out, in]} (PyTorch's layout) and b {@code [out]} or null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        Checks.floating("linear", "input", x);
        Checks.floating("linear", "weight", weight);
        Checks.like("linear", "input", x, "weight", weight);
        Checks.like("linear", "input", x, "bias", bias);
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("linear: weight must be 2-D [out_features, in_features], got " + Shape.format(weight.shape()));
        }
        if (x.dim() < 1 || x.size(-1) != weight.size(1)) {
            throw new IllegalArgumentException("linear: input " + Shape.format(x.shape()) + " must end in in_features = " + weight.size(1)
                    + " (weight " + Shape.format(weight.shape()) + ")");
        }
        Checks.shape("linear", "bias", bias, weight.size(0));
        return Scope.intermediates(() -> {
            Tensor y = x.matmul(weight.t());
            return bias == null ? y : y.add(bias);
        });
    }

    public static Tensor relu(Tensor x) {
        Checks.floating("relu", "input", x);
        return x.relu();
    }

    /** {@code x} for x > 0, else {@code slope·x}. */
    public static Tensor leakyRelu(Tensor x, double negativeSlope) {
        Checks.floating("leakyRelu", "input", x);
        if (!Double.isFinite(negativeSlope)) {
            throw new IllegalArgumentException("leakyRelu: negative slope must be finite, got " + negativeSlope);
        }
        if (!(negativeSlope > 0 && negativeSlope <= 1)) {
            return Scope.intermediates(() -> Tensor.where(x.gt(0), x, x.mul(negativeSlope)));
        }
        // For 0 < slope ≤ 1, max(x, slope·x) is x above 0 and slope·x below: two passes where the
        // composite takes three, and one node whose gradient where(x > 0, g, slope·g) takes three
        // where the composite's took five (a DCGAN's discriminator runs it twice per forward). At 0
        // the gradient is slope·g, as the composite's and PyTorch's. The formula is itself made of
        // recorded ops, so a graph-building pass can differentiate it again.
        Tensor y;
        try (GradMode off = Autograd.noGrad(); Scope s = Scope.open()) {
            y = s.keep(x.maximum(x.mul(negativeSlope)));
        }
        return KernelOps.hooks().record("leaky_relu", y, new Tensor[] {x}, new Tensor[] {x},
                g -> new Tensor[] {Tensor.where(x.gt(0), g, g.mul(negativeSlope))});
    }

    /** {@code x} for x > 0, else {@code α·(eˣ − 1)} (Clevert et al. 2015). */
    public static Tensor elu(Tensor x, double alpha) {
        Checks.floating("elu", "input", x);
        if (!Double.isFinite(alpha)) {
            throw new IllegalArgumentException("elu: alpha must be finite, got " + alpha);
        }
        // exp of x where x <= 0, else of 0: the branch not taken must stay finite, or its zero gradient
        // becomes 0·∞ = NaN. A where, not min(x, 0): min splits the gradient of a tie, and at x = 0 the
        // slope is α (PyTorch's), not α/2.
        return Scope.intermediates(() -> {
            Tensor zero = Tensor.zerosLike(x);
            Tensor negative = Tensor.where(x.gt(0), zero, x).exp().sub(1).mul(alpha);
            return Tensor.where(x.gt(0), x, negative);
        });
    }

    /** Exact GELU, {@code x·Φ(x)} (Hendrycks and Gimpel 2016). */
    public static Tensor gelu(Tensor x) {
        return gelu(x, false);
    }

    /** GELU; with {@code tanhApproximation} the tanh form (PyTorch's {@code approximate="tanh"}). */
    public static Tensor gelu(Tensor x, boolean tanhApproximation) {
        Checks.floating("gelu", "input", x);
        return tanhApproximation ? x.geluTanh() : x.gelu();
    }

    /** {@code x·σ(x)}. */
    /** {@link #softplus(Tensor, double, double)} with β 1 and threshold 20, PyTorch's defaults. */
    public static Tensor softplus(Tensor x) {
        return softplus(x, 1, 20);
    }

    /**
     * {@code log(1 + e^{βx})/β}, and x itself where {@code βx > threshold} (PyTorch's
     * {@code softplus}); its gradient is {@code σ(βx)}, 1 above the threshold.
     */
    public static Tensor softplus(Tensor x, double beta, double threshold) {
        Checks.floating("softplus", "input", x);
        if (!(beta > 0) || Double.isInfinite(beta) || Double.isNaN(threshold)) {
            throw new IllegalArgumentException("softplus: beta must be positive and finite, and threshold a number; got beta " + beta
                    + ", threshold " + threshold);
        }
        // One node: the value as max(z, 0) + log1p(e^{−|z|}) with z = βx (e^{−|z|} <= 1 never
        // overflows); log1p keeps the tail e^{βx}/β that log(1 + v) rounds away; the gradient σ(βx)·g,
        // itself recorded ops.
        Tensor y;
        try (GradMode off = Autograd.noGrad(); Scope s = Scope.open()) {
            Tensor z = x.mul(beta);
            Tensor log1p = z.abs().neg().exp().log1p();
            y = s.keep(Tensor.where(z.gt(threshold), x, z.relu().add(log1p).div(beta)));
        }
        return KernelOps.hooks().record("softplus", y, new Tensor[] {x}, new Tensor[] {x}, g -> {
            Tensor z = x.mul(beta);
            return new Tensor[] {Tensor.where(z.gt(threshold), g, g.mul(z.sigmoid()))};
        });
    }

    public static Tensor silu(Tensor x) {
        Checks.floating("silu", "input", x);
        return x.silu();
    }

    public static Tensor tanh(Tensor x) {
        Checks.floating("tanh", "input", x);
        return x.tanh();
    }

    public static Tensor sigmoid(Tensor x) {
        Checks.floating("sigmoid", "input", x);
        return x.sigmoid();
    }

    public static Tensor softmax(Tensor x, int dim) {
        Checks.floating("softmax", "input", x);
        return x.softmax(dim);
    }

    public static Tensor logSoftmax(Tensor x, int dim) {
        Checks.floating("logSoftmax", "input", x);
        return x.logSoftmax(dim);
    }

    /** Dims {@code startDim..endDim} (inclusive, negative from the end) flattened into one. */
    public static Tensor flatten(Tensor x, int startDim, int endDim) {
        Objects.requireNonNull(x, "flatten: input is null");
        return x.flatten(startDim, endDim);
    }

    // ---- convolution, pooling (the kernels and their recording live in Convolutions) ---------

    /** 2-D convolution of {@code (N, C, H, W)} with weight {@code (C_out, C/groups, kh, kw)}; see {@link Convolutions#conv2d}. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        return Convolutions.conv2d(x, weight, bias, stride, padding, dilation, groups);
    }

    /**
     * 2-D transposed convolution of {@code (N, C_in, H, W)} with weight {@code (C_in, C_out/groups, kh, kw)}, PyTorch's
     * argument order; see {@link Convolutions#convTranspose2d}.
     */
    public static Tensor convTranspose2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int outputPadding, int groups,
                                         int dilation) {
        return Convolutions.convTranspose2d(x, weight, bias, stride, padding, outputPadding, groups, dilation);
    }

    /** 1-D convolution of {@code (N, C, L)} with weight {@code (C_out, C/groups, K)}; see {@link Convolutions1d#conv1d}. */
    public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        return Convolutions1d.conv1d(x, weight, bias, stride, padding, dilation, groups);
    }

    /** 1-D max pooling; see {@link Convolutions1d#maxPool1d}. */
    public static Tensor maxPool1d(Tensor x, int kernel, int stride, int padding) {
        return Convolutions1d.maxPool1d(x, kernel, stride, padding, 1, false);
    }

    /** 1-D average pooling (padding counted, as PyTorch's default); see {@link Convolutions1d#avgPool1d}. */
    public static Tensor avgPool1d(Tensor x, int kernel, int stride, int padding) {
        return Convolutions1d.avgPool1d(x, kernel, stride, padding, false, true);
    }

    /** Nearest-neighbour upsampling by an integer factor; see {@link Upsample#nearest}. */
    public static Tensor upsampleNearest(Tensor x, int scale) {
        return Upsample.nearest(x, scale);
    }

    /** Max pooling; see {@link Convolutions#maxPool2d}. */
    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        return Convolutions.maxPool2d(x, kernel, stride, padding);
    }

    /** Average pooling (padding counted, as PyTorch's default); see {@link Convolutions#avgPool2d}. */
    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        return Convolutions.avgPool2d(x, kernel, stride, padding);
    }

    /** Average pooling to an {@code outH × outW} grid with PyTorch's windows. */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        return Convolutions.adaptiveAvgPool2d(x, outH, outW);
    }

    // ---- dropout, embedding -------------------------------------------------------------------

    /**
     * Zeroes each element with probability {@code p} and scales the rest by {@code 1/(1−p)}
     * (inverted dropout, Srivastava et al. 2014), with a Philox mask from {@code generator}, so a
     * seed fixes the mask on every backend. The input itself in evaluation or for p = 0; zeros
     * (times the input, as PyTorch) for p = 1.
     */
    public static Tensor dropout(Tensor x, double p, boolean training, Generator generator) {
        Checks.floating("dropout", "input", x);
        Checks.range("dropout", "probability p", p, 0, 1);
        Objects.requireNonNull(generator, "dropout: generator is null (use Generator.global())");
        if (!training || p == 0) {
            return x;
        }
        if (p == 1) {
            return x.mul(0.0);
        }
        return Scope.intermediates(() -> {
            Tensor mask = Tensor.bernoulli(1 - p, x.dtype(), generator, x.shape()).to(x.device());
            return x.mul(mask.mul(1 / (1 - p)));
        });
    }

    /** {@link #dropout(Tensor, double, boolean, Generator)} with the global generator. */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        return dropout(x, p, training, Generator.global());
    }

    /**
     * {@code F.one_hot}: I64 {@code labels} (any shape) as I64 {@code [labels..., numClasses]} rows
     * of zeros with a 1 at each label; {@code numClasses} -1 takes the largest label + 1. A label
     * outside {@code [0, numClasses)} is refused (the check reads the labels' range back).
     */
    public static Tensor oneHot(Tensor labels, int numClasses) {
        Checks.indices("oneHot", "labels", labels);
        if (numClasses < -1 || numClasses == 0) {
            throw new IllegalArgumentException("oneHot: numClasses must be >= 1, or -1 to take the largest label + 1; got " + numClasses);
        }
        long lo = labels.numel() == 0 ? 0 : labels.min().itemLong(), hi = labels.numel() == 0 ? -1 : labels.max().itemLong();
        if (numClasses == -1 && labels.numel() == 0) {
            throw new IllegalArgumentException("oneHot: cannot infer the number of classes from empty labels " + labels.describe()
                    + "; pass numClasses");
        }
        long classes = numClasses == -1 ? hi + 1 : numClasses;
        if (lo < 0 || hi >= classes || classes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("oneHot: labels " + labels.describe() + " run from " + lo + " to " + hi + ", outside [0, " + classes
                    + "); " + (numClasses == -1 ? "labels must be >= 0" : "raise numClasses or fix the labels"));
        }
        return Scope.intermediates(() -> labels.unsqueeze(-1).eq(Tensor.arange(classes).to(labels.device())).to(DType.I64));
    }

    /**
     * {@code F.pad} in constant mode: {@code pad} holds (before, after) pairs for the last dim first,
     * then the one before it, and so on (up to every dim); each adds that many {@code value} entries,
     * or crops when negative. Always a copy.
     */
    public static Tensor pad(Tensor x, int[] pad, double value) {
        Objects.requireNonNull(x, "pad: x is null");
        x.checkOpen("pad");
        Objects.requireNonNull(pad, "pad: pad is null");
        int rank = x.dim();
        if (pad.length % 2 != 0 || pad.length / 2 > rank) {
            throw new IllegalArgumentException("pad: pad " + Arrays.toString(pad) + " must hold (before, after) pairs for at most the " + rank
                    + " dims of " + x.describe() + ", last dim first");
        }
        int[] shape = x.shape();
        for (int i = 0; i < pad.length / 2; i++) {
            int d = rank - 1 - i;
            long cropped = (long) Math.max(0, -pad[2 * i]) + Math.max(0, -pad[2 * i + 1]);
            if (cropped > shape[d] || (long) shape[d] + pad[2 * i] + pad[2 * i + 1] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("pad: pad " + Arrays.toString(pad) + " " + (cropped > shape[d] ? "crops " + cropped
                        + " entries from dim " + d + ", which holds " + shape[d] : "makes dim " + d + " too long") + " (" + x.describe() + ")");
            }
        }
        return Scope.intermediates(() -> {
            Tensor out = x;
            for (int i = 0; i < pad.length / 2; i++) {
                int d = rank - 1 - i, before = pad[2 * i], after = pad[2 * i + 1];
                int start = Math.max(0, -before), kept = out.size(d) - start - Math.max(0, -after);
                if (kept < out.size(d)) {
                    out = out.narrow(d, start, kept);
                }
                List<Tensor> parts = new ArrayList<>(3);
                if (before > 0) {
                    parts.add(filled(out, d, before, value));
                }
                parts.add(out);
                if (after > 0) {
                    parts.add(filled(out, d, after, value));
                }
                if (parts.size() > 1) {
                    out = Tensor.cat(d, parts.toArray(Tensor[]::new));
                }
            }
            return out == x || out.sharesStorageWith(x) ? out.clone() : out;
        });
    }

    /** {@code value} in x's shape with {@code length} on {@code dim}, x's dtype and device. */
    private static Tensor filled(Tensor x, int dim, int length, double value) {
        int[] s = x.shape();
        s[dim] = length;
        return Tensor.full(value, x.dtype(), x.device(), s);
    }

    /**
     * Rows of {@code weight} {@code [num, dim]} at the I64 {@code ids} (any shape): {@code [ids..., dim]}.
     * An id outside {@code [0, num)} throws IllegalArgumentException; on a GPU the device checks the
     * ids without the host waiting, so the exception comes from the next read or synchronization.
     */
    public static Tensor embedding(Tensor ids, Tensor weight) {
        Checks.indices("embedding", "ids", ids);
        Checks.floating("embedding", "weight", weight);
        Checks.sameDevice("embedding", "weight", weight, "ids", ids);
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("embedding: weight must be 2-D [num_embeddings, embedding_dim], got " + Shape.format(weight.shape()));
        }
        int num = weight.size(0);
        Supplier<String> idsDesc = Checks.describeLater(ids);
        int[] weightShape = weight.shape();
        Checks.values("embedding", ids, 0, num - 1, Double.NaN, id -> new IllegalArgumentException("embedding: ids must be in [0, "
                + num + "), got " + Checks.integer(id) + " in " + idsDesc.get() + " (weight " + Shape.format(weightShape) + ")"));
        int[] shape = java.util.Arrays.copyOf(ids.shape(), ids.dim() + 1);
        shape[ids.dim()] = weight.size(1);
        return Scope.intermediates(() -> weight.indexSelect(0, ids.reshape(-1)).reshape(shape));
    }

    /**
     * {@link #embedding(Tensor, Tensor)} whose row {@code paddingIdx} (from the end when negative, as
     * PyTorch's {@code padding_idx}) gets no gradient: ids equal to it look up the row as a constant.
     */
    public static Tensor embedding(Tensor ids, Tensor weight, int paddingIdx) {
        Tensor rows = embedding(ids, weight);
        long pad;
        try {
            pad = Checks.paddingRow("embedding", paddingIdx, weight.size(0));
        } catch (IllegalArgumentException e) {
            rows.close();
            throw e;
        }
        return Scope.intermediates(() -> Tensor.where(ids.eq(pad).unsqueeze(-1), rows.detach(), rows));
    }

    // ---- attention ----------------------------------------------------------------------------

    /**
     * Scaled dot-product attention {@code dropout(softmax(q·kᵀ/√E + mask))·v} for q {@code [..., L, E]},
     * k {@code [..., S, E]}, v {@code [..., S, Ev]}: the one place the formula lives (see {@link Attention}
     * for the mask conventions, causal alignment and Note [fully masked rows]). Dropout uses the global generator.
     *
     * @param mask BOOL ({@code true} = ignore that key) or additive, broadcast to {@code [..., L, S]}; or null
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double dropoutP,
                                                   boolean training) {
        return Attention.sdpa(q, k, v, mask, causal, dropoutP, training, Generator.global());
    }

    /** As {@link #scaledDotProductAttention(Tensor, Tensor, Tensor, Tensor, boolean, double, boolean)}, with dropout masks from {@code generator}. */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double dropoutP,
                                                   boolean training, Generator generator) {
        return Attention.sdpa(q, k, v, mask, causal, dropoutP, training, generator);
    }

    /** The attention probabilities {@code softmax(q·kᵀ/√E + mask)}, {@code [..., L, S]}, without dropout (to inspect or plot). */
    public static Tensor attentionWeights(Tensor q, Tensor k, Tensor mask, boolean causal) {
        return Attention.weights(q, k, mask, causal);
    }

    // ---- normalization ------------------------------------------------------------------------

    /**
     * Layer normalization (Ba et al. 2016) over the trailing dims {@code normalizedShape}, with
     * the biased variance; weight and bias (of that shape) may be null.
     */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        return Scope.intermediates(() -> Normalization.layerNorm(x, normalizedShape, weight, bias, eps));
    }

    /**
     * Group normalization (Wu and He 2018) of x {@code [N, C, *]}: the C channels in {@code groups}
     * groups, each (example, group) normalized with its mean and biased variance, then
     * {@code ·weight[c] + bias[c]} ({@code [C]} or null), as {@code torch.nn.functional.group_norm}.
     */
    public static Tensor groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps) {
        return Scope.intermediates(() -> Normalization.groupNorm(x, groups, weight, bias, eps));
    }

    /**
     * Batch normalization (Ioffe and Szegedy 2015) of x {@code [N, C]}, {@code [N, C, L]} or
     * {@code [N, C, H, W]} per channel C. In training, or when there are no running statistics,
     * it normalizes with the batch mean and biased variance; in training it also updates the
     * running statistics in place, {@code r ← (1−momentum)·r + momentum·s}, with the unbiased
     * variance, as PyTorch. In evaluation it uses the running statistics. Weight, bias and the
     * running statistics are {@code [C]} or null.
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, boolean training,
                                   double momentum, double eps) {
        return Scope.intermediates(() -> Normalization.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps));
    }

    // ---- losses -------------------------------------------------------------------------------

    /** Cross-entropy with mean reduction, no weights, no ignore index, no smoothing. */
    public static Tensor crossEntropy(Tensor logits, Tensor target) {
        return Scope.intermediates(() -> Losses.crossEntropy(logits, target, null, DEFAULT_IGNORE_INDEX, 0, Reduction.MEAN));
    }

    /**
     * Cross-entropy of logits {@code [N, C]} or {@code [N, C, d...]} against I64 class indices
     * {@code [N]} or {@code [N, d...]}, as {@code torch.nn.functional.cross_entropy}: the NLL of
     * the log-softmax, plus, with label smoothing ε, {@code (1−ε)·nll + ε/C·Σ_c −w_c·log p_c}.
     * Targets equal to {@code ignoreIndex} contribute nothing. The mean is weighted:
     * {@code Σ w_{t_i}·l_i / Σ w_{t_i}} over the targets not ignored. Any other target outside
     * {@code [0, C)} throws IllegalArgumentException; on a GPU the device checks the targets without
     * the host waiting, so the exception comes from the next read or synchronization (the loss's
     * {@code item()}, typically).
     *
     * <p>A floating target of the logits' shape holds class probabilities (soft labels), as PyTorch
     * allows: per element {@code −Σ_c w_c·y_c·log p_c}, with smoothing applied to y as
     * {@code (1−ε)·y + ε/C}, ignoreIndex unused, and the mean over the {@code N·d...} elements.
     *
     * @param classWeights {@code [C]} or null
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target, Tensor classWeights, long ignoreIndex, double labelSmoothing,
                                      Reduction reduction) {
        return Scope.intermediates(() -> Losses.crossEntropy(logits, target, classWeights, ignoreIndex, labelSmoothing, reduction));
    }

    /** Negative log-likelihood of log-probabilities, mean reduction. */
    public static Tensor nllLoss(Tensor logProbs, Tensor target) {
        return Scope.intermediates(() -> Losses.nllLoss(logProbs, target, null, DEFAULT_IGNORE_INDEX, Reduction.MEAN));
    }

    /**
     * Negative log-likelihood {@code −w_{t_i}·logProbs[i, t_i]} of log-probabilities {@code [N, C]}
     * or {@code [N, C, d...]}; the mean divides by the sum of the weights of the targets not ignored.
     */
    public static Tensor nllLoss(Tensor logProbs, Tensor target, Tensor classWeights, long ignoreIndex, Reduction reduction) {
        return Scope.intermediates(() -> Losses.nllLoss(logProbs, target, classWeights, ignoreIndex, reduction));
    }

    /** Mean squared error. */
    public static Tensor mseLoss(Tensor input, Tensor target) {
        return Scope.intermediates(() -> Losses.mse(input, target, Reduction.MEAN));
    }

    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        return Scope.intermediates(() -> Losses.mse(input, target, reduction));
    }

    /** Mean absolute error. */
    public static Tensor l1Loss(Tensor input, Tensor target) {
        return Scope.intermediates(() -> Losses.l1(input, target, Reduction.MEAN));
    }

    public static Tensor l1Loss(Tensor input, Tensor target, Reduction reduction) {
        return Scope.intermediates(() -> Losses.l1(input, target, reduction));
    }

    /**
     * Smooth L1 loss (Girshick 2015, PyTorch's {@code smooth_l1_loss}): {@code ½d²/β} for
     * {@code |d| < β}, else {@code |d| − ½β}, the Huber loss over β; β = 0 is the L1 loss.
     */
    public static Tensor smoothL1Loss(Tensor input, Tensor target, double beta, Reduction reduction) {
        return Scope.intermediates(() -> Losses.smoothL1(input, target, beta, reduction));
    }

    /**
     * The pointwise Kullback–Leibler divergence {@code target·(log target − input)} of log-probabilities
     * {@code input} from probabilities {@code target} (0 where the target is 0), as
     * {@code torch.nn.functional.kl_div}; with {@code logTarget} the target holds log-probabilities,
     * {@code e^target·(target − input)}. PyTorch's {@code reduction="batchmean"}, the divergence
     * proper, is {@link Reduction#SUM} over the batch size.
     */
    public static Tensor klDiv(Tensor input, Tensor target, boolean logTarget, Reduction reduction) {
        return Scope.intermediates(() -> Losses.klDiv(input, target, logTarget, reduction));
    }

    /** Huber loss (Huber 1964): {@code ½d²} for {@code |d| < δ}, else {@code δ·(|d| − ½δ)}. */
    public static Tensor huberLoss(Tensor input, Tensor target, double delta) {
        return Scope.intermediates(() -> Losses.huber(input, target, delta, Reduction.MEAN));
    }

    public static Tensor huberLoss(Tensor input, Tensor target, double delta, Reduction reduction) {
        return Scope.intermediates(() -> Losses.huber(input, target, delta, reduction));
    }

    /**
     * Binary cross-entropy of probabilities in [0, 1]; logs are clamped at −100 as in PyTorch. An
     * input outside [0, 1] (or NaN) throws IllegalArgumentException, on a GPU from the next read or
     * synchronization.
     */
    public static Tensor bce(Tensor probs, Tensor target) {
        return Scope.intermediates(() -> Losses.bce(probs, target, null, Reduction.MEAN));
    }

    /** Binary cross-entropy with per-element weights (broadcast to the input; null for none). */
    public static Tensor bce(Tensor probs, Tensor target, Tensor weight, Reduction reduction) {
        return Scope.intermediates(() -> Losses.bce(probs, target, weight, reduction));
    }

    /** Binary cross-entropy of logits, computed stably as {@code max(x,0) − x·t + log(1 + e^{−|x|})}. */
    public static Tensor bceWithLogits(Tensor logits, Tensor target) {
        return Scope.intermediates(() -> Losses.bceWithLogits(logits, target, null, null, Reduction.MEAN));
    }

    /**
     * Binary cross-entropy of logits with per-element {@code weight} and a per-class
     * {@code posWeight} on the positive term (both broadcast to the input; null for none), as
     * {@code binary_cross_entropy_with_logits}.
     */
    public static Tensor bceWithLogits(Tensor logits, Tensor target, Tensor weight, Tensor posWeight, Reduction reduction) {
        return Scope.intermediates(() -> Losses.bceWithLogits(logits, target, weight, posWeight, reduction));
    }
}
