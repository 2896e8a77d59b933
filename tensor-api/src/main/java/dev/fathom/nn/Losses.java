package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.KernelOps;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * The losses behind {@link Functional}, with PyTorch's semantics. Class losses work on a flat
 * view: log-probabilities {@code [N, C, d...]} become {@code [M, C]} with the class dim last, and
 * targets {@code [N, d...]} become {@code [M]}.
 */
final class Losses {
    /** PyTorch's default ignore index: no class index equals it, so by default nothing is ignored. */
    static final long DEFAULT_IGNORE_INDEX = -100;

    private Losses() {
    }

    /** The flattened class-loss inputs and the per-target weights (0 where ignored). */
    private record Flat(Tensor logProbs, Tensor target, Tensor valid, Tensor targetWeight, int[] targetShape) {
    }

    private static Flat flatten(String op, Tensor logProbs, Tensor target, Tensor classWeights, long ignoreIndex) {
        Checks.floating(op, "input", logProbs);
        Checks.indices(op, "target", target);
        Checks.sameDevice(op, "input", logProbs, "target", target);
        Checks.like(op, "input", logProbs, "class weights", classWeights);
        int[] s = logProbs.shape();
        if (s.length < 2) {
            throw new IllegalArgumentException(op + ": input must be [N, C] or [N, C, d...], got " + Shape.format(s));
        }
        int c = s[1];
        int[] expected = new int[s.length - 1];
        expected[0] = s[0];
        System.arraycopy(s, 2, expected, 1, s.length - 2);
        if (!Arrays.equals(target.shape(), expected)) {
            throw new IllegalArgumentException(op + ": target must have shape " + Shape.format(expected) + " for input " + Shape.format(s)
                    + " (class indices, not one-hot), got " + Shape.format(target.shape()));
        }
        Checks.shape(op, "class weights", classWeights, c);
        Checks.values(op, target, 0, c - 1, ignoreIndex, t -> new IllegalArgumentException(op + ": target " + Checks.integer(t)
                + " is not a class index in [0, " + c + ") nor the ignore index " + ignoreIndex + " (input " + Shape.format(s) + ")"));
        int[] perm = new int[s.length];
        perm[0] = 0;
        for (int i = 2; i < s.length; i++) {
            perm[i - 1] = i;
        }
        perm[s.length - 1] = 1;
        Tensor lp = logProbs.permute(perm).reshape(-1, c);
        Tensor t = target.reshape(-1);
        Tensor valid = t.ne(ignoreIndex);
        Tensor safe = Tensor.where(valid, t, Tensor.zerosLike(t));
        Tensor w = valid.to(logProbs.dtype());
        if (classWeights != null) {
            w = w.mul(classWeights.gather(0, safe));
        }
        return new Flat(lp, safe, valid, w, expected);
    }

    static Tensor nllLoss(Tensor logProbs, Tensor target, Tensor classWeights, long ignoreIndex, Reduction reduction) {
        Checks.reduction("nllLoss", reduction);
        Flat f = flatten("nllLoss", logProbs, target, classWeights, ignoreIndex);
        return nll(f, reduction);
    }

    private static Tensor nll(Flat f, Reduction reduction) {
        Tensor picked = f.logProbs.gather(1, f.target.unsqueeze(1)).squeeze(1);
        Tensor l = Tensor.where(f.valid, picked.neg().mul(f.targetWeight), Tensor.zerosLike(f.targetWeight));
        return switch (reduction) {
            case NONE -> l.reshape(f.targetShape);
            case SUM -> l.sum();
            case MEAN -> l.sum().div(f.targetWeight.sum());
        };
    }

