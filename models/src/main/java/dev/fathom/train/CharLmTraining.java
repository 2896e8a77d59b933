package dev.fathom.train;

import dev.fathom.autograd.Autograd;
import dev.fathom.data.CharCorpus;
import dev.fathom.data.SplitMix64;
import dev.fathom.io.IoErrors;
import dev.fathom.models.CharLm;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.optim.Adam;
import dev.fathom.optim.AdamW;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.LongStream;

/**
 * Step-based training of a character-level language model, as the reference workloads
 * {@code charlm_transformer.py} and {@code charlm_lstm.py}: each step draws {@code batch} training
 * windows of {@code context + 1} characters from a {@link SplitMix64} stream (the peers' sampler),
 * takes the mean cross-entropy over every position, and steps the optimizer; each step runs in its
 * own {@link Scope}. The validation loss is the mean over fixed, evenly spread validation batches
 * ({@link CharCorpus#valOffsets}), at step 0, every {@code evalEvery} steps and after the last.
 *
 * <p>Files in the run directory: {@code metrics.jsonl} (one row per step: {@code step},
 * {@code train_loss}, {@code tokens_per_s}, plus {@code val_loss} on evaluation steps; step 0 has
 * only {@code val_loss}), {@code learning_curves.png} (redrawn at every evaluation) and
 * {@code checkpoint.safetensors} ({@link CharLmCheckpoint}, saved at every evaluation). Throughput
 * is the peers': {@code batch·context} over the median step time of steps 21..N (all steps when
 * N ≤ 20). A non-finite training loss stops the run with {@link TrainingDivergedException}, and so
 * does a non-finite validation loss, before that step is logged or checkpointed.
 */
public final class CharLmTraining {
    /** Steps the peers leave out of the throughput median. */
    public static final int WARMUP_STEPS = SteadySteps.WARMUP_STEPS;

    /**
     * @param steps      optimizer steps
     * @param evalEvery  validate every this many steps (and at step 0 and after the last)
     * @param batch      windows per step (and per validation batch)
     * @param context    characters per window (the targets are the next {@code context})
     * @param valBatches fixed validation batches
     * @param seed       seed of the training-window stream
     */
    public record Settings(int steps, int evalEvery, int batch, int context, int valBatches, long seed) {
        public Settings {
            if (steps < 1 || evalEvery < 1 || batch < 1 || context < 1 || valBatches < 1) {
                throw new IllegalArgumentException("char-LM training: need steps, eval-every, batch, context and validation batches >= 1; got steps "
                        + steps + ", eval-every " + evalEvery + ", batch " + batch + ", context " + context + ", validation batches " + valBatches);
            }
        }

        /** The peers': 300 steps, batch 32 × 128, 20 validation batches, seed 0; validation every 100 steps. */
        public static Settings reference() {
            return new Settings(300, 100, 32, 128, 20, 0);
        }
    }

    /** What a run measured; the median step time is over steps {@code firstTimedStep} to the last (the warm-up left out when there are more). */
    public record Result(double firstValLoss, double lastValLoss, double lastTrainLoss, double tokensPerSecond, double medianStepMs,
                         int firstTimedStep, Path checkpoint) {
    }

    private final CharLm model;
    private final Optimizer optimizer;
    private final CharCorpus corpus;
    private final Settings settings;
    private final Path runDir;
    private final PrintWriter out;

    /**
     * @param out progress lines (one per evaluation and every 25 steps), or null for none
     */
    public CharLmTraining(CharLm model, Optimizer optimizer, CharCorpus corpus, Settings settings, Path runDir, PrintWriter out) {
        this.model = Objects.requireNonNull(model, "CharLmTraining: model is null");
        this.optimizer = Objects.requireNonNull(optimizer, "CharLmTraining: optimizer is null");
        this.corpus = Objects.requireNonNull(corpus, "CharLmTraining: corpus is null");
        this.settings = Objects.requireNonNull(settings, "CharLmTraining: settings is null");
        this.runDir = Objects.requireNonNull(runDir, "CharLmTraining: runDir is null");
        this.out = out;
        if (corpus.vocabSize() != model.vocabSize()) {
            throw new IllegalArgumentException("char-LM training: the corpus has " + corpus.vocabSize() + " characters but the model "
                    + model.vocabSize() + " tokens; build the model for the corpus's vocabulary");
        }
    }

