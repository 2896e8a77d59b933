package dev.fathom.train;

import dev.fathom.Fathom;
import dev.fathom.data.CharCorpus;
import dev.fathom.data.SplitMix64;
import dev.fathom.models.Gpt;
import dev.fathom.nn.Functional;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@link Parity} for the char-level GPT: the same seeded model (weights drawn once, on the CPU,
 * then copied to each device) trained for a few AdamW steps (the reference optimizer) on the same
 * windows of a text, on each device; losses compared step by step with the first device's.
 */
public final class CharLmParity {
    private CharLmParity() {
    }

    /**
     * {@code steps} AdamW(3e-4, weight decay 0.1) steps of a {@link Gpt} of {@code config} on
     * windows of {@code corpus}'s training split ({@code batch} rows of {@code config.context()},
     * SplitMix64({@code seed})) on each of {@code devices}.
     */
    public static Parity.Report run(Gpt.Config config, CharCorpus corpus, long seed, int steps, int batch, List<Device> devices) {
        Objects.requireNonNull(config, "config");
        if (steps < 1 || batch < 1 || devices.isEmpty() || corpus.vocabSize() != config.vocabSize()) {
            throw new IllegalArgumentException("GPT parity: need steps >= 1, batch >= 1, at least one device and a config for the corpus's vocabulary "
                    + "(got steps " + steps + ", batch " + batch + ", devices " + devices + ", vocab " + config.vocabSize() + " vs the corpus's "
                    + corpus.vocabSize() + ")");
        }
        for (Device d : devices) {
            Backends.kernels(d);  // an unusable device fails here, before any run
        }
        List<Parity.Run> runs = new ArrayList<>();
        for (Device d : devices) {
            runs.add(new Parity.Run(d, train(config, corpus, seed, steps, batch, d)));
        }
        return Parity.compare("gpt", runs);
    }

    private static double[] train(Gpt.Config config, CharCorpus corpus, long seed, int steps, int batch, Device device) {
        Device previous = Fathom.defaultDevice();
        Fathom.setDefaultDevice(Device.cpu());
        Fathom.seed(seed);
        double[] losses = new double[steps];
        long[] data = corpus.train();
        SplitMix64 rng = new SplitMix64(seed);
        int ctx = config.context();
        try (Gpt g = new Gpt(config)) {
            g.to(device).train();
            try (Optimizer opt = CharLmTraining.optimizer("gpt", g.parameters(), CharLmTraining.referenceLr("gpt"))) {
                for (int s = 0; s < steps; s++) {
                    try (Scope scope = Scope.open()) {
                        long[][] xy = CharCorpus.windows(data, corpus.trainOffsets(rng, batch, ctx), ctx);
                        Tensor logits = g.forward(Tensor.of(xy[0], batch, ctx).to(device));
                        Tensor loss = Functional.crossEntropy(logits.reshape(batch * ctx, config.vocabSize()), Tensor.of(xy[1], batch * ctx).to(device));
                        opt.zeroGrad();
                        loss.backward();
                        opt.step();
                        losses[s] = loss.itemDouble();
                    }
                }
            }
        } finally {
            Fathom.setDefaultDevice(previous);
        }
        return losses;
    }
}
