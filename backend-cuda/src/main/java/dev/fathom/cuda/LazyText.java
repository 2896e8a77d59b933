package dev.fathom.cuda;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A part of an error message formatted only when an error needs it. Every launch names its
 * operands' shapes for the messages of a failed launch, a fault found at the next wait or a
 * rejected operand, and almost never shows them: formatting them on each call was about 5% of the
 * host's time in a training step. The launch plumbing takes such parts as {@code Object} and reads
 * them through {@code toString} (string concatenation does), so a plain String serves as well.
 */
final class LazyText {
    private final Supplier<String> text;
    private String value;

    private LazyText(Supplier<String> text) {
        this.text = text;
    }

    /** A part whose text is {@code text.get()}, called at most once, when first shown. */
    static Object of(Supplier<String> text) {
        return new LazyText(Objects.requireNonNull(text, "text"));
    }

    @Override
    public synchronized String toString() {
        if (value == null) {
            value = text.get();
        }
        return value;
    }
}
