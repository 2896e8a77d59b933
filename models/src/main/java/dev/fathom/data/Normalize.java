package dev.fathom.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * {@code (x - mean[c]) / std[c]} per channel (torchvision's {@code Normalize}). One mean and std
 * apply to every channel; otherwise give one per channel.
 */
public final class Normalize implements Transform {
    private final double[] mean;
    private final double[] std;

    public Normalize(double[] mean, double[] std) {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("Normalize: need as many means as stds (one, or one per channel), got " + mean.length
                    + " and " + std.length);
        }
        for (double s : std) {
            if (!(s > 0) || !Double.isFinite(s)) {
                throw new IllegalArgumentException("Normalize: every std must be positive and finite, got " + Arrays.toString(std));
            }
        }
        for (double m : mean) {
            if (!Double.isFinite(m)) {
                throw new IllegalArgumentException("Normalize: every mean must be finite, got " + Arrays.toString(mean));
            }
        }
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /** The same mean and std for every channel. */
    public Normalize(double mean, double std) {
        this(new double[] {mean}, new double[] {std});
    }

    @Override
    public Images apply(Images in, SplittableRandom random) {
        int c = in.channels();
        if (mean.length != 1 && mean.length != c) {
            throw new IllegalArgumentException("Normalize: " + mean.length + " means and stds for images with " + c + " channels "
                    + Arrays.toString(in.shape()));
        }
        int plane = in.height() * in.width();
        float[] src = in.data();
        float[] out = new float[src.length];
        for (int i = 0; i < in.n(); i++) {
            for (int ch = 0; ch < c; ch++) {
                int k = mean.length == 1 ? 0 : ch;
                float m = (float) mean[k];
                float inv = (float) (1 / std[k]);
                int base = (i * c + ch) * plane;
                for (int p = base; p < base + plane; p++) {
                    out[p] = (src[p] - m) * inv;
                }
            }
        }
        return new Images(out, in.n(), c, in.height(), in.width());
    }

    @Override
    public String toString() {
        return "Normalize(mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ")";
    }
}
