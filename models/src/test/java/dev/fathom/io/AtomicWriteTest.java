package dev.fathom.io;

import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.AbstractMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A failed write leaves the previous file byte for byte, and no temporary behind. */
class AtomicWriteTest {
    @TempDir
    Path dir;

    private List<String> filesInDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Saves a small first checkpoint and returns its bytes. */
    private byte[] previous(Path file) throws IOException {
        try (Tensor t = Tensor.of(new float[] {1, 2, 3}, 3)) {
            SafeTensors.save(file, Map.of("w", t), Map.of("epoch", "1"));
        }
        return Files.readAllBytes(file);
    }

    @Test
    void aTensorThatFailsToReadMidWrite() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        byte[] old = previous(file);
        try (Scope s = Scope.open()) {
            // The big tensor is written first (I64 sorts before F32), so the temporary already holds
            // megabytes when reading the closed tensor throws.
            Tensor big = Tensor.zeros(dev.fathom.tensor.DType.I64, 1 << 20);
            Tensor closed = Tensor.of(new float[] {4, 5}, 2);
            closed.close();
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("big", big);
            tensors.put("w", closed);
            assertThrows(IllegalStateException.class, () -> SafeTensors.save(file, tensors));
        }
        assertArrayEquals(old, Files.readAllBytes(file));
        assertEquals(List.of("ckpt.safetensors"), filesInDir());
    }

    @Test
    void aMapWhoseIterationThrows() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        byte[] old = previous(file);
        Tensor t = Tensor.scalar(1f);
        Map<String, Tensor> failing = new AbstractMap<>() {
            @Override
            public Set<Entry<String, Tensor>> entrySet() {
                return new java.util.AbstractSet<>() {
                    @Override
                    public Iterator<Entry<String, Tensor>> iterator() {
                        return new Iterator<>() {
                            int served;

                            @Override
                            public boolean hasNext() {
                                return true;
                            }

                            @Override
                            public Entry<String, Tensor> next() {
                                if (served++ == 2) {
                                    throw new IllegalStateException("simulated failure while iterating");
                                }
                                return Map.entry("t" + served, t);
                            }
                        };
                    }

                    @Override
                    public int size() {
                        return 5;
                    }
                };
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SafeTensors.save(file, failing));
        assertEquals("simulated failure while iterating", e.getMessage());
        assertArrayEquals(old, Files.readAllBytes(file));
        assertEquals(List.of("ckpt.safetensors"), filesInDir());
        t.close();
    }

    @Test
    void aWriterThatFailsAfterWritingAndFlushing() throws IOException {
        Path file = dir.resolve("data.bin");
        Files.write(file, new byte[] {1, 2, 3});
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(file, channel -> {
            channel.write(ByteBuffer.wrap(new byte[4096]));
            channel.force(true);
            assertEquals(2, filesInDir().size(), "the temporary exists while writing");
            throw new IOException("No space left on device (simulated)");
        }));
        assertEquals("No space left on device (simulated)", e.getMessage());
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));
        assertEquals(List.of("data.bin"), filesInDir());
    }

    @Test
    void theTemporaryIsInTheSameDirectoryAndHidden() throws IOException {
        Path file = dir.resolve("data.bin");
        String[] seen = new String[1];
        AtomicFile.write(file, channel -> seen[0] = filesInDir().getFirst());
        assertTrue(seen[0].startsWith(".data.bin.") && seen[0].endsWith(".tmp"), seen[0]);
        assertEquals(List.of("data.bin"), filesInDir());
    }

    @Test
    void successReplacesTheContent() throws IOException {
        Path file = dir.resolve("data.bin");
        Files.write(file, new byte[] {1, 2, 3});
        AtomicFile.write(file, channel -> channel.write(ByteBuffer.wrap(new byte[] {9})));
        assertArrayEquals(new byte[] {9}, Files.readAllBytes(file));
        assertEquals(List.of("data.bin"), filesInDir());
    }

    @Test
    void aByteArrayReplacesTheContentWhole() throws IOException {
        Path file = dir.resolve("data.bin");
        Files.write(file, new byte[] {1, 2, 3, 4, 5});
        byte[] bytes = new byte[3 << 20];  // several MB: more than one channel write may take
        new java.util.Random(3).nextBytes(bytes);
        AtomicFile.write(file, bytes);
        assertArrayEquals(bytes, Files.readAllBytes(file));
        assertEquals(List.of("data.bin"), filesInDir());
    }

    @Test
    void permissionsAreTheUsualOnesNotOwnerOnly() throws IOException {
        Path plain = Files.createFile(dir.resolve("plain.bin"));
        Path atomic = dir.resolve("atomic.bin");
        AtomicFile.write(atomic, channel -> channel.write(ByteBuffer.wrap(new byte[] {1})));
        Set<PosixFilePermission> expected = Files.getPosixFilePermissions(plain);
        assertEquals(expected, Files.getPosixFilePermissions(atomic));
    }

    @Test
    void missingDirectoryAndDirectoryTarget() {
        IOException missing = assertThrows(IOException.class,
                () -> AtomicFile.write(dir.resolve("nope").resolve("x.bin"), channel -> { }));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        IOException isDir = assertThrows(IOException.class, () -> AtomicFile.write(dir, channel -> { }));
        assertTrue(isDir.getMessage().contains("is a directory"), isDir.getMessage());
    }
}
