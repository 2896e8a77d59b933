package dev.fathom.data;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SplitMix64Test {

    @Test
    void streamIsSplittableRandoms() {
        for (long seed : new long[] {0, 1, 42, -7, Long.MIN_VALUE}) {
            SplittableRandom ref = new SplittableRandom(seed);
            SplitMix64 r = new SplitMix64(seed);
            for (int i = 0; i < 1000; i++) {
                assertEquals(ref.nextLong(), r.nextLong(), "seed " + seed + ", draw " + i);
            }
        }
    }

    @Test
    void belowIsTheUnsignedRemainder() {
        SplittableRandom ref = new SplittableRandom(3);
        SplitMix64 r = new SplitMix64(3);
        for (long n : new long[] {1, 2, 3, 7, 10, 1000, 60_000, Long.MAX_VALUE}) {
            long x = ref.nextLong();
            // Unsigned remainder written out: x as an unsigned 128-bit-free value via BigInteger.
            long expected = new java.math.BigInteger(Long.toUnsignedString(x)).mod(java.math.BigInteger.valueOf(n)).longValueExact();
            assertEquals(expected, r.below(n));
        }
        assertThrows(IllegalArgumentException.class, () -> r.below(0));
    }

    /** Vectors printed by the PyTorch peers' own peerlib.SplitMix64 (Python), so both sides shuffle alike. */
    @Test
    void permutationsMatchThePeersPython() {
        SplitMix64 r = new SplitMix64(0);
        // python3 -c "import peerlib; r = peerlib.SplitMix64(0); print(r.permutation(10)); print(r.permutation(10))"
        assertArrayEquals(new int[] {6, 3, 2, 9, 8, 1, 4, 7, 0, 5}, r.permutation(10));
        assertArrayEquals(new int[] {7, 4, 9, 5, 2, 3, 8, 6, 1, 0}, r.permutation(10));
        assertArrayEquals(new int[] {2, 4, 6, 0, 3, 1, 5}, new SplitMix64(42).permutation(7));
    }

    @Test
    void skipJumpsAsDrawingWould() {
        SplitMix64 drawn = new SplitMix64(9);
        for (int i = 0; i < 12345; i++) {
            drawn.nextLong();
        }
        assertEquals(drawn.nextLong(), new SplitMix64(9).skip(12345).nextLong());
        assertArrayEquals(new int[0], new SplitMix64(1).permutation(0));
        assertArrayEquals(new int[] {0}, new SplitMix64(1).permutation(1));
    }
}
