package dev.fathom.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * An 8 × 8 block of floats transposed in registers: three rounds that swap lanes 1, 2 and 4 apart
 * between pairs of rows (a lane shuffle and a blend each). For packing a transposed GEMM operand,
 * whose panels want rows where the array has columns: float by float, {@code W.t()}'s panels cost
 * a sixth of an MLP layer's product, written 64 bytes apart; on AVX-512, where they had no
 * vector path, they were most of an LSTM's recurrent product (32 × 256 · (1024 × 256)ᵀ at 59
 * GFLOP/s). Only where 8-lane vectors are native ({@link #APPLIES}); callers keep a scalar path.
 */
final class Transpose8 {
    /** 8 lanes whatever the preferred width: on AVX-512 the rounds run on its 256-bit halves. */
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    /**
     * Whether 8-lane vectors are native here (AVX2, AVX-512): narrower hardware would run them
     * in software. Packing callers step through panels 8 columns at a time, and NR = 2·L is a
     * multiple of 8 wherever this holds.
     */
    static final boolean APPLIES = VectorF32.L >= 8;
    private static final VectorShuffle<Float> SWAP1 = APPLIES ? VectorShuffle.fromValues(S, 1, 0, 3, 2, 5, 4, 7, 6) : null;
    private static final VectorShuffle<Float> SWAP2 = APPLIES ? VectorShuffle.fromValues(S, 2, 3, 0, 1, 6, 7, 4, 5) : null;
    private static final VectorShuffle<Float> SWAP4 = APPLIES ? VectorShuffle.fromValues(S, 4, 5, 6, 7, 0, 1, 2, 3) : null;
    /** Lanes whose bit 0, 1 or 2 is set: where a round takes the partner row's (swapped) lanes. */
    private static final VectorMask<Float> ODD1 = APPLIES ? VectorMask.fromValues(S, false, true, false, true, false, true, false, true) : null;
    private static final VectorMask<Float> ODD2 = APPLIES ? VectorMask.fromValues(S, false, false, true, true, false, false, true, true) : null;
    private static final VectorMask<Float> ODD4 = APPLIES ? VectorMask.fromValues(S, false, false, false, false, true, true, true, true) : null;

    private Transpose8() {
    }

    /**
     * {@code dst[d + r·ds + i] = src[s + i·ss + r]} for r, i in [0, 8): row r of the result is
     * column r of the 8 rows read from src.
     */
    static void block(float[] src, int s, int ss, float[] dst, int d, int ds) {
        FloatVector r0 = FloatVector.fromArray(S, src, s), r1 = FloatVector.fromArray(S, src, s + ss);
        FloatVector r2 = FloatVector.fromArray(S, src, s + 2 * ss), r3 = FloatVector.fromArray(S, src, s + 3 * ss);
        FloatVector r4 = FloatVector.fromArray(S, src, s + 4 * ss), r5 = FloatVector.fromArray(S, src, s + 5 * ss);
        FloatVector r6 = FloatVector.fromArray(S, src, s + 6 * ss), r7 = FloatVector.fromArray(S, src, s + 7 * ss);
        // Round 1: 2 × 2 blocks of lanes 1 apart.
        FloatVector a0 = r0.blend(r1.rearrange(SWAP1), ODD1), a1 = r1.blend(r0.rearrange(SWAP1), ODD1.not());
        FloatVector a2 = r2.blend(r3.rearrange(SWAP1), ODD1), a3 = r3.blend(r2.rearrange(SWAP1), ODD1.not());
        FloatVector a4 = r4.blend(r5.rearrange(SWAP1), ODD1), a5 = r5.blend(r4.rearrange(SWAP1), ODD1.not());
        FloatVector a6 = r6.blend(r7.rearrange(SWAP1), ODD1), a7 = r7.blend(r6.rearrange(SWAP1), ODD1.not());
        // Round 2: 4 × 4 blocks, pairs of lanes 2 apart.
        FloatVector c0 = a0.blend(a2.rearrange(SWAP2), ODD2), c2 = a2.blend(a0.rearrange(SWAP2), ODD2.not());
        FloatVector c1 = a1.blend(a3.rearrange(SWAP2), ODD2), c3 = a3.blend(a1.rearrange(SWAP2), ODD2.not());
        FloatVector c4 = a4.blend(a6.rearrange(SWAP2), ODD2), c6 = a6.blend(a4.rearrange(SWAP2), ODD2.not());
        FloatVector c5 = a5.blend(a7.rearrange(SWAP2), ODD2), c7 = a7.blend(a5.rearrange(SWAP2), ODD2.not());
        // Round 3: halves of 4 lanes.
        c0.blend(c4.rearrange(SWAP4), ODD4).intoArray(dst, d);
        c1.blend(c5.rearrange(SWAP4), ODD4).intoArray(dst, d + ds);
        c2.blend(c6.rearrange(SWAP4), ODD4).intoArray(dst, d + 2 * ds);
        c3.blend(c7.rearrange(SWAP4), ODD4).intoArray(dst, d + 3 * ds);
        c4.blend(c0.rearrange(SWAP4), ODD4.not()).intoArray(dst, d + 4 * ds);
        c5.blend(c1.rearrange(SWAP4), ODD4.not()).intoArray(dst, d + 5 * ds);
        c6.blend(c2.rearrange(SWAP4), ODD4.not()).intoArray(dst, d + 6 * ds);
        c7.blend(c3.rearrange(SWAP4), ODD4.not()).intoArray(dst, d + 7 * ds);
    }
}
