package dev.fathom.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * Fixed-order lane sums. {@code reduceLanes(ADD)} leaves its order unspecified, and HotSpot's C2
 * intrinsic and the Java fallback that runs before C2 compiles a method (a sequential loop) round
 * differently, so a seeded run would depend on JIT timing. Here the order is a fixed tree of
 * lanewise adds with rotated copies (halves, then quarters, ...), each an IEEE-exact lane op, so
 * every JIT tier gives the same bits; it costs log2(L) shuffles, about what the intrinsic does.
 */
final class Lanes {
    private static final int L = VectorF32.L;
    private static final VectorShuffle<Float> R1 = rotate(1), R2 = rotate(2), R4 = rotate(4), R8 = rotate(8);

    private Lanes() {
    }

    private static VectorShuffle<Float> rotate(int by) {
        return VectorShuffle.iota(VectorF32.S, by % L, 1, true);
    }

    /** The sum of v's lanes (v of {@link VectorF32#S}), in one fixed order. */
    static float sum(FloatVector v) {
        if (L > 16 || Integer.bitCount(L) != 1) {
            float[] t = v.toArray();
            float s = 0;
            for (float f : t) {
                s += f;
            }
            return s;
        }
        if (L >= 16) {
            v = v.add(v.rearrange(R8));
        }
        if (L >= 8) {
            v = v.add(v.rearrange(R4));
        }
        if (L >= 4) {
            v = v.add(v.rearrange(R2));
        }
        if (L >= 2) {
            v = v.add(v.rearrange(R1));
        }
        return v.lane(0);
    }
}
