package dev.fathom.train;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

/**
 * Loss functions written with tensor ops (their gradients come from autograd). They move to
 * {@code dev.fathom.nn.Functional} when that package exists.
 */
public final class Losses {
    private Losses() {
    }

    /**
     * Mean softmax cross-entropy {@code -mean_b log softmax(logits)[b, labels[b]]}, computed as
     * log-softmax then gather so that large logits cannot overflow.
     *
     * @param logits {@code (B, C)} floating
     * @param labels {@code (B)} I64 in {@code [0, C)}
     */
    public static Tensor crossEntropy(Tensor logits, Tensor labels) {
        if (logits.dim() != 2 || labels.dim() != 1 || labels.size(0) != logits.size(0) || labels.dtype() != DType.I64) {
            throw new IllegalArgumentException("crossEntropy: expected logits [B, C] and I64 labels [B], got logits " + logits.describe()
                    + " and labels " + labels.describe());
        }
        return logits.logSoftmax(1).gather(1, labels.unsqueeze(1)).mean().neg();
    }
}
