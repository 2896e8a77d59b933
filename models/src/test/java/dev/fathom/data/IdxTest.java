package dev.fathom.data;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The IDX reader on hand-written bytes. */
class IdxTest {
    /** A 2×3 unsigned-byte array: header 00 00 08 02, sizes 2 and 3, then 6 values. */
    private static final byte[] GOOD = {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, (byte) 200, (byte) 255, 0};

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(b);
        }
        return out.toByteArray();
    }

    private static String failure(byte[] bytes) {
        return assertThrows(IOException.class, () -> Idx.parse("f.idx", bytes)).getMessage();
    }

    @Test
    void readsPlainBytes() throws IOException {
        Idx idx = Idx.parse("f.idx", GOOD);
        assertArrayEquals(new int[] {2, 3}, idx.dims());
        assertEquals(6, idx.count());
        assertEquals(200, idx.unsigned(3));
        assertEquals(255, idx.unsigned(4));
    }

    @Test
    void readsGzipByContent() throws IOException {
        Idx idx = Idx.parse("f.idx", gzip(GOOD));
        assertArrayEquals(new int[] {2, 3}, idx.dims());
        assertArrayEquals(Arrays.copyOfRange(GOOD, 12, 18), idx.data());
    }

    @Test
    void rejectsTruncatedData() {
        String m = failure(Arrays.copyOf(GOOD, GOOD.length - 2));
        assertTrue(m.startsWith("f.idx: truncated"), m);
        assertTrue(m.contains("need 6 bytes of data, found only 4"), m);
    }

    @Test
    void rejectsTruncatedHeaders() {
        assertTrue(failure(new byte[] {0, 0}).contains("too short for an IDX header"));
        assertTrue(failure(Arrays.copyOf(GOOD, 9)).contains("truncated IDX header"));
    }

    @Test
    void rejectsBadMagic() {
        byte[] bad = GOOD.clone();
        bad[0] = 0x50;
        String m = failure(bad);
        assertTrue(m.startsWith("f.idx: not an IDX file: bad magic 50 00 08 02"), m);
    }

    @Test
    void rejectsUnsupportedTypesAndDims() {
        byte[] floats = GOOD.clone();
        floats[2] = 0x0D;
        assertTrue(failure(floats).contains("element type 0xd is not supported"));
        byte[] noDims = GOOD.clone();
        noDims[3] = 0;
        assertTrue(failure(noDims).contains("0 dims"));
    }

    @Test
    void rejectsTrailingBytes() {
        byte[] longer = Arrays.copyOf(GOOD, GOOD.length + 3);
        assertTrue(failure(longer).contains("3 unexpected bytes after the 6 bytes"), failure(longer));
    }

    @Test
    void rejectsTruncatedGzip() throws IOException {
        byte[] gz = gzip(GOOD);
        String m = failure(Arrays.copyOf(gz, gz.length - 10));
        assertTrue(m.startsWith("f.idx: truncated or corrupt gzip data") || m.startsWith("f.idx: truncated"), m);
    }

    @Test
    void rejectsEmptyFilesNegativeAndHugeSizes() {
        assertTrue(failure(new byte[0]).contains("too short for an IDX header (0 bytes"));
        // size of dim 0 = 0x80000000, negative as an int
        byte[] negative = {0, 0, 8, 1, (byte) 0x80, 0, 0, 0};
        assertTrue(failure(negative).contains("IDX size of dim 0 is negative"), failure(negative));
        // 65536 × 65536 bytes would be 4 GiB
        byte[] huge = {0, 0, 8, 2, 0, 1, 0, 0, 0, 1, 0, 0};
        assertTrue(failure(huge).contains("too large"), failure(huge));
        byte[] tooManyDims = GOOD.clone();
        tooManyDims[3] = 9;
        assertTrue(failure(tooManyDims).contains("9 dims; expected 1 to 8"));
    }

    @Test
    void readsAnEmptyArrayAndFilesFromDisk(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        Idx empty = Idx.parse("e.idx", new byte[] {0, 0, 8, 1, 0, 0, 0, 0});
        assertArrayEquals(new int[] {0}, empty.dims());
        assertEquals(0, empty.count());
        java.nio.file.Path file = dir.resolve("labels-idx1-ubyte.gz");
        java.nio.file.Files.write(file, gzip(GOOD));
        assertEquals(200, Idx.read(file).unsigned(3));
        java.nio.file.Files.write(file, Arrays.copyOf(GOOD, 14));
        String m = assertThrows(IOException.class, () -> Idx.read(file)).getMessage();
        assertTrue(m.startsWith("labels-idx1-ubyte.gz: truncated"), m);
    }
}
