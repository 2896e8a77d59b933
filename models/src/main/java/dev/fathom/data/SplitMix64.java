package dev.fathom.data;

/**
 * The portable data-order generator: SplitMix64 (Steele, Lea and Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014), the stream of
 * {@code java.util.SplittableRandom(seed).nextLong()} and of {@code SplitMix64} in the PyTorch
 * peers' {@code peerlib.py}. Shuffles built from it give the peers' batches in the peers' order.
 *
 * <p>Draw {@code k} depends only on the seed and {@code k}, so {@link #skip} jumps ahead in constant
 * time: a loader can start at any epoch without replaying the earlier ones. Not thread-safe.
 */
public final class SplitMix64 {
    private static final long GAMMA = 0x9E3779B97F4A7C15L;

    private long state;

    public SplitMix64(long seed) {
        this.state = seed;
    }

    /** The next 64 random bits (as {@code SplittableRandom.nextLong()}). */
    public long nextLong() {
        state += GAMMA;
        return mix(state);
    }

    /** {@code nextLong()} as unsigned, modulo {@code n} (the peers' {@code below(n)}); slightly biased, by design. */
    public long below(long n) {
        if (n <= 0) {
            throw new IllegalArgumentException("SplitMix64.below: n must be positive, got " + n);
        }
        return Long.remainderUnsigned(nextLong(), n);
    }

    /** Advances the stream by {@code draws} values without computing them. */
    public SplitMix64 skip(long draws) {
        if (draws < 0) {
            throw new IllegalArgumentException("SplitMix64.skip: draws must be >= 0, got " + draws);
        }
        state += draws * GAMMA;
        return this;
    }

    /**
     * A permutation of {@code 0..n-1} by Fisher–Yates: for {@code i = n-1} down to 1, swap {@code p[i]}
     * with {@code p[below(i+1)]}. Uses exactly {@code max(n-1, 0)} draws.
     */
    public int[] permutation(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("SplitMix64.permutation: n must be >= 0, got " + n);
        }
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        shuffle(p);
        return p;
    }

    /** Shuffles {@code a} in place with the same Fisher–Yates rule as {@link #permutation}. */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = (int) below(i + 1L);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** The SplitMix64 output function (a variant of MurmurHash3's finaliser). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
