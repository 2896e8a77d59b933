package dev.fathom.cpu;

import dev.fathom.spi.Conv2dGeometry;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import java.util.Arrays;

/**
 * A convolution's column matrix ({@link Im2col}: {@code cols (K, P)}, row {@code (c, p, q)}, column
 * {@code (i, j)}) as B panels for {@link MatmulKernel#gemmPacked}, gathered straight from the image:
 * the matrix itself is never written, which saves a pass over K·P floats per sample (im2col and its
 * packing were a fifth of a CNN step). {@link #columns} serves {@code cols} (the forward product
 * {@code W·cols}), {@link #rows} serves {@code colsᵀ} (the weight gradient {@code dY·colsᵀ}).
 */
final class Im2colPanels implements PanelSource {
    /**
     * The image geometry the panels read: the input with its zero padding written out (so that
     * every window lies inside and a run of cols is a plain copy, with no bounds and no zero fills:
     * those short fills and tests were most of im2col's time), and per row (c, p, q) of cols the
     * offset of its first input element in that padded image.
     *
     * <p>Phased, with a column stride s > 1, each padded row is stored as s phases, the columns
     * x ≡ 0, 1, …, s−1 (mod s) one after another ({@link #column}): the inputs of consecutive
     * outputs are then adjacent, and a run of cols is a plain copy for every stride (gathered every
     * s-th float, the DCGAN's stride-2 runs were an eighth of its step). Unphased, rows are stored
     * as they are, and the taps of a kernel row at one output are adjacent instead: the layout of
     * colsᵀ's panels ({@link #packTransposed}).
     */
    static final class Rows {
        final Conv2dGeometry g;
        /** Padded height and width; equal to the input's without padding. */
        final int hp;
        final int wp;
        /** Phases of a stored row (the column stride), the width of each, and the stored row's length. */
        final int phases;
        final int phaseWidth;
        final int rowWidth;
        final int[] start;
        /**
         * Phased, where each input element of a channel plane lies in its padded copy, in the
         * plane's order: one flat loop per plane copies it ({@link #transfer}). Row by row and phase
         * by phase, the copies were loops of 7 for the DCGAN, and set-up cost as much as copying.
         */
        private final int[] stored;

        Rows(Conv2dGeometry g, boolean phased) {
            this.g = g;
            hp = g.h() + 2 * g.padH();
            wp = g.w() + 2 * g.padW();
            phases = phased ? g.strideW() : 1;
            phaseWidth = (wp + phases - 1) / phases;
            rowWidth = phases * phaseWidth;
            stored = new int[phases > 1 ? g.h() * g.w() : 0];
            for (int e = 0; e < stored.length; e++) {
                stored[e] = (e / g.w() + g.padH()) * rowWidth + column(e % g.w() + g.padW());
            }
            start = new int[g.cInPerGroup() * g.kh() * g.kw()];
            int row = 0;
            for (int c = 0; c < g.cInPerGroup(); c++) {
                for (int p = 0; p < g.kh(); p++) {
                    for (int q = 0; q < g.kw(); q++, row++) {
                        start[row] = (c * hp + p * g.dilH()) * rowWidth + column(q * g.dilW());
                    }
                }
            }
        }

        /** Where padded column x lies in a stored row (phased: output j's column j·s + x lies j further). */
        int column(int x) {
            return x % phases * phaseWidth + x / phases;
        }

        /** Floats of one sample's padded (phased) channels: cinG planes of hp stored rows. */
        int sampleSize() {
            return g.cInPerGroup() * hp * rowWidth;
        }