    static Tensor crossEntropy(Tensor logits, Tensor target, Tensor classWeights, long ignoreIndex, double labelSmoothing,
                               Reduction reduction) {
        String op = "crossEntropy";
        Checks.reduction(op, reduction);
        Checks.floating(op, "input", logits);
        Checks.range(op, "label smoothing", labelSmoothing, 0, 1);
        if (logits.dim() < 2) {
            throw new IllegalArgumentException(op + ": input must be [N, C] or [N, C, d...] logits, got " + Shape.format(logits.shape()));
        }
        if (target != null && target.dtype().isFloating()) {
            return crossEntropyOfProbabilities(op, logits, target, classWeights, labelSmoothing, reduction);
        }
        Flat f = flatten(op, logits.logSoftmax(1), target, classWeights, ignoreIndex);
        Tensor nll = nll(f, reduction);
        if (labelSmoothing == 0) {
            return nll;
        }
        // PyTorch's smoothing term: −Σ_c w_c·log p_c per target, 0 where ignored, and the mean
        // divided by the same weight sum as the NLL's (the count of targets without weights).
        int c = logits.size(1);
        Tensor weighted = classWeights == null ? f.logProbs : f.logProbs.mul(classWeights);
        Tensor smooth = Tensor.where(f.valid, weighted.sum(new int[] {1}, false).neg(), Tensor.zerosLike(f.targetWeight));
        Tensor reduced = switch (reduction) {
            case NONE -> smooth.reshape(f.targetShape);
            case SUM -> smooth.sum();
            case MEAN -> smooth.sum().div(f.targetWeight.sum());
        };
        return nll.mul(1 - labelSmoothing).add(reduced.mul(labelSmoothing / c));
    }

    /**
     * Cross-entropy against class probabilities of the logits' shape, as PyTorch's: with smoothing ε
     * the target is {@code (1−ε)·y + ε/C}; per element {@code −Σ_c w_c·y_c·log p_c}; the mean divides
     * by the number of elements ({@code N·d...}), not by weights. No ignore index (PyTorch's applies
     * to class indices only).
     */
    private static Tensor crossEntropyOfProbabilities(String op, Tensor logits, Tensor target, Tensor classWeights, double labelSmoothing,
                                                      Reduction reduction) {
        if (!Arrays.equals(target.shape(), logits.shape())) {
            throw new IllegalArgumentException(op + ": a floating target holds class probabilities and must have the input's shape "
                    + Shape.format(logits.shape()) + ", got " + target.describe() + "; for class indices pass an I64 target");
        }
        Checks.like(op, "input", logits, "target", target);
        Checks.like(op, "input", logits, "class weights", classWeights);
        int c = logits.size(1);
        Checks.shape(op, "class weights", classWeights, c);
        Tensor y = labelSmoothing == 0 ? target : target.mul(1 - labelSmoothing).add(labelSmoothing / c);
        Tensor terms = logits.logSoftmax(1).mul(y);
        if (classWeights != null) {
            terms = terms.mul(classWeights.reshape(Normalization.channelShape(logits.dim(), c)));
        }
        Tensor per = terms.sum(new int[] {1}, false).neg();
        return reduction.apply(per);
    }

    static Tensor mse(Tensor input, Tensor target, Reduction reduction) {
        Checks.reduction("mseLoss", reduction);
        Checks.pair("mseLoss", input, target);
        Tensor d = input.sub(target);
        return reduction.apply(d.mul(d));
    }

    static Tensor l1(Tensor input, Tensor target, Reduction reduction) {
        Checks.reduction("l1Loss", reduction);
        Checks.pair("l1Loss", input, target);
        return reduction.apply(input.sub(target).abs());
    }

