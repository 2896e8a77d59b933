package dev.fathom.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Fixed-order lane sums. {@code reduceLanes(ADD)} leaves its order unspecified, and HotSpot's C2
 * intrinsic (a shuffle tree) and the Java fallback that runs before C2 compiles a method (a
 * sequential loop) round differently, so a seeded run would depend on JIT timing. These sums
 * always add lane 0, 1, 2, ... in F64; they run once per row or block, so their cost is small.
 */
final class Lanes {
    private Lanes() {
    }

    /** {@code Σ v.lane(i)} in lane order, in F64. */
    static double sum(FloatVector v) {
        float[] t = v.toArray();
        double s = 0;
        for (float f : t) {
            s += f;
        }
        return s;
    }
}
