package dev.fathom.spi;

/**
 * Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
 * counter-based generator behind every random op; checked against Random123's known-answer
 * vectors. A counter {@code c} and a key {@code k} map to four independent 32-bit words, so any
 * element of a random stream can be computed without the ones before it (which is what lets the
 * CPU and the GPU produce identical streams in parallel).
 */
public final class Philox {
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    private Philox() {
    }

    /**
     * Philox 4x32-10 of the 128-bit counter {@code (c0, c1, c2, c3)} under the 64-bit key
     * {@code (k0, k1)}; writes the four output words into {@code out[0..3]}.
     */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** The block for Fathom's streams: counter {@code (low, high, 0, 0)} of {@code counter}, key = {@code seed}. */
    public static void block(long counter, long seed, int[] out) {
        block((int) counter, (int) (counter >>> 32), 0, 0, (int) seed, (int) (seed >>> 32), out);
    }

    /** F32 uniform in [0, 1) from one word: its top 24 bits. */
    public static float uniformFloat(int w) {
        return (w >>> 8) * 0x1.0p-24f;
    }

    /** F64 uniform in [0, 1) from two words: the top 53 bits of {@code w0:w1}. */
    public static double uniformDouble(int w0, int w1) {
        long bits = ((w0 & 0xFFFFFFFFL) << 32) | (w1 & 0xFFFFFFFFL);
        return (bits >>> 11) * 0x1.0p-53;
    }

    /** Standard normal by Box–Muller from two words, in F64 (see {@link RandomOp#NORMAL}). */
    public static double normal(int w0, int w1) {
        double u1 = ((w0 & 0xFFFFFFFFL) + 1) * 0x1.0p-32;
        double u2 = (w1 & 0xFFFFFFFFL) * 0x1.0p-32;
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
