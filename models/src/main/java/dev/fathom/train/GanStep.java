package dev.fathom.train;

import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.Objects;

/**
 * One step of GAN training as in {@code dcgan_fmnist.py} and Goodfellow et al., "Generative
 * Adversarial Nets" (2014), with the non-saturating generator loss:
 * <pre>
 *   fake = G(z)
 *   L_D  = BCE(D(real), 1) + BCE(D(fake.detach()), 0)     (two separate D passes: batch norm sees
 *                                                          each batch alone, as in the reference)
 *   D update
 *   L_G  = BCE(D(fake), 1)                                 (D after its update; G's graph of fake reused)
 *   G update
 * </pre>
 * BCE is {@link Functional#bceWithLogits}: D returns logits. Each step runs in its own
 * {@link Scope}; only the two losses leave it. A NaN or infinite loss throws
 * {@link TrainingDivergedException} naming the step and which loss, before that loss updates a net.
 */
public final class GanStep {
    /** The losses of one step: the discriminator's (sum of its real and fake terms) and the generator's. */
    public record Losses(double d, double g) {
    }

    private final Module generator;
    private final Module discriminator;
    private final Optimizer optG;
    private final Optimizer optD;

    public GanStep(Module generator, Module discriminator, Optimizer optG, Optimizer optD) {
        this.generator = Objects.requireNonNull(generator, "GanStep: generator is null");
        this.discriminator = Objects.requireNonNull(discriminator, "GanStep: discriminator is null");
        this.optG = Objects.requireNonNull(optG, "GanStep: optG is null");
        this.optD = Objects.requireNonNull(optD, "GanStep: optD is null");
    }

    /**
     * Runs step {@code step} (1-based, for messages) on a batch of real examples and a batch of
     * noise (the batch sizes may differ); returns the losses.
     */
    public Losses step(Tensor real, Tensor z, long step) {
        Objects.requireNonNull(real, "GanStep.step: real is null");
        Objects.requireNonNull(z, "GanStep.step: z is null");
        if (real.dim() < 1 || z.dim() < 1 || real.size(0) < 1 || z.size(0) < 1) {
            throw new IllegalArgumentException("GanStep.step: need batches of real examples and noise, got " + real.describe() + " and "
                    + z.describe());
        }
        generator.train();
        discriminator.train();
        try (Scope s = Scope.open()) {
            Tensor fake = generator.forward(z);
            Tensor realLogits = discriminator.forward(real);
            Tensor lossReal = Functional.bceWithLogits(realLogits, Tensor.onesLike(realLogits));
            Tensor fakeLogits = discriminator.forward(fake.detach());
            Tensor lossD = lossReal.add(Functional.bceWithLogits(fakeLogits, Tensor.zerosLike(fakeLogits)));
            double d = check(lossD.itemDouble(), "d_loss", step);
            optD.zeroGrad();
            lossD.backward();
            optD.step();

            Tensor genLogits = discriminator.forward(fake);
            Tensor lossG = Functional.bceWithLogits(genLogits, Tensor.onesLike(genLogits));
            double g = check(lossG.itemDouble(), "g_loss", step);
            optG.zeroGrad();
            lossG.backward();
            optG.step();
            return new Losses(d, g);
        }
    }

    private double check(double value, String name, long step) {
        if (!Double.isFinite(value)) {
            throw new TrainingDivergedException("GAN training diverged: " + name + " is " + value + " at step " + step
                    + " (learning rates: generator " + optG.lr() + ", discriminator " + optD.lr()
                    + "); lower the learning rates, or check the data for NaNs");
        }
        return value;
    }
}
