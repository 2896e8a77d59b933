package dev.fathom.train;

import dev.fathom.io.Png;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Tiles generated images into one greyscale PNG, as torchvision's {@code make_grid} +
 * {@code save_image(normalize=False)} would for images in [−1, 1]: {@code cols} per row, a
 * {@value #PAD}-pixel black border around and between them; pixel {@code round((x + 1)/2·255)},
 * clamped to [0, 255].
 */
public final class SampleGrid {
    /** The border width in pixels (torchvision's default padding). */
    public static final int PAD = 2;

    private SampleGrid() {
    }

    /** The grid pixels and their size. */
    public record Image(int width, int height, byte[] pixels) {
    }

    /** Lays out images {@code (N, 1, H, W)} in [−1, 1], {@code cols} per row ({@code ceil(N/cols)} rows). */
    public static Image tile(Tensor images, int cols) {
        if (images.dim() != 4 || images.size(1) != 1 || images.size(0) < 1) {
            throw new IllegalArgumentException("SampleGrid.tile: expected greyscale images [N, 1, H, W], got " + Shape.format(images.shape()));
        }
        if (cols < 1) {
            throw new IllegalArgumentException("SampleGrid.tile: cols must be >= 1, got " + cols);
        }
        int n = images.size(0), h = images.size(2), w = images.size(3);
        int c = Math.min(cols, n), r = (n + cols - 1) / cols;
        int width = c * (w + PAD) + PAD, height = r * (h + PAD) + PAD;
        float[] x = images.toFloatArray();
        byte[] px = new byte[width * height];
        for (int i = 0; i < n; i++) {
            int top = PAD + (i / cols) * (h + PAD), left = PAD + (i % cols) * (w + PAD);
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    px[(top + y) * width + left + xx] = (byte) toByte(x[(i * h + y) * w + xx]);
                }
            }
        }
        return new Image(width, height, px);
    }

    /** {@code round((v + 1)/2·255)} clamped to [0, 255]; NaN is black. */
    static int toByte(float v) {
        double p = Math.rint((v + 1.0) * 0.5 * 255.0);
        return Double.isNaN(p) ? 0 : (int) Math.max(0, Math.min(255, p));
    }

    /** {@link #tile} written as a PNG, atomically. */
    public static void write(Path png, Tensor images, int cols) throws IOException {
        Image g = tile(images, cols);
        Png.writeGray(png, g.width(), g.height(), g.pixels());
    }
}
