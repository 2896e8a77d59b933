package dev.fathom.train;

import dev.fathom.io.Checkpoint;
import dev.fathom.models.CharLm;
import dev.fathom.models.Gpt;
import dev.fathom.models.LstmLM;
import dev.fathom.nn.Module;
import dev.fathom.tensor.Device;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A char-LM checkpoint: the model's weights (section {@code model}) and what sampling needs without
 * the corpus, as top-level metadata: {@code model = "charlm"}, {@code arch} ({@code gpt} or
 * {@code lstm}), {@code config} (the model's sizes, {@code key=value,...}), {@code vocab} (the
 * vocabulary in id order) and {@code step}. Written atomically.
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
        if (vocabulary.codePointCount(0, vocabulary.length()) != model.vocabSize()) {
            throw new IllegalArgumentException("CharLmCheckpoint.save: the vocabulary has " + vocabulary.codePointCount(0, vocabulary.length())
                    + " characters but the model " + model.vocabSize() + " tokens");
        }
        new Checkpoint().section("model", (Module) model).put("model", MODEL).put("arch", model.arch()).put("config", model.configString())
                .put("vocab", vocabulary).put("step", step).save(file);
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
            new Checkpoint().section("model", m).load(file);
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