        /**
         * Copies between {@code samples} images (cinG channels each, the first at {@code xo} in
         * {@code image}, the next {@code sampleStride} further) and the interiors of their padded
         * (phased) copies in {@code padded}, one after another from 0: into the copies, or with
         * {@code toImage} out of them. The borders of the copies are neither read nor written.
         */
        void transfer(float[] image, int xo, int sampleStride, float[] padded, int samples, boolean toImage) {
            int plane = hp * rowWidth, size = sampleSize(), h = g.h(), w = g.w();
            for (int s = 0; s < samples; s++) {
                for (int c = 0; c < g.cInPerGroup(); c++) {
                    int at = xo + s * sampleStride + c * h * w, to = s * size + c * plane;
                    if (phases > 1) {
                        if (toImage) {
                            for (int e = 0; e < stored.length; e++) {
                                image[at + e] = padded[to + stored[e]];
                            }
                        } else {
                            for (int e = 0; e < stored.length; e++) {
                                padded[to + stored[e]] = image[at + e];
                            }
                        }
                        continue;
                    }
                    for (int i = 0; i < h; i++, at += w) {
                        int row = to + (i + g.padH()) * rowWidth + g.padW();
                        if (toImage) {
                            System.arraycopy(padded, row, image, at, w);
                        } else {
                            System.arraycopy(image, at, padded, row, w);
                        }
                    }
                }
            }
        }

        /** Whether the panels read a rearranged copy of the input, not the input itself. */
        boolean copied() {
            return g.padH() > 0 || g.padW() > 0 || phases > 1;
        }
    }

    /** Rows of cols that {@link #packColumns} gathers before dealing them out to the panels. */
    private static final int GATHERED = 8;
    /** Per-thread row buffer of {@link #pack} (grown on demand, kept). */
    private static final ThreadScratch ROW = new ThreadScratch();
    /**
     * Four floats: the copies of {@link #packTransposed}, whose runs are a kernel row's taps (3 to 5
     * for most kernels), as the first four lanes of a preferred vector. Not a 128-bit species: the
     * JDK's vector methods share one type profile across species, and quads of their own made C2
     * compile the convolution's other copies with a type switch that boxed every vector (a CNN
     * step allocated 120 MB in {@code VectorF32.copyRun}).
     */
    private static final int QUAD = 4;
    private static final VectorMask<Float> QUAD_LANES = VectorF32.firstLanes(QUAD);
    /** Per-thread offsets of {@link #positions}. */
    private static final ThreadLocal<int[]> POSITIONS = ThreadLocal.withInitial(() -> new int[0]);
    /** Per-thread padded copy of one sample's channels. */
    private static final ThreadLocal<Padded> PADDED = ThreadLocal.withInitial(Padded::new);

    /**
     * A per-thread buffer of zero-padded planes. Copies write only the interiors, so the borders of
     * planes once cleared stay zero while the plane layout stays the same: only planes never
     * cleared for this layout are (clearing the buffer for every block of samples was a fortieth
     * of a CNN step). The layout is the inner size, the padded size and the phases: the stored row
     * alone is not enough, as with 3 phases a 10-wide row padded by 0 or by 1 is stored 12 wide.
     */
    private static final class Padded {
        private float[] buf = new float[0];
        private int hp;
        private int wp;
        private int h;
        private int w;
        private int phases;
        private int clean;

        float[] planes(Rows rows, int count) {
            Conv2dGeometry g = rows.g;
            int plane = rows.hp * rows.rowWidth;
            if (rows.hp != hp || rows.wp != wp || g.h() != h || g.w() != w || rows.phases != phases) {
                hp = rows.hp;
                wp = rows.wp;
                h = g.h();
                w = g.w();
                phases = rows.phases;
                clean = 0;
            }
            // A vector's room after the planes, so that packTransposed's quads reach the last taps too.
            if (buf.length < count * plane + VectorF32.L) {
                buf = Arrays.copyOf(buf, count * plane + VectorF32.L);
            }
            if (count > clean) {
                Arrays.fill(buf, clean * plane, count * plane, 0f);
                clean = count;
            }
            return buf;
        }
    }

    private final Rows rows;
    private final float[] x;
    private final int xo;
    /** The distance between two samples' images in x (samples lie side by side along the columns). */
    private final int span;
    private final boolean transposed;

