package dev.fathom.models;

import dev.fathom.optim.Adam;

import dev.fathom.tensor.Generator;

/**
 * The reference DCGAN on Fashion-MNIST ({@code shared/peers/torch/dcgan_fmnist.py}): a
 * {@link DcganGenerator} and a {@link DcganDiscriminator}, built in that order from the global
 * generator, with the workload's settings. Images are the pixels scaled to [−1, 1]
 * ({@code x/127.5 − 1}). Owns both nets: closing it closes them.
 */
public final class Dcgan implements AutoCloseable {
    /** The name in checkpoints and on the command line. */
    public static final String ID = "dcgan";
    /** Noise size, batch size and the Adam settings of both nets: lr 2e-4, β (0.5, 0.999), eps 1e-8. */
    public static final int Z_DIM = 64;
    public static final int BATCH = 64;
    public static final double LR = 2e-4;
    public static final double BETA1 = 0.5;
    public static final double BETA2 = 0.999;
    public static final double EPS = 1e-8;

    private final DcganGenerator generator;
    private final DcganDiscriminator discriminator;

    /** Both nets, freshly initialized (seed the global generator first). */
    public Dcgan() {
        this(Generator.global());
    }

    /** Both nets, initialized in that order from {@code random} instead of the global generator. */
    public Dcgan(Generator random) {
        java.util.Objects.requireNonNull(random, "Dcgan: generator is null (use Generator.global())");
        generator = new DcganGenerator(Z_DIM, random);
        DcganDiscriminator d;
        try {
            d = new DcganDiscriminator(random);
        } catch (RuntimeException e) {
            generator.close();
            throw e;
        }
        discriminator = d;
    }

    public DcganGenerator generator() {
        return generator;
    }

    public DcganDiscriminator discriminator() {
        return discriminator;
    }

    /** The Adam settings of both nets in the reference. */
    public static Adam.Config adam() {
        return new Adam.Config(LR, BETA1, BETA2, EPS, 0, false);
    }

    @Override
    public void close() {
        try {
            generator.close();
        } finally {
            discriminator.close();
        }
    }

    @Override
    public String toString() {
        return "Dcgan(" + generator + ", " + discriminator + ")";
    }
}
