package dev.fathom.data;

import java.util.SplittableRandom;

/**
 * Pads each image with {@code padding} zeros on every side, then cuts a random
 * {@code height × width} window (torchvision's {@code RandomCrop(size, padding)} with constant
 * fill 0). Per image, in order, it draws the top row then the left column, each uniform over the
 * positions where the window fits.
 */
public final class RandomCrop implements Transform {
    private final int height;
    private final int width;
    private final int padding;

    public RandomCrop(int height, int width, int padding) {
        if (height < 1 || width < 1 || padding < 0) {
            throw new IllegalArgumentException("RandomCrop: need size >= 1 and padding >= 0, got " + height + "x" + width + ", padding "
                    + padding);
        }
        this.height = height;
        this.width = width;
        this.padding = padding;
    }

    /** A square {@code size × size} window. */
    public RandomCrop(int size, int padding) {
        this(size, size, padding);
    }

    @Override
    public Images apply(Images in, SplittableRandom random) {
        int ph = in.height() + 2 * padding;
        int pw = in.width() + 2 * padding;
        if (height > ph || width > pw) {
            throw new IllegalArgumentException("RandomCrop: a " + height + "x" + width + " window does not fit images of " + in.height() + "x"
                    + in.width() + " padded by " + padding + " (" + ph + "x" + pw + ")");
        }
        int c = in.channels();
        float[] src = in.data();
        float[] out = new float[in.n() * c * height * width];
        for (int i = 0; i < in.n(); i++) {
            // Window origin in padded coordinates; source row = padded row - padding.
            int top = random.nextInt(ph - height + 1);
            int left = random.nextInt(pw - width + 1);
            for (int ch = 0; ch < c; ch++) {
                int srcPlane = (i * c + ch) * in.height() * in.width();
                int dstPlane = (i * c + ch) * height * width;
                for (int r = 0; r < height; r++) {
                    int sr = top + r - padding;
                    if (sr < 0 || sr >= in.height()) {
                        continue;
                    }
                    for (int col = 0; col < width; col++) {
                        int sc = left + col - padding;
                        if (sc >= 0 && sc < in.width()) {
                            out[dstPlane + r * width + col] = src[srcPlane + sr * in.width() + sc];
                        }
                    }
                }
            }
        }
        return new Images(out, in.n(), c, height, width);
    }

    @Override
    public String toString() {
        return "RandomCrop(" + height + "x" + width + ", padding=" + padding + ")";
    }
}