    static Tensor smoothL1(Tensor input, Tensor target, double beta, Reduction reduction) {
        if (!(beta >= 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("smoothL1Loss: beta must be >= 0 and finite, got " + beta);
        }
        return beta == 0 ? l1(input, target, reduction) : huber(input, target, beta, reduction).div(beta);
    }

    static Tensor klDiv(Tensor input, Tensor target, boolean logTarget, Reduction reduction) {
        String op = "klDiv";
        Checks.reduction(op, reduction);
        Checks.pair(op, input, target);
        Tensor pointwise;
        if (logTarget) {
            pointwise = target.exp().mul(target.sub(input));
        } else {
            // xlogy: 0·log 0 is 0; log of 1 where the target is 0 keeps its gradient finite too.
            Tensor safe = Tensor.where(target.eq(0), 1, target);
            pointwise = target.mul(safe.log().sub(input));
        }
        return reduction.apply(pointwise);
    }

    static Tensor huber(Tensor input, Tensor target, double delta, Reduction reduction) {
        Checks.reduction("huberLoss", reduction);
        Checks.pair("huberLoss", input, target);
        Checks.positive("huberLoss", "delta", delta);
        Tensor d = input.sub(target);
        Tensor a = d.abs();
        Tensor l = Tensor.where(a.lt(delta), d.mul(d).mul(0.5), a.sub(0.5 * delta).mul(delta));
        return reduction.apply(l);
    }

    static Tensor bce(Tensor probs, Tensor target, Tensor weight, Reduction reduction) {
        String op = "bce";
        Checks.reduction(op, reduction);
        Checks.pair(op, probs, target);
        Checks.like(op, "input", probs, "weight", weight);
        broadcastable(op, "weight", weight, probs);
        Supplier<String> probsDesc = Checks.describeLater(probs);
        Checks.values(op, probs, 0, 1, Double.NaN, p -> new IllegalArgumentException(op + ": input must hold probabilities in "
                + "[0, 1], got " + p + " in " + probsDesc.get() + "; for logits use bceWithLogits"));
        if (!target.requiresGrad() && (weight == null || !weight.requiresGrad()) && Autograd.shouldRecord(probs)) {
            return plainBce(probs, target, weight, reduction);
        }
        return bceTerms(probs, target, weight, reduction);
    }

    /** The loss of {@link #bce} in tensor ops (checked arguments), recorded when autograd records. */
    private static Tensor bceTerms(Tensor probs, Tensor target, Tensor weight, Reduction reduction) {
        // PyTorch clamps the logs at −100 so that p = 0 or 1 gives a finite loss.
        Tensor logP = probs.log().clamp(-100, Double.POSITIVE_INFINITY);
        Tensor log1mP = probs.neg().add(1).log().clamp(-100, Double.POSITIVE_INFINITY);
        Tensor l = target.mul(logP).add(target.neg().add(1).mul(log1mP)).neg();
        if (weight != null) {
            l = l.mul(weight);
        }
        return reduction.apply(l);
    }

    /**
     * {@code bce} when only the probabilities need a gradient: the loss computed without recording,
     * and one node with PyTorch's gradient {@code w·g·(p − t)/max(p·(1 − p), 1e-12)} (over N for the
     * mean). The composite's gradient is 0/0 = NaN where p is exactly 0 or 1 (a sigmoid of 17 or more
     * in F32 is 1): its clamp stops the incoming gradient, but the log's backward still divides by p.
     * The formula is made of recorded ops, so a graph-building pass can differentiate it again.
     */
    private static Tensor plainBce(Tensor probs, Tensor target, Tensor weight, Reduction reduction) {
        Tensor[] saved = weight == null ? new Tensor[] {probs, target} : new Tensor[] {probs, target, weight};
        return oneNode("bce", probs, saved, reduction, () -> bceTerms(probs, target, weight, reduction), g -> {
            Tensor curvature = probs.mul(probs.neg().add(1)).clamp(1e-12, Double.POSITIVE_INFINITY);
            Tensor d = probs.sub(target).div(curvature).mul(g);
            return weight == null ? d : d.mul(weight);
        });
    }

    /**
     * {@code loss} computed without recording, as one node of {@code input} whose gradient is
     * {@code perElement(g)} (over N for the mean): the losses whose composite backward is slow or
     * undefined where PyTorch's formula is not. {@code saved} are the tensors the formula reads.
     */
    private static Tensor oneNode(String name, Tensor input, Tensor[] saved, Reduction reduction, Supplier<Tensor> loss,
                                  java.util.function.UnaryOperator<Tensor> perElement) {
        Tensor value;
        try (GradMode off = Autograd.noGrad(); Scope s = Scope.open()) {
            value = s.keep(loss.get());
        }
        long n = input.numel();
        return KernelOps.hooks().record(name, value, new Tensor[] {input}, saved, g -> {
            Tensor d = perElement.apply(g);
            return new Tensor[] {reduction == Reduction.MEAN ? d.div(n) : d};
        });
    }

    static Tensor bceWithLogits(Tensor logits, Tensor target, Tensor weight, Tensor posWeight, Reduction reduction) {
        String op = "bceWithLogits";
        Checks.reduction(op, reduction);
        Checks.pair(op, logits, target);
        Checks.like(op, "input", logits, "weight", weight);
        Checks.like(op, "input", logits, "posWeight", posWeight);
        broadcastable(op, "weight", weight, logits);
        broadcastable(op, "posWeight", posWeight, logits);
        if (weight == null && posWeight == null && !target.requiresGrad() && Autograd.shouldRecord(logits)) {
            return plainBceWithLogits(logits, target, reduction);
        }
        return bceWithLogitsTerms(logits, target, weight, posWeight, reduction);
    }

    /** The loss of {@link #bceWithLogits} in tensor ops (checked arguments), recorded when autograd records. */
    private static Tensor bceWithLogitsTerms(Tensor logits, Tensor target, Tensor weight, Tensor posWeight, Reduction reduction) {
        // The loss is (1 − t)·x + (1 + (pw − 1)·t)·(−log σ(x)) (the factor 1 without posWeight).
        Tensor softplusNeg = negLogSigmoid(logits);
        Tensor l = target.neg().add(1).mul(logits).add(posWeight == null ? softplusNeg : posWeight.sub(1).mul(target).add(1).mul(softplusNeg));
        if (weight != null) {
            l = l.mul(weight);
        }
        return reduction.apply(l);
    }

    /**
     * {@code −log σ(x) = log(1 + e^{−x})} without overflow, and with the derivative {@code −σ(−x)}
     * everywhere: written as {@code max(−x, 0) + log(1 + e^{−|x|})}, autograd took the kinks of max
     * and |x| at 0 as slope 0 and gave 0 there, not −1/2. Each branch is evaluated on x where it
     * holds and on 0 elsewhere (finite, so the branch not taken passes no 0·∞).
     */
    private static Tensor negLogSigmoid(Tensor x) {
        Tensor atLeastZero = x.ge(0);
        Tensor nonNegative = Tensor.where(atLeastZero, x, 0);
        Tensor negative = Tensor.where(atLeastZero, 0, x);
        return Tensor.where(atLeastZero, nonNegative.neg().exp().add(1).log(), negative.exp().add(1).log().sub(negative));
    }

    /**
     * {@code bceWithLogits} without weights, when only the logits need a gradient (a GAN's
     * discriminator and generator losses): the loss computed without recording, and one node whose
     * gradient is {@code (σ(x) − t)·g} (over N for the mean), PyTorch's formula. The composite's
     * backward was a dozen elementwise launches per loss, for a handful of logits. The formula is
     * itself made of recorded ops, so a graph-building pass can differentiate it again.
     */
    private static Tensor plainBceWithLogits(Tensor logits, Tensor target, Reduction reduction) {
        return oneNode("bce_with_logits", logits, new Tensor[] {logits, target}, reduction,
                () -> bceWithLogitsTerms(logits, target, null, null, reduction), g -> logits.sigmoid().sub(target).mul(g));
    }

    private static void broadcastable(String op, String what, Tensor w, Tensor x) {
        if (w == null) {
            return;
        }
        int[] b;
        try {
            b = Shape.broadcast(op, x.shape(), w.shape());
        } catch (IllegalArgumentException e) {
            b = null;
        }
        if (b == null || !Arrays.equals(b, x.shape())) {
            throw new IllegalArgumentException(op + ": " + what + " of shape " + Shape.format(w.shape()) + " must broadcast to the input "
                    + Shape.format(x.shape()));
        }
    }
}
