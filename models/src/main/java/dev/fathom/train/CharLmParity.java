package dev.fathom.train;

import dev.fathom.Fathom;
import dev.fathom.data.CharCorpus;
import dev.fathom.data.SplitMix64;
import dev.fathom.models.CharLm;
import dev.fathom.models.Gpt;
import dev.fathom.models.LstmLM;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * {@link Parity} for the char-level language models ({@link Gpt}, {@link LstmLM}): the same seeded
 * model (weights drawn once per device from the same seed, on the CPU, then copied to the device)
 * trained for a few steps of its reference optimizer ({@link CharLmTraining#optimizer}: AdamW for
 * gpt, Adam for lstm, at the reference learning rate) on the same windows of a text, on each
 * device; losses compared step by step with the first device's.
 */
public final class CharLmParity {
    /** The context of the LSTM runs of {@link #reference}: the peers' 128, as the GPT's. */
    public static final int REFERENCE_LSTM_CONTEXT = 128;

    private CharLmParity() {
    }

    /**
     * {@code steps} steps of a {@link Gpt} of {@code config} on windows of {@code corpus}'s training
     * split ({@code batch} rows of {@code config.context()}, SplitMix64({@code seed})) on each of
     * {@code devices}.
     */
    public static Parity.Report run(Gpt.Config config, CharCorpus corpus, long seed, int steps, int batch, List<Device> devices) {
        Objects.requireNonNull(config, "CharLmParity: config is null");
        return run("gpt", () -> new Gpt(config), config.vocabSize(), config.context(), corpus, seed, steps, batch, devices);
    }

    /** As {@link #run(Gpt.Config, CharCorpus, long, int, int, List)} for an {@link LstmLM}, on windows of {@code context}. */
    public static Parity.Report run(LstmLM.Config config, int context, CharCorpus corpus, long seed, int steps, int batch, List<Device> devices) {
        Objects.requireNonNull(config, "CharLmParity: config is null");
        return run("lstm", () -> new LstmLM(config), config.vocabSize(), context, corpus, seed, steps, batch, devices);
    }

    /**
     * The reference configuration of {@code arch} ({@code "gpt"} or {@code "lstm"}) for
     * {@code corpus}'s vocabulary, context 128.
     */
    public static Parity.Report reference(String arch, CharCorpus corpus, long seed, int steps, int batch, List<Device> devices) {
        return switch (arch) {
            case "gpt" -> run(Gpt.Config.reference(corpus.vocabSize()), corpus, seed, steps, batch, devices);
            case "lstm" -> run(LstmLM.Config.reference(corpus.vocabSize()), REFERENCE_LSTM_CONTEXT, corpus, seed, steps, batch, devices);
            default -> throw new IllegalArgumentException("char-LM parity: unknown architecture \"" + arch + "\"; choose gpt or lstm");
        };
    }

    private static Parity.Report run(String arch, Supplier<CharLm> model, int vocab, int context, CharCorpus corpus, long seed, int steps,
            int batch, List<Device> devices) {
        Objects.requireNonNull(corpus, "CharLmParity: corpus is null");
        if (steps < 1 || batch < 1 || context < 1 || devices.isEmpty() || corpus.vocabSize() != vocab) {
            throw new IllegalArgumentException(arch + " parity: need steps >= 1, batch >= 1, context >= 1, at least one device and a config for "
                    + "the corpus's vocabulary (got steps " + steps + ", batch " + batch + ", context " + context + ", devices " + devices
                    + ", vocab " + vocab + " vs the corpus's " + corpus.vocabSize() + ")");
        }
        for (Device d : devices) {
            Backends.kernels(d);  // an unusable device fails here, before any run
        }
        List<Parity.Run> runs = new ArrayList<>();
        for (Device d : devices) {
            runs.add(new Parity.Run(d, train(arch, model, context, corpus, seed, steps, batch, d)));
        }
        return Parity.compare(arch, runs);
    }

    private static double[] train(String arch, Supplier<CharLm> model, int ctx, CharCorpus corpus, long seed, int steps, int batch,
            Device device) {
        Device previous = Fathom.defaultDevice();
        Fathom.setDefaultDevice(Device.cpu());
        Fathom.seed(seed);
        double[] losses = new double[steps];
        long[] data = corpus.train();
        SplitMix64 rng = new SplitMix64(seed);
        CharLm lm = model.get();
        try (Module m = (Module) lm) {
            m.to(device).train();
            try (Optimizer opt = CharLmTraining.optimizer(arch, m.parameters(), CharLmTraining.referenceLr(arch))) {
                for (int s = 0; s < steps; s++) {
                    try (Scope scope = Scope.open()) {
                        long[][] xy = CharCorpus.windows(data, corpus.trainOffsets(rng, batch, ctx), ctx);
                        Tensor logits = lm.forward(Tensor.of(xy[0], batch, ctx).to(device));
                        Tensor loss = Functional.crossEntropy(logits.reshape(batch * ctx, lm.vocabSize()), Tensor.of(xy[1], batch * ctx).to(device));
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