    private Im2colPanels(Rows rows, float[] x, int xo, int samples, int sampleStride, boolean transposed) {
        this.rows = rows;
        this.transposed = transposed;
        if (!rows.copied()) {
            this.x = x;
            this.xo = xo;
            this.span = sampleStride;
            return;
        }
        float[] padded = PADDED.get().planes(rows, samples * rows.g.cInPerGroup());
        rows.transfer(x, xo, sampleStride, padded, samples, false);
        this.x = padded;
        this.xo = 0;
        this.span = rows.sampleSize();
    }

    /**
     * {@code cols (K, samples·P)}: the column matrices of {@code samples} samples side by side, the
     * first one's cinG channels at {@code xo} in x, the next {@code sampleStride} further. With
     * padding, the panels read a padded copy in a per-thread buffer: one source per thread at a time.
     */
    static Im2colPanels columns(Rows rows, float[] x, int xo, int samples, int sampleStride) {
        if (rows.phases != rows.g.strideW()) {
            throw new IllegalStateException("im2col panels: cols are read from a phased image, got Rows(g, false)");
        }
        return new Im2colPanels(rows, x, xo, samples, sampleStride, false);
    }

    /** {@code colsᵀ (samples·P, K)}, the same matrices stacked, read from an unphased image; the same proviso. */
    static Im2colPanels rows(Rows rows, float[] x, int xo, int samples, int sampleStride) {
        if (rows.phases != 1) {
            throw new IllegalStateException("im2col panels: colsᵀ is read from an unphased image, got Rows(g, true)");
        }
        return new Im2colPanels(rows, x, xo, samples, sampleStride, true);
    }

    @Override
    public void pack(int pc, int kc, int jc, int nc, float[] bp) {
        if (transposed) {
            packTransposed(pc, kc, jc, nc, bp);
        } else {
            packColumns(pc, kc, jc, nc, bp);
        }
    }

    /**
     * Panels of cols: row p of every panel is one stretch of cols row pc + p, gathered once into a
     * row buffer (a few long runs), then dealt out NR at a time. Gathering straight into the panels
     * took a run per panel, and was slower than im2col and packing apart. Eight rows are gathered
     * and dealt out together, so that each panel gets 8·NR contiguous floats: row by row, the writes
     * went to panels kc·NR floats apart, a multiple of 4 KB, all in one L1 set (the CNN's second
     * convolution forward: 15.7 → 11.7 ms, medians of seven alternating JVMs on two threads).
     */
    private void packColumns(int pc, int kc, int jc, int nc, float[] bp) {
        int nr = MatmulKernel.NR;
        // L floats of room after each row: segment's runs may spill into it (VectorF32.copyRun).
        int stride = nc + VectorF32.L;
        float[] rows = ROW.of(GATHERED * stride);
        int last = (nc - 1) / nr, tail = nc - last * nr;
        for (int p0 = 0; p0 < kc; p0 += GATHERED) {
            int count = Math.min(GATHERED, kc - p0);
            for (int q = 0; q < count; q++) {
                segment(pc + p0 + q, jc, nc, rows, q * stride);
            }
            for (int jp = 0; jp < last; jp++) {
                for (int q = 0, dst = (jp * kc + p0) * nr; q < count; q++, dst += nr) {
                    VectorF32.copyShort(rows, q * stride + jp * nr, bp, dst, nr);
                }
            }
            for (int q = 0, dst = (last * kc + p0) * nr; q < count; q++, dst += nr) {
                System.arraycopy(rows, q * stride + last * nr, bp, dst, tail);
                Arrays.fill(bp, dst + tail, dst + nr, 0f);
            }
        }
    }

