/**
 * Optimizers, learning-rate schedules and gradient clipping.
 *
 * <ul>
 *   <li>{@link dev.fathom.optim.Optimizer}: the base class and its call order; the update rules
 *       {@link dev.fathom.optim.SGD}, {@link dev.fathom.optim.Adam}, {@link dev.fathom.optim.AdamW},
 *       {@link dev.fathom.optim.RMSProp} and {@link dev.fathom.optim.Adagrad}, each exactly the
 *       update of its {@code torch.optim} namesake. Hyperparameters are a {@code Config} record per
 *       optimizer with one {@code defaults()}; state lives in the optimizer, apart from the config.</li>
 *   <li>{@link dev.fathom.optim.OptimizerState}: what {@code stateDict()} returns and
 *       {@code loadStateDict} takes (per-parameter tensors such as {@code "0.exp_avg"} and scalars
 *       such as {@code "lr"} and {@code "0.step"}), ready for a checkpoint.</li>
 *   <li>{@link dev.fathom.optim.LrSchedule}: {@link dev.fathom.optim.StepLR},
 *       {@link dev.fathom.optim.ExponentialLR}, {@link dev.fathom.optim.CosineAnnealingLR} (with
 *       linear warm-up), {@link dev.fathom.optim.LinearLR}, {@link dev.fathom.optim.OneCycleLR} and
 *       {@link dev.fathom.optim.ReduceLROnPlateau}; each sets its optimizer's learning rate.</li>
 *   <li>{@link dev.fathom.optim.LBFGS}: PyTorch's L-BFGS, with its strong-Wolfe line search as an option, apart from the
 *       {@code Optimizer} base because each step evaluates a closure many times.</li>
 *   <li>{@link dev.fathom.optim.GradClip}: clipping by total norm and by value.</li>
 * </ul>
 *
 * <p>Note [L2 penalty vs decoupled weight decay]: the {@code weightDecay} option of SGD, Adam,
 * RMSProp and Adagrad is the coupled L2 penalty: it adds {@code weightDecay·p} to the gradient
 * before the update, so adaptive methods rescale it along with the gradient (a weight with a large
 * gradient history is decayed less). AdamW's {@code weightDecay} is decoupled (Loshchilov and
 * Hutter 2019): {@code p -= lr·weightDecay·p} apart from the gradient-based step, so every weight
 * decays at the same rate. For SGD without momentum the two coincide.
 *
 * <p>Contracts: updates run under {@code Autograd.noGrad()} with in-place tensor ops inside a
 * {@code Scope} of their own, so the temporaries of a step are freed by the step; optimizer state
 * lives outside every scope on its parameter's device and is released by {@code close()}. Nothing
 * here is thread-safe. Every update is written with tensor ops, so every backend runs it; SGD, Adam
 * and AdamW run the backend's fused update kernels instead where it has them
 * ({@code FusedSteps}: one in-place pass, no temporaries). Depends on
 * {@code dev.fathom.tensor}, {@code dev.fathom.autograd} and {@code dev.fathom.nn} (for
 * {@link dev.fathom.nn.Parameter}).
 */
package dev.fathom.optim;
