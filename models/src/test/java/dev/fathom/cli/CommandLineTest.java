package dev.fathom.cli;

import dev.fathom.Fathom;
import dev.fathom.models.Gpt;
import dev.fathom.train.CharLmCheckpoint;
import org.junit.jupiter.api.AfterEach;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/**
 * What the tests of the {@code fathom} command share: its standard output and error, a way to run
 * it ({@link Main#execute}), the default device put back after each test (commands set it from
 * {@code --device}), and a small checkpoint of the kind the classifier commands refuse.
 */
abstract class CommandLineTest {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    /** Runs {@code fathom ARGS}, its output appended to {@link #out} and {@link #err}; returns the exit code. */
    int run(String... args) {
        return Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @AfterEach
    void restoreDefaultDevice() {
        Fathom.setDefaultDevice(null);
    }

    /** A char-LM checkpoint at {@code file}: the reference GPT over the vocabulary "abc", seeded, at step 3. */
    static Path charLmCheckpoint(Path file) throws IOException {
        Fathom.seed(3);
        try (Gpt gpt = new Gpt(Gpt.Config.reference(3))) {
            CharLmCheckpoint.save(file, gpt, "abc", 3);
        }
        return file;
    }
}
