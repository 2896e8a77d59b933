package dev.fathom.spi;

/**
 * The hyperparameters of one fused SGD step ({@link Kernels#sgdUpdate}), as {@code torch.optim.SGD}:
 * {@code firstStep} says that the momentum buffer holds nothing yet (it is then set to the
 * gradient instead of being decayed). Validated by the optimizer that builds it.
 */
public record SgdUpdate(double lr, double momentum, double dampening, double weightDecay, boolean nesterov, boolean firstStep) {
}