    /** The reference optimizer of {@code arch}: AdamW(lr, wd 0.1 on every parameter) for gpt, Adam(lr) for lstm. */
    public static Optimizer optimizer(String arch, List<Parameter> params, double lr) {
        return switch (arch) {
            case "gpt" -> new AdamW(params, AdamW.Config.defaults().withLr(lr).withWeightDecay(0.1));
            case "lstm" -> new Adam(params, lr);
            default -> throw new IllegalArgumentException("unknown char-LM architecture \"" + arch + "\"; choose gpt or lstm");
        };
    }

    /** The reference learning rate of {@code arch}: 3e-4 for gpt, 2e-3 for lstm. */
    public static double referenceLr(String arch) {
        return switch (arch) {
            case "gpt" -> 3e-4;
            case "lstm" -> 2e-3;
            default -> throw new IllegalArgumentException("unknown char-LM architecture \"" + arch + "\"; choose gpt or lstm");
        };
    }

    /** The vocabulary of {@code corpus} as a string, in id order (what checkpoints store). */
    public static String vocabulary(CharCorpus corpus) {
        return corpus.decode(LongStream.range(0, corpus.vocabSize()).toArray());
    }

    /** Trains {@code settings.steps()} steps; returns what it measured. */
    public Result run() throws IOException {
        return train(0, new SplitMix64(settings.seed()));
    }

    /**
     * Continues the run whose checkpoint is {@code checkpoint} (a run's, saved at an evaluation: the
     * model, the optimizer, the global generator and where the window stream stands) to
     * {@code settings.steps()}, as if it had never stopped: the same windows, the same updates. The
     * metrics log keeps its rows up to that step and drops later ones. The seed and batch must be the
     * checkpoint's. {@link Result#firstValLoss()} is the logged step-0 loss (NaN if the log lacks it).
     */
    public Result resume(Path checkpoint) throws IOException {
        long done = CharLmCheckpoint.resume(checkpoint, model, optimizer).continuing(checkpoint, settings.seed(), settings.batch(), settings.steps());
        // Each step draws `batch` window starts, so the stream after step k is the seed's, k·batch draws on.
        return train(done, new SplitMix64(settings.seed()).skip(done * settings.batch()));
    }