    /**
     * Panels of colsᵀ: row q of a panel is cols rows jc + j0 … j0 + NR − 1 at output position
     * pc + q, the taps of the kernel at that output. In the unphased image a kernel row's taps lie
     * side by side, so a panel's columns fall into runs of consecutive offsets (4 runs of 4 for a
     * 4 × 4 kernel, a channel per panel), and each run is copied down the panel a {@link #QUAD} at
     * a time, a position per row. A quad may cover panel columns past its run: the runs after it
     * write those later. Column by column, gathered over the positions and written down the panel
     * float by float, this was a fifth of the DCGAN's weight gradient; and a loop per run within a
     * row cost more than its one quad (C2 sets every loop up for range-check elimination).
     */
    private void packTransposed(int pc, int kc, int jc, int nc, float[] bp) {
        int nr = MatmulKernel.NR;
        int[] at = positions(pc, kc);
        int reach = x.length - QUAD - at[kc - 1];
        for (int jp = 0, j0 = 0; j0 < nc; jp++, j0 += nr) {
            int w = Math.min(nr, nc - j0), dst = jp * kc * nr, first = jc + j0;
            for (int j = 0, len; j < w; j += len) {
                int off = rows.start[first + j];
                len = 1;
                while (j + len < w && rows.start[first + j + len] == off + len) {
                    len++;
                }
                for (int t = 0; t < len; t += QUAD) {
                    int o = off + t, lane = j + t;
                    if (lane + QUAD <= nr && o <= reach) {
                        for (int q = 0, d = dst + lane; q < kc; q++, d += nr) {
                            FloatVector.fromArray(VectorF32.S, x, at[q] + o, QUAD_LANES).intoArray(bp, d, QUAD_LANES);
                        }
                    } else {
                        // The last floats of a panel row (a quad would run into the next row) or of the image.
                        for (int q = 0, d = dst + lane; q < kc; q++, d += nr) {
                            for (int i = 0, n = Math.min(QUAD, len - t); i < n; i++) {
                                bp[d + i] = x[at[q] + o + i];
                            }
                        }
                    }
                }
            }
            for (int q = 0, d = dst; w < nr && q < kc; q++, d += nr) {
                Arrays.fill(bp, d + w, d + nr, 0f);
            }
        }
    }

    /** The offsets in x of output positions {@code pc … pc + kc − 1}, where their windows start, in per-thread scratch. */
    private int[] positions(int pc, int kc) {
        Conv2dGeometry g = rows.g;
        int ow = g.outW(), p = g.outH() * ow, rowStep = g.strideH() * rows.rowWidth;
        int[] at = POSITIONS.get();
        if (at.length < kc) {
            at = new int[kc];
            POSITIONS.set(at);
        }
        int sample = pc / p, t = pc - sample * p, oi = t / ow, oj = t - oi * ow;
        for (int q = 0; q < kc; q++) {
            at[q] = xo + sample * span + oi * rowStep + oj * g.strideW();
            if (++oj == ow) {
                oj = 0;
                if (++oi == g.outH()) {
                    oi = 0;
                    sample++;
                }
            }
        }
        return at;
    }

    /**
     * {@code dst[off + i] = cols[row, t0 + i]} for i in [0, count), across samples; may write up to
     * L floats after them ({@link VectorF32#copyRun}), which callers' row buffers leave room for.
     */
    private void segment(int row, int t0, int count, float[] dst, int off) {
        int p = rows.g.outH() * rows.g.outW();
        int sample = t0 / p, t = t0 - sample * p;
        while (count > 0) {
            int run = Math.min(p - t, count);
            segment(xo + sample * span, row, t, run, dst, off);
            off += run;
            count -= run;
            sample++;
            t = 0;
        }
    }

    /** One sample's part: output positions walk row by row, each a copy from the padded (phased) image at {@code base}. */
    private void segment(int base, int row, int t0, int count, float[] dst, int off) {
        Conv2dGeometry g = rows.g;
        int ow = g.outW(), rowStep = g.strideH() * rows.rowWidth;
        int oi = t0 / ow, oj = t0 % ow;
        int src = base + rows.start[row] + oi * rowStep;
        for (int o = off, stop = off + count; o < stop; src += rowStep, oj = 0) {
            int run = Math.min(ow - oj, stop - o);
            VectorF32.copyRun(x, src + oj, dst, o, run);
            o += run;
        }
    }
}
