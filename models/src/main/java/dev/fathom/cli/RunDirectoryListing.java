package dev.fathom.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The closing line of the train commands, {@code wrote DIR (files...)}, from what the run directory
 * holds rather than from a fixed list: a runtime that cannot draw leaves out
 * {@code learning_curves.png} (see {@code LearningCurves}), and the line should not claim it.
 */
final class RunDirectoryListing {
    private RunDirectoryListing() {
    }

    /** {@code wrote DIR (a, b, sub/)}: the directory's entries by name, folders with a slash. */
    static String wrote(Path runDir) {
        try (Stream<Path> entries = Files.list(runDir)) {
            String names = entries.map(p -> p.getFileName() + (Files.isDirectory(p) ? "/" : ""))
                    .filter(name -> !name.startsWith("."))
                    .sorted()
                    .collect(Collectors.joining(", "));
            return "wrote " + runDir + " (" + names + ")";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the run directory " + runDir + ": " + e.getMessage(), e);
        }
    }
}
