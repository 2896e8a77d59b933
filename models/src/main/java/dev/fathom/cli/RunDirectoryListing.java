package dev.fathom.cli;

import dev.fathom.io.IoErrors;

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

    /**
     * Checks up front that {@code runDir} can be a run directory: neither it nor a folder above it
     * is a file (the run would otherwise fail when it writes its first file, after the first epoch).
     */
    static void requireUsable(Path runDir) {
        for (Path p = runDir.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                throw new IllegalArgumentException("run directory " + runDir + ": " + (p.equals(runDir.toAbsolutePath()) ? "it" : p)
                        + " is a file, not a directory; pass --out a directory (it is created when missing)");
            }
        }
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
            throw new UncheckedIOException("cannot list the run directory " + runDir + ": " + IoErrors.describe(e), e);
        }
    }
}
