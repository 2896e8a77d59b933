package dev.fathom.cpu;

import dev.fathom.spi.Conv2dGeometry;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolutions with few weights per output channel: K = C_in/g·KH·KW narrower than C_out/g (a
 * first layer on a grayscale image: K = 9 against 32 output channels). With {@link Im2col}'s
 * column matrix {@code cols (K, P)} of a sample, P = OH·OW, both products are computed straight
 * from its rows, with no packing:
 * <ul>
 *   <li>forward, {@code y[o, :] = Σ_kk w[o, kk] · cols[kk, :]}: four output channels against two
 *       vectors of columns at a time (eight accumulators; per kk two loads of cols and four
 *       broadcasts of w), y written row by row;</li>
 *   <li>weight gradient, {@code dw[o, kk] += Σ_j dy[o, j] · cols[kk, j]}: dot products of length P,
 *       two rows of dy against three of cols at a time (six accumulators over five loads).</li>
 * </ul>
 *
 * <p>Through GEMM, K = 9 made each micro-kernel call nine steps long between the stores of its
 * 3 × 24 tile, scattered over three rows of y; and the weight gradient, {@code cols · dyᵀ}, packed
 * dyᵀ column by column into tiles that K filled to a third. On the reference CNN's first layer
 * ([128, 1, 28, 28] → 32, 3×3), on one thread, the forward went from 3.6–4.0 to 2.0–2.6 ms (it
 * now mostly waits on writing y) and the weight gradient from 7.9 to 3.7 ms. (Dots over the image
 * rows of dy against shifted rows of the padded input, with no im2col, were slower: each 28-wide
 * row paid C2's loop set-up for three vectors.)
 */
final class ConvNarrowK {
    private static final VectorSpecies<Float> S = VectorF32.S;
    private static final int L = VectorF32.L;

    private ConvNarrowK() {
    }

    /** Whether this class serves the geometry: K narrower than the output channels of a group. */
    static boolean applies(Conv2dGeometry g) {
        return g.cInPerGroup() * g.kh() * g.kw() < g.cOutPerGroup();
    }

    /**
     * One sample's and group's output {@code y (C_out/g, P)} at {@code yo} (rows P apart) from w's
     * group at {@code wo} ({@code (C_out/g, K)}) and its column matrix {@code cols (K, P)} at {@code co}.
     */
    static void forward(Conv2dGeometry g, float[] w, int wo, float[] cols, int co, float[] y, int yo) {
        int coutG = g.cOutPerGroup(), k = g.cInPerGroup() * g.kh() * g.kw(), p = g.outH() * g.outW();
        int o = 0;
        for (; o + 4 <= coutG; o += 4) {
            FourRowProduct.multiply(w, wo + o * k, k, k, cols, co, p, p, y, yo + o * p, p);
        }
        for (; o < coutG; o++) {
            for (int j = 0; j < p; j++) {
                float s = 0;
                for (int kk = 0, wi = wo + o * k, ci = co + j; kk < k; kk++, wi++, ci += p) {
                    s += w[wi] * cols[ci];
                }
                y[yo + o * p + j] = s;
            }
        }
    }

    /**
     * Adds one sample's and group's weight gradient into {@code acc} (w's group layout,
     * {@code (C_out/g, K)} from {@code accOff}): its column matrix {@code cols (K, P)} from
     * {@code co}, dy's group planes at {@code gyb}.
     */
    static void weightGrad(Conv2dGeometry g, float[] cols, int co, float[] gy, int gyb, float[] acc, int accOff) {
        int coutG = g.cOutPerGroup(), k = g.cInPerGroup() * g.kh() * g.kw(), p = g.outH() * g.outW();
        for (int o = 0; o < coutG; o += 2) {
            boolean pair = o + 1 < coutG;
            int y0 = gyb + o * p;
            for (int kk = 0; kk < k; kk += 3) {
                int rows = Math.min(3, k - kk), at = accOff + o * k + kk;
                // A missing second channel or column row repeats the first; its sums are dropped.
                dots(gy, y0, pair ? y0 + p : y0, cols, co + kk * p, co + (rows > 1 ? kk + 1 : kk) * p, co + (rows > 2 ? kk + 2 : kk) * p,
                        p, acc, at, pair ? at + k : -1, rows);
            }
        }
    }

    /**
     * Six dot products of length n: dy rows at y0 and y1 against cols rows at x0, x1 and x2;
     * adds them to {@code acc[a0 + t]} and, when a1 ≥ 0, {@code acc[a1 + t]}, for the first
     * {@code rows} t.
     */
    private static void dots(float[] gy, int y0, int y1, float[] cols, int x0, int x1, int x2, int n,
                             float[] acc, int a0, int a1, int rows) {
        FloatVector z = FloatVector.zero(S), c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z;
        int full = n - n % L;
        for (int j = 0; j < full; j += L) {
            FloatVector d0 = FloatVector.fromArray(S, gy, y0 + j), d1 = FloatVector.fromArray(S, gy, y1 + j);
            FloatVector v0 = FloatVector.fromArray(S, cols, x0 + j);
            FloatVector v1 = FloatVector.fromArray(S, cols, x1 + j);
            FloatVector v2 = FloatVector.fromArray(S, cols, x2 + j);
            c00 = d0.fma(v0, c00);
            c01 = d0.fma(v1, c01);
            c02 = d0.fma(v2, c02);
            c10 = d1.fma(v0, c10);
            c11 = d1.fma(v1, c11);
            c12 = d1.fma(v2, c12);
        }
        float s00 = Lanes.sum(c00), s01 = Lanes.sum(c01), s02 = Lanes.sum(c02);
        float s10 = Lanes.sum(c10), s11 = Lanes.sum(c11), s12 = Lanes.sum(c12);
        for (int j = full; j < n; j++) {
            float d0 = gy[y0 + j], d1 = gy[y1 + j], v0 = cols[x0 + j], v1 = cols[x1 + j], v2 = cols[x2 + j];
            s00 += d0 * v0;
            s01 += d0 * v1;
            s02 += d0 * v2;
            s10 += d1 * v0;
            s11 += d1 * v1;
            s12 += d1 * v2;
        }
        acc[a0] += s00;
        if (rows > 1) {
            acc[a0 + 1] += s01;
        }
        if (rows > 2) {
            acc[a0 + 2] += s02;
        }
        if (a1 >= 0) {
            acc[a1] += s10;
            if (rows > 1) {
                acc[a1 + 1] += s11;
            }
            if (rows > 2) {
                acc[a1 + 2] += s12;
            }
        }
    }
}
