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
import java.util.Locale;
import java.util.Objects;

/**
 * {@link Parity} for the char-level GPT: the same seeded model (weights drawn once, on the CPU,
 * then copied to each device) trained for a few AdamW steps (the reference optimizer) on the same
 * windows of a text, on each device; losses compared step by step with the first device's.
 */
public final class CharLmParity {
    /** Every run and the largest relative loss difference from the first device's run, with where it occurred. */
    public record Report(Gpt.Config config, List<Parity.Run> runs, double maxRelativeDifference, int worstStep, Device worstDevice) {
        public Report {
            runs = List.copyOf(runs);
        }

        public String describe() {
            StringBuilder sb = new StringBuilder();
            Parity.Run ref = runs.getFirst();
            for (Parity.Run r : runs) {
                double[] l = r.losses();
                sb.append(String.format(Locale.ROOT, "gpt %-8s loss step 1 %.6f, step %d %.6f, max rel. diff from %s %.2e%n", r.device(), l[0], l.length,
                        l[l.length - 1], ref.device(), Parity.maxRelativeDifference(ref.losses(), l)));
            }
            return sb.toString();
        }
    }

    private CharLmParity() {
    }

    /**
     * {@code steps} AdamW(3e-4, weight decay 0.1) steps of a {@link Gpt} of {@code config} on
     * windows of {@code corpus}'s training split ({@code batch} rows of {@code config.context()},
     * SplitMix64({@code seed})) on each of {@code devices}.
     */
    public static Report run(Gpt.Config config, CharCorpus corpus, long seed, int steps, int batch, List<Device> devices) {
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
        double worst = 0;
        int worstStep = 1;
        Device worstDevice = devices.getFirst();
        double[] ref = runs.getFirst().losses();
        for (Parity.Run r : runs) {
            double[] l = r.losses();
            for (int s = 0; s < steps; s++) {
                double rel = Math.abs(l[s] - ref[s]) / Math.max(Math.abs(ref[s]), 1e-12);
                if (!(rel <= worst)) {  // NaN counts as the worst
                    worst = rel;
                    worstStep = s + 1;
                    worstDevice = r.device();
                }
            }
        }
        return new Report(config, runs, worst, worstStep, worstDevice);
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
