package dev.fathom.models;

import dev.fathom.tensor.Tensor;

/**
 * A character-level language model ({@link Gpt}, {@link LstmLM}): logits {@code [N, T, V]} for token
 * ids {@code [N, T]}, and a {@link Decoder} that continues one sequence token by token.
 */
public sealed interface CharLm permits Gpt, LstmLM {
    /** Logits {@code [N, T, V]} for I64 ids {@code [N, T]}. */
    Tensor forward(Tensor ids);

    int vocabSize();

    /** {@code "gpt"} or {@code "lstm"}: the name on the command line and in checkpoints. */
    String arch();

    /** The sizes, as the model's config record formats them (stored in checkpoints). */
    String configString();

    /** A new decoder for one sequence (batch 1), starting empty. */
    Decoder decoder();

    /**
     * Continues one sequence: {@link #feed} appends tokens and returns the logits {@code [V]} for the
     * token after them, in the caller's scope. Holds state (caches, recurrent state) until closed.
     */
    interface Decoder extends AutoCloseable {
        Tensor feed(long[] ids);

        @Override
        void close();
    }

    static void checkId(String op, long id, int vocabSize) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException(op + ": token id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
        }
    }
}
