package dev.fathom.optim;

import dev.fathom.autograd.Autograd;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Gradient clipping, as {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_}: call
 * it between {@code backward()} and {@code step()}. Parameters without a gradient are skipped.
 * The gradients are changed in place, under noGrad, in a scope of their own.
 */
public final class GradClip {
    /** Added to the total norm before dividing, as PyTorch does, so a zero norm never divides by zero. */
    private static final double EPS = 1e-6;

    private GradClip() {
    }

    /** {@link #clipGradNorm(List, double, double, boolean)} with the 2-norm, not failing on a non-finite norm. */
    public static double clipGradNorm(List<Parameter> params, double maxNorm) {
        return clipGradNorm(params, maxNorm, 2, false);
    }

    /**
     * Scales all gradients together so that their total {@code normType}-norm (the norm of the
     * concatenated gradients; {@code normType} is a finite p >= 1 or
     * {@link Double#POSITIVE_INFINITY} for the largest magnitude) is at most {@code maxNorm}: each
     * gradient is multiplied by {@code min(1, maxNorm / (total + 1e-6))}.
     *
     * <p>A NaN or infinite total norm (an overflow, a NaN in the loss) is returned and the
     * gradients are left as they are: scaling by a non-finite factor would only spread the damage,
     * and the caller (or a {@code Trainer}) can skip the step. With {@code errorIfNonfinite} it
     * throws {@link ArithmeticException} instead.
     *
     * @return the total norm before clipping
     */
    public static double clipGradNorm(List<Parameter> params, double maxNorm, double normType, boolean errorIfNonfinite) {
        Hyper.nonNegative("clipGradNorm", "maxNorm", maxNorm);
        if (!(normType >= 1)) {
            throw new IllegalArgumentException("clipGradNorm: normType must be >= 1 (2 for the Euclidean norm, Double.POSITIVE_INFINITY for "
                    + "the largest magnitude), got " + normType);
        }
        List<Tensor> grads = grads("clipGradNorm", params);
        if (grads.isEmpty()) {
            return 0;
        }
        boolean inf = Double.isInfinite(normType);
        try (var g = Autograd.noGrad(); Scope s = Scope.open()) {
            // Per-gradient norms in F64 on the first gradient's device, combined there: one read from the device.
            Device device = grads.get(0).device();
            Tensor[] parts = new Tensor[grads.size()];
            for (int i = 0; i < parts.length; i++) {
                Tensor a = grads.get(i).abs();
                // An empty gradient adds nothing to any norm (its max is no number at all).
                Tensor part = inf ? (a.numel() == 0 ? Tensor.zeros(a.dtype(), a.device()) : a.max())
                        : normType == 2 ? a.mul(a).sum() : a.pow(normType).sum();
                parts[i] = part.to(DType.F64).to(device);
            }
            Tensor all = Tensor.stack(0, parts);
            double total = inf ? all.max().itemDouble()
                    : normType == 2 ? Math.sqrt(all.sum().itemDouble()) : Math.pow(all.sum().itemDouble(), 1 / normType);
            if (!Double.isFinite(total)) {
                if (errorIfNonfinite) {
                    throw new ArithmeticException("clipGradNorm: the total " + normType + "-norm of the gradients of " + grads.size()
                            + " parameters is " + total + "; the loss or a gradient is not finite (lower the learning rate, or "
                            + "pass errorIfNonfinite=false to skip such steps yourself)");
                }
                return total;
            }
            double scale = maxNorm / (total + EPS);
            if (scale < 1) {
                for (Tensor grad : grads) {
                    grad.mulInPlace(scale);
                }
            }
            return total;
        }
    }

    /** Clamps every gradient element into {@code [-clipValue, clipValue]} ({@code clipValue} finite and > 0). NaNs stay NaN. */
    public static void clipGradValue(List<Parameter> params, double clipValue) {
        Hyper.positive("clipGradValue", "clipValue", clipValue);
        List<Tensor> grads = grads("clipGradValue", params);
        try (var g = Autograd.noGrad(); Scope s = Scope.open()) {
            for (Tensor grad : grads) {
                grad.copyFrom(grad.clamp(-clipValue, clipValue));
            }
        }
    }

    private static List<Tensor> grads(String op, List<Parameter> params) {
        if (params == null) {
            throw new IllegalArgumentException(op + ": the parameter list is null; pass model.parameters()");
        }
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            if (p == null) {
                throw new IllegalArgumentException(op + ": parameter " + i + " is null");
            }
            if (p.grad() != null) {
                out.add(p.grad());
            }
        }
        return out;
    }
}
