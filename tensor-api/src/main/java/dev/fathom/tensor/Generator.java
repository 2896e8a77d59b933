package dev.fathom.tensor;

/**
 * A Philox stream position: a key (the seed) and a counter. Each random fill of n elements takes
 * the next {@code ⌈n/2⌉} counters (see {@link dev.fathom.spi.RandomOp}), so the same seed and the
 * same sequence of calls give the same tensors on every backend. Thread-safe.
 */
public final class Generator {
    private static final Generator GLOBAL = new Generator(0x5EEDL);

    private long seed;
    private long counter;

    public Generator(long seed) {
        this.seed = seed;
    }

    /** The generator used when none is given; {@link dev.fathom.Fathom#seed} reseeds it. */
    public static Generator global() {
        return GLOBAL;
    }

    /** Restarts the stream with key {@code seed}. */
    public synchronized void reseed(long seed) {
        this.seed = seed;
        this.counter = 0;
    }

    public synchronized long seed() {
        return seed;
    }

    /** The next counter to be used. */
    public synchronized long counter() {
        return counter;
    }

    /** Restores a position saved with {@link #seed()} and {@link #counter()} (checkpoints). */
    public synchronized void setState(long seed, long counter) {
        this.seed = seed;
        this.counter = counter;
    }

    /** Reserves the counters for a fill of {@code numel} elements; returns {seed, first counter}. */
    synchronized long[] reserve(long numel) {
        long start = counter;
        counter += (numel + 1) / 2;
        return new long[] {seed, start};
    }
}
