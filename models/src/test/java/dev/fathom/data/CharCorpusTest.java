package dev.fathom.data;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The char-LM corpus as the reference workloads build it. */
class CharCorpusTest {

    @Test
    void debiansFortunesMatchThePublishedCorpusFigures() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(CharCorpus.FORTUNES_DIR),
                "fortunes is not installed (apt-get install fortunes); the published figures cannot be checked");
        CharCorpus c = CharCorpus.load(CharCorpus.FORTUNES_DIR);
        // shared/peers/torch/README.md: 43 plain files, 2,576,627 characters, vocabulary 113.
        assertEquals(43, c.files(), c.toString());
        assertEquals(2_576_627, c.size(), c.toString());
        assertEquals(113, c.vocabSize(), c.toString());
        assertEquals((int) (0.9 * 2_576_627), c.train().length);
    }

    @Test
    void filesAreReadInNameOrderSkippingIndexesLinksAndDirectories(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("b"), "world", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("a"), "héllo ", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("a.dat"), "XXXX");
        Files.writeString(dir.resolve("a.u8"), "YYYY");
        Files.createDirectory(dir.resolve("c"));
        Files.createSymbolicLink(dir.resolve("d"), dir.resolve("a"));
        CharCorpus c = CharCorpus.load(dir);
        assertEquals(2, c.files());
        assertEquals(11, c.size());
        // Vocabulary sorted by code point: ' ', d, h, l, o, r, w, é.
        assertEquals(8, c.vocabSize());
        String text = "héllo world";
        assertEquals(text.substring(0, 9), c.decode(c.train()));
        assertEquals(text.substring(9), c.decode(c.val()));
        assertArrayEquals(new long[] {2, 7, 3, 3, 4}, c.encode("héllo"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.encode("z"));
        assertTrue(e.getMessage().contains("LATIN SMALL LETTER Z (U+7A) is not in the corpus's vocabulary of 8"), e.getMessage());
    }

    @Test
    void sizesThatOverflowAnIntAreRefusedWithTheValues() {
        CharCorpus c = CharCorpus.of("abcdefghijklmnopqrstuvwxyz0123");
        String m = assertThrows(IllegalArgumentException.class, () -> c.valOffsets(20, 107374183, 1)).getMessage();
        assertEquals("CharCorpus.valOffsets: need 2 to 134217728 windows of 1 in all, got 20 batch(es) of 107374183 (2147483660)", m);
        m = assertThrows(IllegalArgumentException.class, () -> CharCorpus.windows(new long[30], new long[3], Integer.MAX_VALUE / 2)).getMessage();
        assertTrue(m.startsWith("CharCorpus.windows: 3 windows of 1073741823 tokens are 3221225469 tokens; need ctx >= 1 and at most 134217728"), m);
    }

    @Test
    void windowsAreTheNextCharacterShiftedByOne() {
        CharCorpus c = CharCorpus.of("abcdefghijklmnopqrstuvwxyz0123");  // 30 chars: train 27, val 3
        long[][] w = CharCorpus.windows(c.train(), new long[] {0, 5}, 3);
        assertEquals("abcfgh", c.decode(w[0]));
        assertEquals("bcdghi", c.decode(w[1]));
        // Training starts are below(n − ctx) of the SplitMix64 stream, row by row.
        SplitMix64 a = new SplitMix64(7), b = new SplitMix64(7);
        long[] starts = c.trainOffsets(a, 4, 5);
        for (long s : starts) {
            assertEquals(b.below(27 - 5), s);
        }
        assertThrows(IllegalArgumentException.class, () -> CharCorpus.windows(c.train(), new long[] {25}, 3));
    }

    @Test
    void validationWindowsAreFixedAndEvenlySpread() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            sb.append((char) ('a' + i % 26));
        }
        CharCorpus c = CharCorpus.of(sb.toString());  // val: 100 characters
        long[][] v = c.valOffsets(2, 3, 10);
        // start_k = k·(100 − 10 − 1) / 5 for k = 0..5.
        assertArrayEquals(new long[] {0, 17, 35}, v[0]);
        assertArrayEquals(new long[] {53, 71, 89}, v[1]);
        assertThrows(IllegalArgumentException.class, () -> c.valOffsets(1, 1, 10));
    }

    @Test
    void aMissingDirectoryOrBadTextSaysWhatToDo(@TempDir Path dir) throws IOException {
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> CharCorpus.load(dir.resolve("none")));
        assertTrue(e.getMessage().contains("apt-get install fortunes"), e.getMessage());
        Files.write(dir.resolve("bad"), new byte[] {'o', 'k', (byte) 0xC3});
        IOException bad = assertThrows(IOException.class, () -> CharCorpus.load(dir));
        assertTrue(bad.getMessage().contains("is not valid UTF-8"), bad.getMessage());
    }
}
