package dev.fathom.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * A square block of floats, one preferred vector wide (8 × 8 on AVX2, 16 × 16 on AVX-512),
 * transposed in registers: rounds that swap lanes 1, 2, 4 (and 8) apart between pairs of rows, a
 * lane shuffle and a blend each. For packing a transposed GEMM operand, whose panels want rows
 * where the array has columns: float by float, {@code W.t()}'s panels cost a sixth of an MLP
 * layer's product, written 64 bytes apart, and on AVX-512 most of an LSTM's recurrent product
 * (32 × 256 · (1024 × 256)ᵀ at 59 GFLOP/s).
 *
 * <p>The blocks are of the preferred species, never a narrower one: the JDK's vector methods
 * (such as {@code FloatVector.intoArray}) share one type profile across species, and 8-lane
 * blocks on AVX-512 made C2 compile the GEMM's other packing loops with a type switch that boxed
 * their 16-lane vectors (an LSTM step allocated 75 MB). Only for 8 or 16 lanes ({@link #APPLIES});
 * callers keep a scalar path.
 */
final class RegisterTranspose {
    private static final VectorSpecies<Float> S = VectorF32.S;
    private static final int L = VectorF32.L;
    /** Whether the preferred vectors have 8 or 16 lanes, the widths the rounds are written for. */
    static final boolean APPLIES = L == 8 || L == 16;
    private static final VectorShuffle<Float> SWAP1 = APPLIES ? swap(1) : null, SWAP2 = APPLIES ? swap(2) : null,
            SWAP4 = APPLIES ? swap(4) : null, SWAP8 = L == 16 ? swap(8) : null;
    /** Lanes whose bit 0, 1, 2 or 3 is set: where a round takes the partner row's (swapped) lanes. */
    private static final VectorMask<Float> ODD1 = APPLIES ? odd(1) : null, ODD2 = APPLIES ? odd(2) : null, ODD4 = APPLIES ? odd(4) : null,
            ODD8 = L == 16 ? odd(8) : null;

    private RegisterTranspose() {
    }

    private static VectorShuffle<Float> swap(int d) {
        int[] lanes = new int[L];
        for (int i = 0; i < L; i++) {
            lanes[i] = i ^ d;
        }
        return VectorShuffle.fromValues(S, lanes);
    }

    private static VectorMask<Float> odd(int d) {
        boolean[] bits = new boolean[L];
        for (int i = 0; i < L; i++) {
            bits[i] = (i & d) != 0;
        }
        return VectorMask.fromValues(S, bits);
    }

    /**
     * {@code dst[d + c·ds + r] = src[s + r·ss + c]} for r in [0, rows), c in [0, cols): the
     * rows × cols matrix at src (rows ss apart) transposed into dst (rows ds apart). Whole L × L
     * blocks go through {@link #block}, column block by column block (each block's L source rows
     * stay in L1 while its L destination rows are written); the edges, and everything where
     * {@link #APPLIES} is false, float by float.
     */
    static void matrix(float[] src, int s, int ss, int rows, int cols, float[] dst, int d, int ds) {
        int c0 = 0;
        if (APPLIES) {
            int wholeRows = rows / L * L, wholeCols = cols / L * L;
            for (; c0 < wholeCols; c0 += L) {
                for (int r = 0; r < wholeRows; r += L) {
                    block(src, s + r * ss + c0, ss, dst, d + c0 * ds + r, ds);
                }
                for (int c = c0; c < c0 + L; c++) {
                    for (int r = wholeRows; r < rows; r++) {
                        dst[d + c * ds + r] = src[s + r * ss + c];
                    }
                }
            }
        }
        for (int c = c0; c < cols; c++) {
            for (int r = 0; r < rows; r++) {
                dst[d + c * ds + r] = src[s + r * ss + c];
            }
        }
    }

    /**
     * {@code dst[d + r·ds + i] = src[s + i·ss + r]} for r, i in [0, L): row r of the result is
     * column r of the L rows read from src.
     */
    static void block(float[] src, int s, int ss, float[] dst, int d, int ds) {
        if (L == 8) {
            block8(src, s, ss, dst, d, ds);
        } else {
            block16(src, s, ss, dst, d, ds);
        }
    }

    private static void block8(float[] src, int s, int ss, float[] dst, int d, int ds) {
        FloatVector r0 = FloatVector.fromArray(S, src, s), r1 = FloatVector.fromArray(S, src, s + ss);
        FloatVector r2 = FloatVector.fromArray(S, src, s + 2 * ss), r3 = FloatVector.fromArray(S, src, s + 3 * ss);
        FloatVector r4 = FloatVector.fromArray(S, src, s + 4 * ss), r5 = FloatVector.fromArray(S, src, s + 5 * ss);
        FloatVector r6 = FloatVector.fromArray(S, src, s + 6 * ss), r7 = FloatVector.fromArray(S, src, s + 7 * ss);
        // Round 1: lanes 1 apart.
        FloatVector a0 = r0.blend(r1.rearrange(SWAP1), ODD1), a1 = r1.blend(r0.rearrange(SWAP1), ODD1.not());
        FloatVector a2 = r2.blend(r3.rearrange(SWAP1), ODD1), a3 = r3.blend(r2.rearrange(SWAP1), ODD1.not());
        FloatVector a4 = r4.blend(r5.rearrange(SWAP1), ODD1), a5 = r5.blend(r4.rearrange(SWAP1), ODD1.not());
        FloatVector a6 = r6.blend(r7.rearrange(SWAP1), ODD1), a7 = r7.blend(r6.rearrange(SWAP1), ODD1.not());
        // Round 2: lanes 2 apart.
        FloatVector b0 = a0.blend(a2.rearrange(SWAP2), ODD2), b2 = a2.blend(a0.rearrange(SWAP2), ODD2.not());
        FloatVector b1 = a1.blend(a3.rearrange(SWAP2), ODD2), b3 = a3.blend(a1.rearrange(SWAP2), ODD2.not());
        FloatVector b4 = a4.blend(a6.rearrange(SWAP2), ODD2), b6 = a6.blend(a4.rearrange(SWAP2), ODD2.not());
        FloatVector b5 = a5.blend(a7.rearrange(SWAP2), ODD2), b7 = a7.blend(a5.rearrange(SWAP2), ODD2.not());
        // Round 3: lanes 4 apart.
        b0.blend(b4.rearrange(SWAP4), ODD4).intoArray(dst, d);
        b4.blend(b0.rearrange(SWAP4), ODD4.not()).intoArray(dst, d + 4 * ds);
        b1.blend(b5.rearrange(SWAP4), ODD4).intoArray(dst, d + ds);
        b5.blend(b1.rearrange(SWAP4), ODD4.not()).intoArray(dst, d + 5 * ds);
        b2.blend(b6.rearrange(SWAP4), ODD4).intoArray(dst, d + 2 * ds);
        b6.blend(b2.rearrange(SWAP4), ODD4.not()).intoArray(dst, d + 6 * ds);
        b3.blend(b7.rearrange(SWAP4), ODD4).intoArray(dst, d + 3 * ds);
        b7.blend(b3.rearrange(SWAP4), ODD4.not()).intoArray(dst, d + 7 * ds);
    }

    private static void block16(float[] src, int s, int ss, float[] dst, int d, int ds) {
        FloatVector r0 = FloatVector.fromArray(S, src, s), r1 = FloatVector.fromArray(S, src, s + ss);
        FloatVector r2 = FloatVector.fromArray(S, src, s + 2 * ss), r3 = FloatVector.fromArray(S, src, s + 3 * ss);
        FloatVector r4 = FloatVector.fromArray(S, src, s + 4 * ss), r5 = FloatVector.fromArray(S, src, s + 5 * ss);
        FloatVector r6 = FloatVector.fromArray(S, src, s + 6 * ss), r7 = FloatVector.fromArray(S, src, s + 7 * ss);
        FloatVector r8 = FloatVector.fromArray(S, src, s + 8 * ss), r9 = FloatVector.fromArray(S, src, s + 9 * ss);
        FloatVector r10 = FloatVector.fromArray(S, src, s + 10 * ss), r11 = FloatVector.fromArray(S, src, s + 11 * ss);
        FloatVector r12 = FloatVector.fromArray(S, src, s + 12 * ss), r13 = FloatVector.fromArray(S, src, s + 13 * ss);
        FloatVector r14 = FloatVector.fromArray(S, src, s + 14 * ss), r15 = FloatVector.fromArray(S, src, s + 15 * ss);
        // Round 1: lanes 1 apart.
        FloatVector a0 = r0.blend(r1.rearrange(SWAP1), ODD1), a1 = r1.blend(r0.rearrange(SWAP1), ODD1.not());
        FloatVector a2 = r2.blend(r3.rearrange(SWAP1), ODD1), a3 = r3.blend(r2.rearrange(SWAP1), ODD1.not());
        FloatVector a4 = r4.blend(r5.rearrange(SWAP1), ODD1), a5 = r5.blend(r4.rearrange(SWAP1), ODD1.not());
        FloatVector a6 = r6.blend(r7.rearrange(SWAP1), ODD1), a7 = r7.blend(r6.rearrange(SWAP1), ODD1.not());
        FloatVector a8 = r8.blend(r9.rearrange(SWAP1), ODD1), a9 = r9.blend(r8.rearrange(SWAP1), ODD1.not());
        FloatVector a10 = r10.blend(r11.rearrange(SWAP1), ODD1), a11 = r11.blend(r10.rearrange(SWAP1), ODD1.not());
        FloatVector a12 = r12.blend(r13.rearrange(SWAP1), ODD1), a13 = r13.blend(r12.rearrange(SWAP1), ODD1.not());
        FloatVector a14 = r14.blend(r15.rearrange(SWAP1), ODD1), a15 = r15.blend(r14.rearrange(SWAP1), ODD1.not());
        // Round 2: lanes 2 apart.
        FloatVector b0 = a0.blend(a2.rearrange(SWAP2), ODD2), b2 = a2.blend(a0.rearrange(SWAP2), ODD2.not());
        FloatVector b1 = a1.blend(a3.rearrange(SWAP2), ODD2), b3 = a3.blend(a1.rearrange(SWAP2), ODD2.not());
        FloatVector b4 = a4.blend(a6.rearrange(SWAP2), ODD2), b6 = a6.blend(a4.rearrange(SWAP2), ODD2.not());
        FloatVector b5 = a5.blend(a7.rearrange(SWAP2), ODD2), b7 = a7.blend(a5.rearrange(SWAP2), ODD2.not());
        FloatVector b8 = a8.blend(a10.rearrange(SWAP2), ODD2), b10 = a10.blend(a8.rearrange(SWAP2), ODD2.not());
        FloatVector b9 = a9.blend(a11.rearrange(SWAP2), ODD2), b11 = a11.blend(a9.rearrange(SWAP2), ODD2.not());
        FloatVector b12 = a12.blend(a14.rearrange(SWAP2), ODD2), b14 = a14.blend(a12.rearrange(SWAP2), ODD2.not());
        FloatVector b13 = a13.blend(a15.rearrange(SWAP2), ODD2), b15 = a15.blend(a13.rearrange(SWAP2), ODD2.not());
        // Round 3: lanes 4 apart.
        FloatVector c0 = b0.blend(b4.rearrange(SWAP4), ODD4), c4 = b4.blend(b0.rearrange(SWAP4), ODD4.not());
        FloatVector c1 = b1.blend(b5.rearrange(SWAP4), ODD4), c5 = b5.blend(b1.rearrange(SWAP4), ODD4.not());
        FloatVector c2 = b2.blend(b6.rearrange(SWAP4), ODD4), c6 = b6.blend(b2.rearrange(SWAP4), ODD4.not());
        FloatVector c3 = b3.blend(b7.rearrange(SWAP4), ODD4), c7 = b7.blend(b3.rearrange(SWAP4), ODD4.not());
        FloatVector c8 = b8.blend(b12.rearrange(SWAP4), ODD4), c12 = b12.blend(b8.rearrange(SWAP4), ODD4.not());
        FloatVector c9 = b9.blend(b13.rearrange(SWAP4), ODD4), c13 = b13.blend(b9.rearrange(SWAP4), ODD4.not());
        FloatVector c10 = b10.blend(b14.rearrange(SWAP4), ODD4), c14 = b14.blend(b10.rearrange(SWAP4), ODD4.not());
        FloatVector c11 = b11.blend(b15.rearrange(SWAP4), ODD4), c15 = b15.blend(b11.rearrange(SWAP4), ODD4.not());
        // Round 4: lanes 8 apart.
        c0.blend(c8.rearrange(SWAP8), ODD8).intoArray(dst, d);
        c8.blend(c0.rearrange(SWAP8), ODD8.not()).intoArray(dst, d + 8 * ds);
        c1.blend(c9.rearrange(SWAP8), ODD8).intoArray(dst, d + ds);
        c9.blend(c1.rearrange(SWAP8), ODD8.not()).intoArray(dst, d + 9 * ds);
        c2.blend(c10.rearrange(SWAP8), ODD8).intoArray(dst, d + 2 * ds);
        c10.blend(c2.rearrange(SWAP8), ODD8.not()).intoArray(dst, d + 10 * ds);
        c3.blend(c11.rearrange(SWAP8), ODD8).intoArray(dst, d + 3 * ds);
        c11.blend(c3.rearrange(SWAP8), ODD8.not()).intoArray(dst, d + 11 * ds);
        c4.blend(c12.rearrange(SWAP8), ODD8).intoArray(dst, d + 4 * ds);
        c12.blend(c4.rearrange(SWAP8), ODD8.not()).intoArray(dst, d + 12 * ds);
        c5.blend(c13.rearrange(SWAP8), ODD8).intoArray(dst, d + 5 * ds);
        c13.blend(c5.rearrange(SWAP8), ODD8.not()).intoArray(dst, d + 13 * ds);
        c6.blend(c14.rearrange(SWAP8), ODD8).intoArray(dst, d + 6 * ds);
        c14.blend(c6.rearrange(SWAP8), ODD8.not()).intoArray(dst, d + 14 * ds);
        c7.blend(c15.rearrange(SWAP8), ODD8).intoArray(dst, d + 7 * ds);
        c15.blend(c7.rearrange(SWAP8), ODD8.not()).intoArray(dst, d + 15 * ds);
    }
}
