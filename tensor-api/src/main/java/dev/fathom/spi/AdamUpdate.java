package dev.fathom.spi;

/**
 * The hyperparameters of one fused Adam or AdamW step ({@link Kernels#adamUpdate}) at
 * {@code step} (1-based, for the bias corrections): {@code decoupled} selects AdamW's weight decay
 * (a shrink of the parameter) over Adam's L2 term added to the gradient. Validated by the optimizer
 * that builds it.
 */
public record AdamUpdate(double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled, boolean amsgrad,
                         long step) {
}
