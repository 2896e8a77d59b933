package dev.fathom.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * An IDX array of unsigned bytes, the format of (Fashion-)MNIST: a big-endian header
 * {@code 0x00 0x00 <type> <ndims>}, then {@code ndims} 32-bit sizes, then the elements in
 * row-major order. Only type {@code 0x08} (unsigned byte) is read; that is what image and label
 * files use.
 *
 * <p>Reading is strict: the header, every size and the exact data length are checked, and a file
 * may be gzip'd (recognised by its content, not its name). Every failure is an
 * {@link IOException} whose message starts with the file name.
 *
 * @param dims the sizes, e.g. {@code [60000, 28, 28]}
 * @param data the elements, {@code dims[0]·dims[1]·…} bytes, to be read as unsigned
 */
public record Idx(int[] dims, byte[] data) {
    private static final int UNSIGNED_BYTE = 0x08;
    private static final int MAX_DIMS = 8;

    /** Reads {@code file}, plain or gzip'd. */
    public static Idx read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(file.getFileName().toString(), in);
        }
    }

    /** Reads an IDX array from {@code in}, plain or gzip'd; {@code name} starts every error message. */
    public static Idx read(String name, InputStream in) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
        buffered.mark(2);
        boolean gzip = buffered.read() == 0x1f && buffered.read() == 0x8b;
        buffered.reset();
        try (InputStream body = gzip ? new GZIPInputStream(buffered, 1 << 16) : buffered) {
            return parse(name, body);
        } catch (EOFException | ZipException e) {
            if (!gzip) {
                throw e;
            }
            throw new IOException(name + ": truncated or corrupt gzip data (" + e.getMessage() + ")", e);
        }
    }

    /** Parses bytes already in memory (tests, archives). */
    public static Idx parse(String name, byte[] bytes) throws IOException {
        return read(name, new ByteArrayInputStream(bytes));
    }

    private static Idx parse(String name, InputStream in) throws IOException {
        byte[] header = in.readNBytes(4);
        if (header.length < 4) {
            throw new IOException(name + ": too short for an IDX header (" + header.length + " bytes; need at least 4)");
        }
        if (header[0] != 0 || header[1] != 0) {
            throw new IOException(name + ": not an IDX file: bad magic " + hex(header)
                    + " (an IDX file starts with 00 00, then the type and the number of dims)");
        }
        int type = header[2] & 0xff;
        int ndims = header[3] & 0xff;
        if (type != UNSIGNED_BYTE) {
            throw new IOException(name + ": IDX element type 0x" + Integer.toHexString(type) + " is not supported (only 0x08, unsigned byte)");
        }
        if (ndims < 1 || ndims > MAX_DIMS) {
            throw new IOException(name + ": IDX header says " + ndims + " dims; expected 1 to " + MAX_DIMS);
        }
        byte[] sizeBytes = in.readNBytes(4 * ndims);
        if (sizeBytes.length < 4 * ndims) {
            throw new IOException(name + ": truncated IDX header: " + ndims + " dims need " + 4 * ndims + " bytes of sizes, found "
                    + sizeBytes.length);
        }
        int[] dims = new int[ndims];
        long count = 1;
        for (int d = 0; d < ndims; d++) {
            int i = 4 * d;
            dims[d] = (sizeBytes[i] & 0xff) << 24 | (sizeBytes[i + 1] & 0xff) << 16 | (sizeBytes[i + 2] & 0xff) << 8 | sizeBytes[i + 3] & 0xff;
            if (dims[d] < 0) {
                throw new IOException(name + ": IDX size of dim " + d + " is negative (" + dims[d] + ")");
            }
            count *= dims[d];
            if (count > Integer.MAX_VALUE - 16) {
                throw new IOException(name + ": IDX sizes " + Arrays.toString(Arrays.copyOf(dims, d + 1)) + "... are too large (over 2 GiB)");
            }
        }
        byte[] data = in.readNBytes((int) count);
        if (data.length < count) {
            throw new IOException(name + ": truncated: sizes " + Arrays.toString(dims) + " need " + count + " bytes of data, found only "
                    + data.length);
        }
        long extra = in.transferTo(java.io.OutputStream.nullOutputStream());
        if (extra > 0) {
            throw new IOException(name + ": " + extra + " unexpected bytes after the " + count + " bytes that sizes "
                    + Arrays.toString(dims) + " describe");
        }
        return new Idx(dims, data);
    }

    /** The number of elements. */
    public int count() {
        return data.length;
    }

    /** Element {@code i} (row-major) as an unsigned value 0..255. */
    public int unsigned(int i) {
        return data[i] & 0xff;
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(sb.isEmpty() ? "" : " ").append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }
}
