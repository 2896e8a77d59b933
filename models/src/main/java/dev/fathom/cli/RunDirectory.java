package dev.fathom.cli;

import dev.fathom.io.IoErrors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The directory a command writes its run into, checked and created before any work: an empty
 * {@code --out}, a file in the way, one that cannot be created or written, or (unless the run
 * resumes there) one that already holds another run's files is refused up front, where it
 * otherwise failed after the first epoch or overwrote that run. A run that fails in a directory
 * that held nothing removes what it wrote, and the directory when it made it, so no partial run is
 * left; one that resumes in its directory keeps it (its files are replaced atomically). An
 * interrupted run (Ctrl-C) keeps what it wrote, to resume from, and says so on stderr. Also the
 * closing line of the train commands, {@code wrote DIR (files...)}, from what the directory holds.
 */
final class RunDirectory implements AutoCloseable {
    private final Path dir;
    /** This run made the directory. */
    private final boolean created;
    /** The directory held nothing before this run (it was missing or empty): a failure empties it. */
    private final boolean ours;
    private final Thread onInterrupt;
    private boolean kept;

    private RunDirectory(Path dir, boolean created, boolean ours) {
        this.dir = dir;
        this.created = created;
        this.ours = ours;
        this.onInterrupt = new Thread(this::interrupted, "fathom-run-interrupted");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
    }

    /**
     * Where a train command writes: {@code --out} when given, else the directory of the checkpoint
     * it resumes, else {@code runs/NAME-yyyyMMdd-HHmmss}.
     */
    static Path choose(Path out, Path resume, String name) {
        return out != null ? out : resume != null ? resume.toAbsolutePath().getParent()
                : Path.of("runs", name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    /** Ctrl-C: what the run wrote stays, to resume from; a directory it made and left empty goes. */
    private void interrupted() {
        if (Files.isDirectory(dir) && !isEmpty(dir)) {
            System.err.println("fathom: interrupted; " + dir + " keeps what the run wrote (" + listing(dir) + ")");
            return;
        }
        if (created) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // best effort, as for a failed run
            }
        }
        System.err.println("fathom: interrupted before the run wrote anything" + (created ? "; removed " + dir : ""));
    }

    /**
     * Checks {@code dir} and creates it. {@code resuming}: the run continues the one that is there,
     * so files in it are expected; otherwise it must be missing or empty. {@code canResume}: the
     * command has {@code --resume}, which the refusal of a used directory then suggests.
     */
    static RunDirectory open(Path dir, boolean resuming, boolean canResume) {
        requireUsable(dir);
        boolean existed = Files.isDirectory(dir);
        if (!resuming && existed) {
            String files = listing(dir);
            if (!files.isEmpty()) {
                Path checkpoint = dir.resolve("checkpoint.safetensors");
                throw new IllegalArgumentException("run directory " + dir + " already holds a run (" + files + "); pass a new --out"
                        + (canResume && Files.exists(checkpoint) ? ", or continue that run with --resume " + checkpoint : ""));
            }
        }
        // Only a directory that held nothing at all (hidden files included) is emptied again when the run fails.
        boolean empty = !existed || isEmpty(dir);
        requireWritable(dir);
        return new RunDirectory(dir, !existed, empty);
    }

    private static boolean isEmpty(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the run directory " + dir + ": " + IoErrors.describe(e), e);
        }
    }

    /** Creates {@code dir} when missing and checks that files can be written there (for outputs beside other files, as the landscape's). */
    static void requireWritable(Path dir) {
        requireUsable(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create the run directory " + dir + " (" + IoErrors.describe(e)
                    + "); pass --out a directory you can write", e);
        }
        if (!Files.isWritable(dir)) {
            throw new IllegalArgumentException("cannot write in the run directory " + dir + "; pass --out a directory you can write");
        }
    }

    /** Neither {@code dir} nor a folder above it is a file, and it is named at all. */
    private static void requireUsable(Path dir) {
        if (dir.toString().isBlank()) {
            throw new IllegalArgumentException("--out is empty; pass a directory (it is created when missing)");
        }
        for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                throw new IllegalArgumentException("run directory " + dir + ": " + (p.equals(dir.toAbsolutePath()) ? "it" : p)
                        + " is a file, not a directory; pass --out a directory (it is created when missing)");
            }
        }
    }

    /** The run finished: its files stay. Returns {@code wrote DIR (a, b, sub/)}, the closing line: the directory's entries, folders with a slash. */
    String keep() {
        kept = true;
        return "wrote " + dir + " (" + listing(dir) + ")";
    }

    /** A run that did not finish removes what it wrote, and the directory when it made it, if the directory held nothing before. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(onInterrupt);
        } catch (IllegalStateException shuttingDown) {
            return;   // interrupted: the hook reports what is kept
        }
        if (!kept && ours) {
            deleteTree(dir, created);
        }
    }

    private static String listing(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName() + (Files.isDirectory(p) ? "/" : ""))
                    .filter(name -> !name.startsWith("."))
                    .sorted()
                    .collect(Collectors.joining(", "));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the run directory " + dir + ": " + IoErrors.describe(e), e);
        }
    }

    /** Best effort: a file that cannot be removed stays (the failure that brought us here is the one to report). */
    private static void deleteTree(Path dir, boolean itself) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    if (itself || !d.equals(dir)) {
                        Files.deleteIfExists(d);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // left for the user; the run's own error is reported
        }
    }
}
