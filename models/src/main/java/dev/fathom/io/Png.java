package dev.fathom.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A minimal PNG encoder for 8-bit greyscale images (PNG specification, ISO/IEC 15948:2003): IHDR,
 * one zlib-compressed IDAT with filter type 0 on every row, IEND. It needs only {@code java.base}
 * ({@code java.util.zip}), so it works in runtimes without {@code java.desktop} (no ImageIO, no AWT),
 * such as the jlinked one of {@code scripts/gpu-check}.
 */
public final class Png {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private Png() {
    }

    /**
     * The PNG bytes of a {@code width × height} greyscale image; {@code pixels} is row-major,
     * one unsigned byte per pixel (0 black, 255 white).
     */
    public static byte[] encodeGray(int width, int height, byte[] pixels) {
        if (width < 1 || height < 1 || pixels == null || (long) width * height != pixels.length) {
            throw new IllegalArgumentException("Png.encodeGray: need width, height >= 1 and width·height pixels, got " + width + "×" + height
                    + " and " + (pixels == null ? "null" : pixels.length + " pixels"));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SIGNATURE);
        ByteBuffer ihdr = ByteBuffer.allocate(13);
        ihdr.putInt(width).putInt(height);
        ihdr.put((byte) 8);     // bit depth
        ihdr.put((byte) 0);     // colour type 0: greyscale
        ihdr.put((byte) 0);     // compression: deflate
        ihdr.put((byte) 0);     // filter method 0
        ihdr.put((byte) 0);     // no interlace
        chunk(out, "IHDR", ihdr.array());
        byte[] raw = new byte[(width + 1) * height];
        for (int y = 0; y < height; y++) {
            raw[y * (width + 1)] = 0;  // filter type None
            System.arraycopy(pixels, y * width, raw, y * (width + 1) + 1, width);
        }
        chunk(out, "IDAT", deflate(raw));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** Writes {@link #encodeGray} to {@code file} atomically (see {@link AtomicFile}). */
    public static void writeGray(Path file, int width, int height, byte[] pixels) throws IOException {
        AtomicFile.write(file, encodeGray(width, height, pixels));
    }

    private static byte[] deflate(byte[] data) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
        try {
            deflater.setInput(data);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
            byte[] buf = new byte[8192];
            while (!deflater.finished()) {
                out.write(buf, 0, deflater.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    /** Length, type, data, and the CRC-32 of type and data. */
    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
