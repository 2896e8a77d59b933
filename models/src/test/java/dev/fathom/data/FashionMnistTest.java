package dev.fathom.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FashionMnistTest {

    /** Writes an unsigned-byte IDX file, gzip'd when the name ends in .gz. */
    private static void write(Path file, int[] dims, int... values) throws IOException {
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream out = file.toString().endsWith(".gz") ? new GZIPOutputStream(raw) : raw) {
            out.write(new byte[] {0, 0, 8, (byte) dims.length});
            for (int d : dims) {
                out.write(new byte[] {(byte) (d >>> 24), (byte) (d >>> 16), (byte) (d >>> 8), (byte) d});
            }
            for (int v : values) {
                out.write(v);
            }
        }
    }

    /** Two 2×2 images per split, plain and gzip'd files mixed. */
    private static void writeTiny(Path dir) throws IOException {
        write(dir.resolve("train-images-idx3-ubyte.gz"), new int[] {2, 2, 2}, 0, 51, 102, 255, 255, 0, 0, 0);
        write(dir.resolve("train-labels-idx1-ubyte"), new int[] {2}, 9, 0);
        write(dir.resolve("t10k-images-idx3-ubyte"), new int[] {2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8);
        write(dir.resolve("t10k-labels-idx1-ubyte.gz"), new int[] {2}, 3, 4);
    }

    @Test
    void loadsBothSplitsScaledToUnitRange(@TempDir Path dir) throws IOException {
        writeTiny(dir);
        FashionMnist.Splits s = FashionMnist.load(dir);
        assertEquals(2, s.train().count());
        assertEquals(4, s.train().width());
        assertArrayEquals(new float[] {0, 0.2f, 0.4f, 1, 1, 0, 0, 0}, s.train().features(), 1e-6f);
        assertArrayEquals(new long[] {9, 0}, s.train().labels());
        assertArrayEquals(new long[] {3, 4}, s.test().labels());
    }

    @Test
    void missingFilesSayHowToGetThem(@TempDir Path dir) {
        String m = assertThrows(FileNotFoundException.class, () -> FashionMnist.load(dir.resolve("nowhere"))).getMessage();
        assertTrue(m.contains("apt-get install dataset-fashion-mnist"), m);
        assertTrue(m.contains("--data DIR"), m);
        assertTrue(m.contains("train-images-idx3-ubyte"), m);
    }

    @Test
    void mismatchedCountsAndBadLabelsAreErrors(@TempDir Path dir) throws IOException {
        writeTiny(dir);
        write(dir.resolve("train-labels-idx1-ubyte"), new int[] {3}, 1, 2, 3);
        assertTrue(assertThrows(IOException.class, () -> FashionMnist.load(dir)).getMessage().contains("do not match"));
        write(dir.resolve("train-labels-idx1-ubyte"), new int[] {2}, 1, 12);
        assertTrue(assertThrows(IOException.class, () -> FashionMnist.load(dir)).getMessage().contains("label 12 of example 1"));
    }

    @Test
    void filesWithNoImagesAreAnErrorNamingTheFile(@TempDir Path dir) throws IOException {
        writeTiny(dir);
        write(dir.resolve("t10k-images-idx3-ubyte"), new int[] {0, 2, 2});
        write(dir.resolve("t10k-labels-idx1-ubyte.gz"), new int[] {0});
        String m = assertThrows(IOException.class, () -> FashionMnist.load(dir)).getMessage();
        assertTrue(m.startsWith(dir.resolve("t10k-images-idx3-ubyte") + " holds 0 images (Fashion-MNIST's t10k split has 10,000)"), m);
        assertTrue(m.contains("--data DIR"), m);
    }

    @Test
    void readsDebiansFiles() throws IOException {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist");
        FashionMnist.Splits s = FashionMnist.load(FashionMnist.DEFAULT_DIR);
        assertEquals(60_000, s.train().count());
        assertEquals(10_000, s.test().count());
        assertEquals(784, s.train().width());
        long[] perClass = new long[10];
        for (long y : s.train().labels()) {
            perClass[(int) y]++;
        }
        assertArrayEquals(new long[] {6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000}, perClass);
    }

    @Test
    void locateUsesTheGivenDirectoryOrSaysHowToGetTheData(@TempDir Path dir) throws IOException {
        assertEquals(dir, FashionMnist.locate(dir));
        String m = assertThrows(FileNotFoundException.class, () -> FashionMnist.locate(dir.resolve("missing"))).getMessage();
        assertTrue(m.contains("is not a directory") && m.contains("apt-get install dataset-fashion-mnist") && m.contains("--data DIR"), m);
        if (Files.isDirectory(FashionMnist.DEFAULT_DIR)) {
            assertEquals(FashionMnist.DEFAULT_DIR, FashionMnist.locate(null));
        } else {
            assertTrue(assertThrows(FileNotFoundException.class, () -> FashionMnist.locate(null)).getMessage()
                    .contains(FashionMnist.DEFAULT_DIR.toString()));
        }
    }

    @Test
    void corruptFilesNameTheFile(@TempDir Path dir) throws IOException {
        writeTiny(dir);
        byte[] bytes = Files.readAllBytes(dir.resolve("t10k-images-idx3-ubyte"));
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), java.util.Arrays.copyOf(bytes, bytes.length - 3));
        String m = assertThrows(IOException.class, () -> FashionMnist.load(dir)).getMessage();
        assertTrue(m.startsWith("t10k-images-idx3-ubyte: truncated"), m);
    }

    /** The loader's first batch on the real data holds the examples of the peers' first permutation, in order. */
    @Test
    void firstBatchOnDebiansFilesFollowsThePeersOrder() throws IOException {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist");
        LabeledData train = FashionMnist.load().train();
        int[] perm = DataLoaderTest.peerOrders(0, 60_000, 1)[0];
        DataLoader loader = DataLoader.builder(train.reshape(FashionMnist.IMAGE_SHAPE), 128).shuffle(true).seed(0).build();
        assertEquals(469, loader.batchesPerEpoch());
        try (DataLoader.Epoch epoch = loader.epoch()) {
            HostBatch first = epoch.nextHost();
            assertArrayEquals(new int[] {128, 1, 28, 28}, first.shape());
            for (int i = 0; i < 128; i++) {
                assertEquals(train.labels()[perm[i]], first.classes()[i]);
                assertEquals(train.features()[perm[i] * 784 + 400], first.features()[i * 784 + 400]);
            }
        }
    }
}
