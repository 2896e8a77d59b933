package dev.fathom.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The PNG encoder, decoded by the JDK's ImageIO (an independent decoder, available in tests). */
class PngTest {

    @Test
    void imageIoReadsBackEveryPixel() throws Exception {
        int w = 37, h = 23;
        byte[] px = new byte[w * h];
        new SplittableRandom(3).nextBytes(px);
        px[0] = 0;
        px[1] = (byte) 255;
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(Png.encodeGray(w, h, px)));
        assertEquals(w, img.getWidth());
        assertEquals(h, img.getHeight());
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, img.getType());
        byte[] back = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                back[y * w + x] = (byte) img.getRaster().getSample(x, y, 0);
            }
        }
        assertArrayEquals(px, back);
    }

    @Test
    void writesAtomicallyAndRejectsBadSizes(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("a.png");
        Png.writeGray(f, 2, 1, new byte[] {1, 2});
        byte[] bytes = Files.readAllBytes(f);
        assertEquals((byte) 0x89, bytes[0]);
        assertEquals("PNG", new String(bytes, 1, 3, java.nio.charset.StandardCharsets.US_ASCII));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary left behind");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Png.encodeGray(3, 2, new byte[5]));
        assertTrue(e.getMessage().contains("3×2") && e.getMessage().contains("5 pixels"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Png.encodeGray(0, 2, new byte[0]));
    }
}
