package dev.fathom.data;

import java.util.SplittableRandom;

/**
 * Mirrors each image left to right with probability {@code p} (torchvision's
 * {@code RandomHorizontalFlip}); per image, in order, it draws one {@code nextDouble() < p}.
 */
public final class RandomHorizontalFlip implements Transform {
    private final double p;

    public RandomHorizontalFlip(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("RandomHorizontalFlip: p must be in [0, 1], got " + p);
        }
        this.p = p;
    }

    /** Flips half the images, as torchvision's default. */
    public RandomHorizontalFlip() {
        this(0.5);
    }

    @Override
    public Images apply(Images in, SplittableRandom random) {
        int c = in.channels();
        int h = in.height();
        int w = in.width();
        float[] src = in.data();
        float[] out = src.clone();
        for (int i = 0; i < in.n(); i++) {
            if (random.nextDouble() >= p) {
                continue;
            }
            for (int row = i * c * h; row < (i + 1) * c * h; row++) {
                int base = row * w;
                for (int col = 0; col < w; col++) {
                    out[base + col] = src[base + w - 1 - col];
                }
            }
        }
        return new Images(out, in.n(), c, h, w);
    }

    @Override
    public String toString() {
        return "RandomHorizontalFlip(p=" + p + ")";
    }
}
