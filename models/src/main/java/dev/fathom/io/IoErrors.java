package dev.fathom.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * File-system failures as sentences. NIO's exceptions carry only a path as their message
 * ({@code NoSuchFileException: /x} prints as {@code /x}); {@link #describe} says what is wrong with
 * the path, so that every message built from an {@link IOException} names the file and the problem.
 */
public final class IoErrors {
    private IoErrors() {
    }

    /** What went wrong, naming the file: "X does not exist", "X: permission denied", … or the exception's own message. */
    public static String describe(IOException e) {
        if (!(e instanceof FileSystemException f) || f.getFile() == null) {
            return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        }
        String file = f.getFile() + (f.getOtherFile() != null ? " (or " + f.getOtherFile() + ")" : "");
        return switch (e) {
            case NoSuchFileException n -> file + " does not exist" + (n.getReason() != null ? " (" + n.getReason() + ")" : "");
            case AccessDeniedException a -> file + ": permission denied" + (a.getReason() != null ? " (" + a.getReason() + ")" : "");
            case FileAlreadyExistsException x -> file + " already exists" + (Files.isDirectory(Path.of(f.getFile())) ? "" : " and is not a directory");
            case NotDirectoryException x -> file + " is not a directory";
            case DirectoryNotEmptyException x -> file + " is a directory that is not empty";
            default -> file + ": " + (f.getReason() != null ? f.getReason() : e.getClass().getSimpleName());
        };
    }

    /** The message of a wrapper: its own when it has one (it carries the context), else {@link #describe} of the cause. */
    public static String describe(UncheckedIOException e) {
        return e.getMessage() == null || e.getMessage().equals(String.valueOf(e.getCause())) ? describe(e.getCause()) : e.getMessage();
    }

    /**
     * Throws a sentence-like {@link IOException} unless {@code file} is a regular file one can read:
     * it does not exist, or it is a directory (naming the {@code .safetensors} files in it, when
     * {@code suffix} is given and it has some).
     */
    public static void requireReadableFile(Path file, String suffix) throws IOException {
        if (Files.isDirectory(file)) {
            List<String> inside = List.of();
            if (suffix != null) {
                try (Stream<Path> list = Files.list(file)) {
                    inside = list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix) && !n.startsWith(".")).sorted().toList();
                } catch (IOException ignored) {
                    // an unlistable directory: say only that it is one
                }
            }
            throw new IOException(file + " is a directory; pass a " + (suffix != null ? suffix + " " : "") + "file"
                    + (inside.isEmpty() ? "" : " such as " + file.resolve(inside.getFirst()) + " (it holds " + String.join(", ", inside) + ")"));
        }
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "check the path" + (suffix != null ? "; pass a " + suffix + " file" : ""));
        }
    }
}