    /** Steps {@code done + 1} to {@code settings.steps()}, drawing windows from {@code rng}; from scratch when {@code done} is 0. */
    private Result train(long done, SplitMix64 rng) throws IOException {
        Module m = (Module) model;
        Device device = m.parameters().getFirst().data().device();
        int batch = settings.batch();
        int ctx = settings.context();
        long[] train = corpus.train();
        long[] val = corpus.val();
        long[][] valOffsets = corpus.valOffsets(settings.valBatches(), batch, ctx);
        long[][][] valWindows = new long[valOffsets.length][][];
        for (int b = 0; b < valOffsets.length; b++) {
            valWindows[b] = CharCorpus.windows(val, valOffsets[b], ctx);
        }
        String vocab = vocabulary(corpus);
        Path ckpt = runDir.resolve("checkpoint.safetensors");
        double[] stepSeconds = new double[(int) (settings.steps() - done)];
        double firstVal;
        double lastVal;
        double lastTrain = Double.NaN;
        try (MetricsLog log = done == 0 ? new MetricsLog(runDir.resolve("metrics.jsonl"), false)
                : MetricsLog.resume(runDir.resolve("metrics.jsonl"), "step", done + 1)) {
            if (done == 0) {
                firstVal = validate(valWindows, device);
                Map<String, Object> row0 = new LinkedHashMap<>();
                row0.put("step", 0);
                row0.put("val_loss", firstVal);
                log.log(row0);
                print("step 0/%d  val_loss %.4f%n", settings.steps(), firstVal);
            } else {
                firstVal = log.rows().stream().filter(r -> ((Number) r.get("step")).longValue() == 0 && r.get("val_loss") instanceof Number)
                        .mapToDouble(r -> ((Number) r.get("val_loss")).doubleValue()).findFirst().orElse(Double.NaN);
            }
            lastVal = firstVal;
            m.train();
            for (int step = (int) done + 1; step <= settings.steps(); step++) {
                long t0 = System.nanoTime();
                double loss;
                try (Scope s = Scope.open()) {
                    long[][] xy = CharCorpus.windows(train, corpus.trainOffsets(rng, batch, ctx), ctx);
                    Tensor l = loss(xy, batch, ctx, device);
                    loss = l.itemDouble();
                    if (!Double.isFinite(loss)) {
                        throw new TrainingDivergedException("training diverged: cross_entropy is " + loss + " at step " + step + " of " + settings.steps()
                                + " (learning rate " + optimizer.lr() + "); lower the learning rate, or check the model's weights for NaNs");
                    }
                    optimizer.zeroGrad();
                    l.backward();
                    optimizer.step();
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                stepSeconds[(int) (step - done - 1)] = seconds;
                lastTrain = loss;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("step", step);
                row.put("train_loss", loss);
                row.put("tokens_per_s", batch * ctx / seconds);
                boolean eval = step % settings.evalEvery() == 0 || step == settings.steps();
                if (eval) {
                    lastVal = validate(valWindows, device);
                    if (!Double.isFinite(lastVal)) {
                        throw new TrainingDivergedException("training diverged: the validation cross_entropy is " + lastVal + " after step " + step
                                + " of " + settings.steps() + " (learning rate " + optimizer.lr() + "); lower the learning rate");
                    }
                    m.train();
                    row.put("val_loss", lastVal);
                }
                log.log(row);
                if (eval) {
                    print("step %d/%d  train_loss %.4f  val_loss %.4f  %.0f tokens/s%n", step, settings.steps(), loss, lastVal, batch * ctx / seconds);
                    LearningCurves.write(runDir.resolve("learning_curves.png"), log.rows(), "step");
                    try {
                        CharLmCheckpoint.save(ckpt, model, vocab, step, optimizer, settings.seed(), batch);
                    } catch (IOException e) {
                        throw new IOException("saving the checkpoint of step " + step + " in " + runDir + ": " + IoErrors.describe(e), e);
                    }
                } else if (step % 25 == 0) {
                    print("step %d/%d  train_loss %.4f  %.0f tokens/s%n", step, settings.steps(), loss, batch * ctx / seconds);
                }
            }
        }
        SteadySteps speed = SteadySteps.of(stepSeconds, done);
        double median = speed.medianSeconds();
        return new Result(firstVal, lastVal, lastTrain, batch * ctx / median, median * 1e3, speed.firstTimedStep(), ckpt);
    }

    /** The mean cross-entropy of the model over the windows {@code xy} (inputs and targets, {@code [batch·ctx]} each). */
    private Tensor loss(long[][] xy, int batch, int ctx, Device device) {
        Tensor x = Tensor.of(xy[0], batch, ctx).to(device);
        Tensor y = Tensor.of(xy[1], batch * ctx).to(device);
        Tensor logits = model.forward(x);
        return Functional.crossEntropy(logits.reshape(batch * ctx, model.vocabSize()), y);
    }

    /** Mean of the validation batches' losses, in eval mode without recording. */
    private double validate(long[][][] windows, Device device) {
        ((Module) model).eval();
        double sum = 0;
        try (var g = Autograd.noGrad()) {
            for (long[][] xy : windows) {
                try (Scope s = Scope.open()) {
                    sum += loss(xy, xy[0].length / settings.context(), settings.context(), device).itemDouble();
                }
            }
        }
        return sum / windows.length;
    }

    private void print(String format, Object... args) {
        if (out != null) {
            out.printf(Locale.ROOT, format, args);
            out.flush();
        }
    }
}
