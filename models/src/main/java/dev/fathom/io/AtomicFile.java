package dev.fathom.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see either the old content or the complete new content, never a
 * mix: the content goes to a temporary file in the same directory, which is flushed to the disk
 * ({@link FileChannel#force}) and then renamed over the target ({@code ATOMIC_MOVE}). If anything
 * fails on the way (an exception from the writer, a full disk, a failed rename) the temporary is
 * deleted and the previous file is left as it was. A crash of the JVM or the machine can leave a
 * temporary behind ({@code .NAME.*.tmp}), but never a damaged target.
 */
public final class AtomicFile {
    private AtomicFile() {
    }

    /** Writes the content of a file through a channel positioned at 0. */
    @FunctionalInterface
    public interface Writer {
        void write(FileChannel channel) throws IOException;
    }

    /** Replaces {@code target} with what {@code writer} writes, atomically (see the class comment). */
    public static void write(Path target, Writer writer) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (Files.isDirectory(absolute)) {
            throw new IOException("cannot write " + absolute + ": it is a directory");
        }
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("cannot write " + absolute + ": directory " + dir + " does not exist");
        }
        Path temp = createTemporary(dir, absolute.getFileName().toString());
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                writer.write(channel);
                channel.force(true);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable failure) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
            throw failure;
        }
        syncDirectory(dir);
    }

    /** Replaces {@code target} with {@code bytes}, atomically; every byte is written (a channel may take fewer per call). */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, channel -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                channel.write(b);
            }
        });
    }

    /**
     * A new empty file next to the target. Not {@link Files#createTempFile}: that creates files
     * readable by the owner only, and the target should get the usual permissions (the umask's).
     */
    private static Path createTemporary(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
            Path temp = dir.resolve("." + name + "." + suffix + ".tmp");
            try {
                FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }

    /**
     * Makes the rename itself durable: on Linux a rename reaches the disk with the directory's
     * metadata. Best effort, since not every platform can open a directory (Windows cannot).
     */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // The file is complete and renamed; only its durability across a power cut is weaker here.
        }
    }
}
