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

    /** Two 28×28 images whose pixels start with {@code first} and {@code second}, the rest 0. */
    private static int[] twoImages(int[] first, int[] second) {
        int[] px = new int[2 * 784];
        System.arraycopy(first, 0, px, 0, first.length);
        System.arraycopy(second, 0, px, 784, second.length);
        return px;
    }

    /** Two 28×28 images per split, plain and gzip'd files mixed. */
    private static void writeTiny(Path dir) throws IOException {
        write(dir.resolve("train-images-idx3-ubyte.gz"), new int[] {2, 28, 28}, twoImages(new int[] {0, 51, 102, 255}, new int[] {255}));
        write(dir.resolve("train-labels-idx1-ubyte"), new int[] {2}, 9, 0);
        write(dir.resolve("t10k-images-idx3-ubyte"), new int[] {2, 28, 28}, twoImages(new int[] {1, 2, 3, 4}, new int[] {5, 6, 7, 8}));
        write(dir.resolve("t10k-labels-idx1-ubyte.gz"), new int[] {2}, 3, 4);
    }

    @Test
    void loadsBothSplitsScaledToUnitRange(@TempDir Path dir) throws IOException {
        writeTiny(dir);
        FashionMnist.Splits s = FashionMnist.load(dir);
        assertEquals(2, s.train().count());
        assertEquals(784, s.train().width());
        float[] expected = new float[2 * 784];
        expected[1] = 0.2f;
        expected[2] = 0.4f;
        expected[3] = 1;
        expected[784] = 1;
        assertArrayEquals(expected, s.train().features(), 1e-6f);
        assertEquals(8 / 255f, s.test().features()[784 + 3], 1e-7f);
        assertArrayEquals(new long[] {9, 0}, s.train().labels());
        assertArrayEquals(new long[] {3, 4}, s.test().labels());
    }

    @Test
    void theTestSplitLoadsWithoutTheTrainingFiles(@TempDir Path dir) throws IOException {
        writeTiny(dir);
        Files.delete(dir.resolve("train-images-idx3-ubyte.gz"));
        Files.delete(dir.resolve("train-labels-idx1-ubyte"));
        LabeledData test = FashionMnist.loadTest(dir);
        assertArrayEquals(new long[] {3, 4}, test.labels());
        assertEquals(4 / 255f, test.features()[3], 1e-7f);
        assertThrows(FileNotFoundException.class, () -> FashionMnist.load(dir), "both splits need the training files");
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
        write(dir.resolve("t10k-images-idx3-ubyte"), new int[] {0, 28, 28});
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
    void imagesOfAnotherSizeAreAnErrorNamingTheFile(@TempDir Path dir) throws IOException {
        writeTiny(dir);
        write(dir.resolve("train-images-idx3-ubyte.gz"), new int[] {2, 32, 32}, new int[2 * 1024]);
        String m = assertThrows(IOException.class, () -> FashionMnist.load(dir)).getMessage();
        assertTrue(m.startsWith(dir.resolve("train-images-idx3-ubyte.gz") + ": the train images are [2, 32, 32], but Fashion-MNIST images are 28×28"),
                m);
    }

    @Test
    void corruptFilesNameTheFile(@TempDir Path dir) throws IOException {
        writeTiny(dir);
        byte[] bytes = Files.readAllBytes(dir.resolve("t10k-images-idx3-ubyte"));
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), java.util.Arrays.copyOf(bytes, bytes.length - 3));
        String m = assertThrows(IOException.class, () -> FashionMnist.load(dir)).getMessage();
        assertTrue(m.startsWith(dir.toAbsolutePath().resolve("t10k-images-idx3-ubyte") + ": truncated"), m);
        assertTrue(m.endsWith("; the file is damaged: reinstall it with `apt-get install --reinstall dataset-fashion-mnist`, or pass --data a "
                + "directory with intact copies"), m);
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
