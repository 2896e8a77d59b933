package dev.fathom.train;

import dev.fathom.io.Checkpoint;
import dev.fathom.models.CharLm;
import dev.fathom.models.Gpt;
import dev.fathom.models.LstmLM;
import dev.fathom.nn.Module;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A char-LM checkpoint: the model's weights (section {@code model}) and what sampling needs without
 * the corpus, as top-level metadata: {@code model = "charlm"}, {@code arch} ({@code gpt} or
 * {@code lstm}), {@code config} (the model's sizes, {@code key=value,...}), {@code vocab} (the
 * vocabulary in id order) and {@code step}. A training run's checkpoints also hold what continuing
 * it needs ({@link #resume}): the optimizer's state, the global generator, and the seed and batch
 * of the training-window stream (after step k it has drawn k·batch values). Written atomically.
 */
public final class CharLmCheckpoint {
    /** The {@code model} metadata value of every char-LM checkpoint. */
    public static final String MODEL = "charlm";

    /** A loaded model with its vocabulary and training step; closing it closes the model. */
    public record Loaded(CharLm model, String vocabulary, long step) implements AutoCloseable {
        @Override
        public void close() {
            ((Module) model).close();
        }
    }

    private CharLmCheckpoint() {
    }

    /** Writes {@code model}, {@code vocabulary} and {@code step} to {@code file}, replacing it atomically. */
    public static void save(Path file, CharLm model, String vocabulary, long step) throws IOException {
        of(model, vocabulary, step).save(file);
    }

    /** As {@link #save(Path, CharLm, String, long)}, with what {@link #resume} needs to continue the run. */
    static void save(Path file, CharLm model, String vocabulary, long step, Optimizer optimizer, long seed, int batch) throws IOException {
        of(model, vocabulary, step).section("optimizer", new OptimizerSection(optimizer)).section("rng", Generator.global())
                .put("seed", seed).put("batch", batch).save(file);
    }

    private static Checkpoint of(CharLm model, String vocabulary, long step) {
        if (vocabulary.codePointCount(0, vocabulary.length()) != model.vocabSize()) {
            throw new IllegalArgumentException("CharLmCheckpoint.save: the vocabulary has " + vocabulary.codePointCount(0, vocabulary.length())
                    + " characters but the model " + model.vocabSize() + " tokens");
        }
        return new Checkpoint().section("model", (Module) model).put("model", MODEL).put("arch", model.arch()).put("config", model.configString())
                .put("vocab", vocabulary).put("step", step);
    }

    /**
     * The training state of {@code file} (written by a run, not a sampling-only checkpoint) restored
     * into {@code model} (of the checkpoint's arch and config: {@link #create}), {@code optimizer}
     * and the global generator; throws naming the file when it cannot be continued.
     */
    public static RunPosition resume(Path file, CharLm model, Optimizer optimizer) throws IOException {
        Map<String, String> meta = Checkpoint.peek(file);
        if (!MODEL.equals(meta.get("model"))) {
            throw new IllegalArgumentException(file + " holds a \"" + meta.get("model") + "\" model, not a " + MODEL + " one");
        }
        if (meta.get("batch") == null) {
            throw new IllegalArgumentException(file + " holds no optimizer state (a checkpoint for sampling only); only a run's checkpoints "
                    + "can be resumed");
        }
        if (!model.arch().equals(meta.get("arch")) || !model.configString().equals(meta.get("config"))) {
            throw new IllegalArgumentException(file + " holds a " + meta.get("arch") + " (" + meta.get("config") + "), not this "
                    + model.arch() + " (" + model.configString() + "); build the model with CharLmCheckpoint.create from its metadata");
        }
        Checkpoint c = new Checkpoint().section("model", (Module) model).section("optimizer", new OptimizerSection(optimizer))
                .section("rng", Generator.global());
        c.load(file);
        return RunPosition.read(file, c.scalars());
    }

    /** A new model of {@code arch} ("gpt" or "lstm") with the sizes {@code config} (as {@link CharLm#configString()} writes them). */
    public static CharLm create(String arch, String config) {
        return switch (arch) {
            case "gpt" -> new Gpt(Gpt.Config.parse(config));
            case "lstm" -> new LstmLM(LstmLM.Config.parse(config));
            default -> throw new IllegalArgumentException("unknown char-LM architecture \"" + arch + "\"; choose gpt or lstm");
        };
    }

    /** The model saved in {@code file}, on {@code device}; throws naming the file when it is not a char-LM checkpoint. */
    public static Loaded load(Path file, Device device) throws IOException {
        Map<String, String> meta = Checkpoint.peek(file);
        if (!MODEL.equals(meta.get("model"))) {
            throw new IllegalArgumentException(file + " holds a \"" + meta.get("model") + "\" model, not a " + MODEL + " one");
        }
        for (String key : new String[] {"arch", "config", "vocab"}) {
            if (meta.get(key) == null) {
                throw new IllegalArgumentException(file + ": a " + MODEL + " checkpoint without \"" + key + "\" in its metadata; save it with CharLmCheckpoint");
            }
        }
        CharLm model = create(meta.get("arch"), meta.get("config"));
        Module m = (Module) model;
        try {
            m.to(device);
            new Checkpoint().section("model", m).load(file, false);   // a run's checkpoint also holds its optimizer and generator
            String vocab = meta.get("vocab");
            if (vocab.codePointCount(0, vocab.length()) != model.vocabSize()) {
                throw new IllegalArgumentException(file + ": the vocabulary has " + vocab.codePointCount(0, vocab.length()) + " characters, the model "
                        + model.vocabSize() + " tokens: corrupt metadata");
            }
            return new Loaded(model, vocab, Checkpoint.longScalar(file, meta, "step", 0L, 0, Long.MAX_VALUE));
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }
}
