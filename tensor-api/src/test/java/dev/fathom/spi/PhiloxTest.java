package dev.fathom.spi;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Philox 4x32-10 against Random123's known-answer vectors ({@code kat_vectors}, "philox4x32 10"
 * lines: counter, key, expected output), and the word-to-number conversions of {@link RandomOp}.
 */
class PhiloxTest {

    private static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
        int[] out = new int[4];
        Philox.block(c0, c1, c2, c3, k0, k1, out);
        return out;
    }

    @Test
    void zeroCounterZeroKey() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, block(0, 0, 0, 0, 0, 0));
    }

    @Test
    void allOnes() {
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, block(-1, -1, -1, -1, -1, -1));
    }

    @Test
    void digitsOfPi() {
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    @Test
    void streamBlockSplitsCounterAndSeedIntoWords() {
        long counter = 0x85a308d3_243f6a88L, seed = 0x299f31d0_a4093822L;
        int[] viaLongs = new int[4];
        Philox.block(counter, seed, viaLongs);
        assertArrayEquals(block(0x243f6a88, 0x85a308d3, 0, 0, 0xa4093822, 0x299f31d0), viaLongs,
                "counter (low, high, 0, 0), key (low, high)");
    }

    @Test
    void uniformConversions() {
        assertEquals(0f, Philox.uniformFloat(0));
        assertEquals(1f - 0x1.0p-24f, Philox.uniformFloat(-1), "the largest F32 uniform is below 1");
        assertEquals(0.5f, Philox.uniformFloat(0x80000000));
        assertEquals(0.0, Philox.uniformDouble(0, 0));
        assertEquals(1 - 0x1.0p-53, Philox.uniformDouble(-1, -1), "the largest F64 uniform is below 1");
        assertEquals(0.5, Philox.uniformDouble(0x80000000, 0));
    }

    @Test
    void normalIsFiniteAtTheExtremesOfTheWords() {
        // u1 = (w0 + 1)·2^-32 is in (0, 1], so the log never sees 0.
        double smallest = Philox.normal(0, 0);
        assertEquals(Math.sqrt(-2 * Math.log(0x1.0p-32)), smallest, 1e-12);
        assertEquals(0.0, Philox.normal(-1, 0), 1e-12, "u1 = 1 gives 0");
        assertTrue(Double.isFinite(Philox.normal(0, -1)));
    }
}
