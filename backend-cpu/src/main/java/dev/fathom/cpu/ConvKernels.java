package dev.fathom.cpu;

import dev.fathom.spi.Conv2dGeometry;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;

import java.util.Arrays;

/**
 * Convolution kernels. F32 goes through GEMM per sample and channel group, with the {@link Im2col}
 * column matrix {@code cols (K, P)}, {@code K = C_in/groups·KH·KW}, {@code P = OH·OW}; a 1×1 kernel
 * with stride 1 and no padding uses x itself as cols. The weights are packed once per call and
 * serve every sample ({@link MatmulKernel#gemmPacked}); cols is gathered into GEMM panels straight
 * from the image ({@link Im2colPanels}) except where it is the A operand or a result:
 * <ul>
 *   <li>forward: {@code y_g (C_out/g, P) = w_g (C_out/g, K) · cols} (when K is narrower than
 *       C_out/g, row by row from cols formed by im2col: {@link ConvNarrowK})</li>
 *   <li>backward-data: {@code dcols (K, P) = w_gᵀ · dy_g}, then col2im into a padded dx
 *       ({@link PaddedCol2im})</li>
 *   <li>backward-weight: {@code dw_g (C_out/g, K) += dy_g · colsᵀ}, summed over the batch (when K
 *       is the narrower dim, as dot products of dy's rows with those of cols formed by im2col:
 *       {@link ConvNarrowK}); an ungrouped one with enough columns is split by input channels
 *       ({@link #backwardWeightByChannels}), the others by samples into per-chunk partials</li>
 * </ul>
 * Small output planes put several samples side by side in one GEMM ({@link #samplesPerBlock}), and
 * a stride-1 backward-data runs as the forward of the turned kernel. Blocks of samples run in
 * parallel. The weight gradient sums in a fixed order, so it is deterministic for a given thread
 * count (split by channels, for any). F64 uses {@link ConvDirect}.
 */
final class ConvKernels {
    /** Per-thread scratch for a column matrix or a sample's packed output gradient (grows, never shrinks). */
    private static final ThreadScratch COLUMNS = new ThreadScratch();
    /**
     * The calling thread's packed weights, shared read-only by the call's tasks: the call returns
     * only when they are done, so the next call on this thread cannot overwrite them early.
     */
    private static final ThreadScratch WEIGHTS = new ThreadScratch();
    /** Per-thread scratch for a block of samples' outputs or output gradients side by side. */
    private static final ThreadScratch BLOCK = new ThreadScratch();
    /** Per-thread scratch for a block of samples' padded input gradients ({@link PaddedCol2im}). */
    private static final ThreadScratch PADDED_GRADIENTS = new ThreadScratch();
    /** The calling thread's turned weights of {@link #backwardDataAsForward} (read before the call returns). */
    private static final ThreadScratch TURNED = new ThreadScratch();
    /** The weight gradient's per-chunk sums, in the calling thread's scratch. */
    private static final ThreadScratch PARTIALS = new ThreadScratch();
    /** The calling thread's packed output gradients of {@link #backwardWeightByChannels}, shared read-only by its parts. */
    private static final ThreadScratch OUTPUT_GRADIENTS = new ThreadScratch();

    private ConvKernels() {
    }

    static void forward(Conv2dGeometry g, Strided x, Strided w, Strided y) {
        if (dtype(x) == DType.F32) {
            forwardF32(g, f(x), off(x), f(w), off(w), f(y), off(y));
        } else {
            ConvDirect.forward(g, x, w, y);
        }
    }

    static void backwardData(Conv2dGeometry g, Strided gy, Strided w, Strided gx) {
        if (dtype(gy) == DType.F32) {
            backwardDataF32(g, f(gy), off(gy), f(w), off(w), f(gx), off(gx));
        } else {
            ConvDirect.backwardData(g, gy, w, gx);
        }
    }

    static void backwardWeight(Conv2dGeometry g, Strided x, Strided gy, Strided gw) {
        if (dtype(x) == DType.F32) {
            backwardWeightF32(g, f(x), off(x), f(gy), off(gy), f(gw), off(gw));
        } else {
            ConvDirect.backwardWeight(g, x, gy, gw);
        }
    }

    private static void forwardF32(Conv2dGeometry g, float[] x, int xo, float[] w, int wo, float[] y, int yo) {
        int groups = g.groups(), cinG = g.cInPerGroup(), coutG = g.cOutPerGroup();
        int k = cinG * g.kh() * g.kw(), p = g.outH() * g.outW(), plane = g.h() * g.w();
        boolean pointwise = pointwise(g);
        if (ConvNarrowK.applies(g)) {
            Parallel.forRange(g.n(), grain(g), (lo, hi) -> eachColumns(g, x, xo, (int) lo, (int) hi, (n, gi, cols, co) ->
                    ConvNarrowK.forward(g, w, wo + gi * coutG * k, cols, co, y, yo + (n * g.cOut() + gi * coutG) * p)));
            return;
        }
        Im2colPanels.Rows rows = pointwise ? null : new Im2colPanels.Rows(g, true);
        int packed = MatmulKernel.packedASize(coutG, k);
        float[] wp = WEIGHTS.of(groups * packed);
        for (int gi = 0; gi < groups; gi++) {
            MatmulKernel.packA(w, wo + gi * coutG * k, k, 1, coutG, k, wp, gi * packed);
        }
        int s = samplesPerBlock(g), blocks = (g.n() + s - 1) / s;
        Parallel.forRange(blocks, Math.max(1, grain(g) / s), (lo, hi) -> {
            for (int b = (int) lo; b < hi; b++) {
                int n0 = b * s, cnt = Math.min(s, g.n() - n0), wide = cnt * p;
                for (int gi = 0; gi < groups; gi++) {
                    int xb = xo + (n0 * g.cIn() + gi * cinG) * plane, yb = yo + (n0 * g.cOut() + gi * coutG) * p;
                    PanelSource cols = pointwise ? MatmulKernel.strided(x, xb, p, 1)
                            : Im2colPanels.columns(rows, x, xb, cnt, g.cIn() * plane);
                    if (cnt == 1) {
                        MatmulKernel.gemmPacked(wp, gi * packed, coutG, k, cols, p, y, yb, p, false);
                        continue;
                    }
                    // C (C_out/g, cnt·P), the samples side by side, then each sample's columns into y.
                    float[] c = BLOCK.of(coutG * wide);
                    MatmulKernel.gemmPacked(wp, gi * packed, coutG, k, cols, wide, c, 0, wide, false);
                    for (int si = 0; si < cnt; si++) {
                        for (int o = 0; o < coutG; o++) {
                            System.arraycopy(c, o * wide + si * p, y, yb + (si * g.cOut() + o) * p, p);
                        }
                    }
                }
            }
        });
    }

    private static void backwardDataF32(Conv2dGeometry g, float[] gy, int gyo, float[] w, int wo, float[] gx, int gxo) {
        int groups = g.groups(), cinG = g.cInPerGroup(), coutG = g.cOutPerGroup();
        int k = cinG * g.kh() * g.kw(), p = g.outH() * g.outW(), plane = g.h() * g.w();
        boolean pointwise = pointwise(g);
        if (!pointwise && coutG < cinG && g.strideH() == 1 && g.strideW() == 1
                && g.padH() <= g.dilH() * (g.kh() - 1) && g.padW() <= g.dilW() * (g.kw() - 1)) {
            backwardDataAsForward(g, gy, gyo, w, wo, gx, gxo);
            return;
        }
        // w_gᵀ: element (kk, o) of the (K, C_out/g) matrix is w_g[o, kk].
        int packed = MatmulKernel.packedASize(k, coutG);
        float[] wtp = WEIGHTS.of(groups * packed);
        for (int gi = 0; gi < groups; gi++) {
            MatmulKernel.packA(w, wo + gi * coutG * k, 1, k, k, coutG, wtp, gi * packed);
        }
        Im2colPanels.Rows rows = pointwise ? null : new Im2colPanels.Rows(g, true);
        int s = samplesPerBlock(g), blocks = (g.n() + s - 1) / s;
        Parallel.forRange(blocks, Math.max(1, grain(g) / s), (lo, hi) -> {
            for (int b = (int) lo; b < hi; b++) {
                int n0 = b * s, cnt = Math.min(s, g.n() - n0), wide = cnt * p;
                int xb = gxo + n0 * g.cIn() * plane;
                for (int gi = 0; gi < groups; gi++) {
                    int gyb = gyo + (n0 * g.cOut() + gi * coutG) * p;
                    if (pointwise) {
                        MatmulKernel.gemmPacked(wtp, gi * packed, k, coutG, MatmulKernel.strided(gy, gyb, p, 1), p, gx, xb + gi * cinG * plane,
                                p, false);
                        continue;
                    }
                    PanelSource dy;
                    if (cnt == 1) {
                        dy = MatmulKernel.strided(gy, gyb, p, 1);
                    } else {
                        dy = MatmulKernel.strided(sideBySide(gy, gyb, g, cnt), 0, wide, 1);
                    }
                    // cols (K, cnt·P) a block of rows at a time, each added into the padded images
                    // while it is in L2: the whole matrix (1024 × 392 floats for the DCGAN) was
                    // written out to L3 and read back, and col2im was a quarter of the backward pass.
                    float[] cols = COLUMNS.of(Math.min(MatmulKernel.rowBlock(k, coutG), k) * wide + VectorF32.L);
                    float[] images = PADDED_GRADIENTS.of(PaddedCol2im.size(rows, cnt));
                    Arrays.fill(images, 0, cnt * rows.sampleSize(), 0f);
                    MatmulKernel.gemmPackedByRows(wtp, gi * packed, k, coutG, dy, wide, cols, 0, wide, (r0, r1) -> {
                        for (int si = 0; si < cnt; si++) {
                            PaddedCol2im.add(cols, si * p, wide, r0, r1, rows, images, si * rows.sampleSize());
                        }
                    });
                    rows.transfer(gx, xb + gi * cinG * plane, g.cIn() * plane, images, cnt, true);
                }
            }
        });
    }

    /**
     * Backward-data of a stride-1 convolution is itself a stride-1 convolution (the "full"
     * correlation): {@code dx = conv(dy, w')} with the kernel turned by 180° and its in/out channels
     * swapped, {@code w'[c, o, p, q] = w[o, c, KH−1−p, KW−1−q]}, and padding {@code dil·(K−1) − pad}.
     * Run as the forward path it needs no column matrix, no col2im and no zeroing of dx, but it
     * gathers panels of dy's C_out/g channels for each block of C_in/g output rows, where the col2im
     * path multiplies dy as it lies and adds C_in/g channels of columns back. So it is taken only when
     * C_out/g &lt; C_in/g. Backward-data alone, batch 128, 3×3, pad 1, 2 threads (this path against
     * col2im): 32→64 channels at 14×14 (the reference CNN's second layer) 4.5 against 3.2 ms, 64→64
     * 6.7 against 5.8, 16→32 at 28×28 6.3 against 3.8–4.7; 64→32 3.5 against 3.7.
     */
    private static void backwardDataAsForward(Conv2dGeometry g, float[] gy, int gyo, float[] w, int wo, float[] gx, int gxo) {
        int kh = g.kh(), kw = g.kw(), cinG = g.cInPerGroup(), coutG = g.cOutPerGroup(), groups = g.groups();
        Conv2dGeometry flipped = Conv2dGeometry.of(g.n(), g.cOut(), g.outH(), g.outW(), g.cIn(), kh, kw, 1, 1,
                g.dilH() * (kh - 1) - g.padH(), g.dilW() * (kw - 1) - g.padW(), g.dilH(), g.dilW(), groups);
        int taps = kh * kw;
        float[] turned = TURNED.of(g.cOut() * cinG * taps);
        for (int gi = 0; gi < groups; gi++) {
            for (int o = 0; o < coutG; o++) {
                for (int c = 0; c < cinG; c++) {
                    int src = wo + ((gi * coutG + o) * cinG + c) * taps, dst = ((gi * cinG + c) * coutG + o) * taps;
                    for (int t = 0; t < taps; t++) {
                        turned[dst + t] = w[src + taps - 1 - t];
                    }
                }
            }
        }
        forwardF32(flipped, gy, gyo, turned, 0, gx, gxo);
    }

    private static void backwardWeightF32(Conv2dGeometry g, float[] x, int xo, float[] gy, int gyo, float[] gw, int gwo) {
        int groups = g.groups(), cinG = g.cInPerGroup(), coutG = g.cOutPerGroup();
        int k = cinG * g.kh() * g.kw(), p = g.outH() * g.outW(), plane = g.h() * g.w();
        int size = g.cOut() * k;
        boolean pointwise = pointwise(g);
        // GEMM vectorizes along its N dim, K here: when K is the narrow one (a first layer with one
        // input channel has K = 9), dot products serve better (ConvNarrowK).
        boolean direct = ConvNarrowK.applies(g);
        Im2colPanels.Rows rows = pointwise || direct ? null : new Im2colPanels.Rows(g, false);
        int s = samplesPerBlock(g);
        long perSample = (long) g.cOut() * k * p;
        int chunks = (int) Math.max(1, Math.min(Math.min(g.n(), Parallel.THREADS), (long) g.n() * perSample / (1L << 18)));
        int parts = channelParts(g);
        long packedGradients = (long) ((g.n() + s - 1) / s) * MatmulKernel.packedASize(g.cOut(), s * p);
        if (chunks > 1 && !direct && parts > 0 && packedGradients <= MAX_PACKED_GRADIENTS) {
            backwardWeightByChannels(g, parts, x, xo, gy, gyo, gw, gwo);
            return;
        }
        // One accumulator per chunk, side by side in the calling thread's scratch (a chunk may run
        // on any thread, two chunks on one): the workers only add into their own part.
        float[] acc = PARTIALS.zeroed(chunks * size);
        Parallel.forRange(chunks, 1, (lo, hi) -> {
            for (int ch = (int) lo; ch < hi; ch++) {
                int part = ch * size;
                int n0 = (int) ((long) g.n() * ch / chunks), n1 = (int) ((long) g.n() * (ch + 1) / chunks);
                if (direct) {
                    eachColumns(g, x, xo, n0, n1, (n, gi, cols, co) ->
                            ConvNarrowK.weightGrad(g, cols, co, gy, gyo + (n * g.cOut() + gi * coutG) * p, acc, part + gi * coutG * k));
                    continue;
                }
                float[] dyp = COLUMNS.of(MatmulKernel.packedASize(coutG, s * p));
                for (int n = n0; n < n1; n += s) {
                    int cnt = Math.min(s, n1 - n), wide = cnt * p;
                    for (int gi = 0; gi < groups; gi++) {
                        int xb = xo + (n * g.cIn() + gi * cinG) * plane;
                        int gyb = gyo + (n * g.cOut() + gi * coutG) * p;
                        // dy_g (C_out/g, cnt·P) · colsᵀ (cnt·P, K) for cnt samples side by side;
                        // colsᵀ element (pp, kk) is cols[kk, pp].
                        packOutputGradients(gy, gyb, g, cnt, dyp, 0);
                        PanelSource colsT = pointwise ? MatmulKernel.strided(x, xb, 1, p)
                                : Im2colPanels.rows(rows, x, xb, cnt, g.cIn() * plane);
                        MatmulKernel.gemmPacked(dyp, 0, coutG, wide, colsT, k, acc, part + gi * coutG * k, k, true);
                    }
                }
            }
        });
        for (int at = 0; at < size; at++) {
            float sum = 0;
            for (int part = at; part < chunks * size; part += size) {
                sum += acc[part];
            }
            gw[gwo + at] = sum;
        }
    }

    /**
     * Into how many parts {@link #backwardWeightByChannels} cuts the input channels: up to
     * {@link #PARTS_PER_THREAD} per thread, each at least {@link #PART_COLUMNS} columns of dw, a
     * multiple of the thread count; 0 where that leaves fewer than two per thread (or the
     * convolution is grouped), and the weight gradient is split by samples instead.
     */
    static int channelParts(Conv2dGeometry g) {
        if (g.groups() != 1 || Parallel.THREADS == 1) {
            return 0;
        }
        int taps = g.kh() * g.kw();
        int parts = Math.min(Math.min(g.cIn(), PARTS_PER_THREAD * Parallel.THREADS), g.cIn() * taps / PART_COLUMNS);
        parts -= parts % Parallel.THREADS;
        return parts >= 2 * Parallel.THREADS ? parts : 0;
    }

    /**
     * The most floats of packed output gradients {@link #backwardWeightByChannels} holds (16 MB): the
     * whole batch's, in a scratch that stays. Beyond, the weight gradient is split by samples.
     */
    private static final long MAX_PACKED_GRADIENTS = 1L << 22;
    /** Parts per thread of {@link #backwardWeightByChannels}: enough that a slow thread's last part is a small delay. */
    private static final int PARTS_PER_THREAD = 4;
    /** The fewest columns of dw a part gets: three of the GEMM's 32-wide AVX-512 panels. */
    private static final int PART_COLUMNS = 96;

    /**
     * The weight gradient of an ungrouped convolution, split by input channels rather than by
     * samples: part j computes the columns of dw that belong to its channels {@code [c0, c1)}, that
     * is columns {@code [c0·KH·KW, c1·KH·KW)} of {@code Σ_blocks dy_block · colsᵀ_block}, over the
     * whole batch. Each element of dw is then summed by one part in block order: no per-part
     * accumulators to add up afterwards, and the same result for any thread count. The output
     * gradients of all blocks are packed once, by a first parallel loop, and read by every part;
     * each part gathers only its own channels' colsᵀ.
     *
     * <p>Split by samples into one chunk per thread, two threads finished apart by up to a chunk's
     * worth of a neighbour's noise; with eight parts the wait is at most one small part. (The
     * DCGAN's 64 → 128 convolution on 14 × 14: 64 channels in 8 parts of 128 columns.)
     */
    private static void backwardWeightByChannels(Conv2dGeometry g, int parts, float[] x, int xo, float[] gy, int gyo, float[] gw,
            int gwo) {
        int cin = g.cIn(), cout = g.cOut(), taps = g.kh() * g.kw(), k = cin * taps, p = g.outH() * g.outW(), plane = g.h() * g.w();
        boolean pointwise = pointwise(g);
        int s = samplesPerBlock(g), blocks = (g.n() + s - 1) / s, packed = MatmulKernel.packedASize(cout, s * p);
        float[] dyp = OUTPUT_GRADIENTS.of(blocks * packed);
        Parallel.forRange(blocks, 1, (lo, hi) -> {
            for (int b = (int) lo; b < hi; b++) {
                int n0 = b * s;
                packOutputGradients(gy, gyo + n0 * cout * p, g, Math.min(s, g.n() - n0), dyp, b * packed);
            }
        });
        Parallel.forRange(parts, 1, (lo, hi) -> {
            for (int j = (int) lo; j < hi; j++) {
                int c0 = cin * j / parts, c1 = cin * (j + 1) / parts;
                Im2colPanels.Rows rows = pointwise ? null : new Im2colPanels.Rows(Conv2dGeometry.of(g.n(), c1 - c0, g.h(), g.w(), cout,
                        g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(), g.dilH(), g.dilW(), 1), false);
                for (int b = 0; b < blocks; b++) {
                    int n0 = b * s, cnt = Math.min(s, g.n() - n0), xb = xo + (n0 * cin + c0) * plane;
                    // colsᵀ element (pp, kk) is cols[kk, pp]; for a 1×1 kernel that is x[kk·P + pp] (one sample a block).
                    PanelSource colsT = pointwise ? MatmulKernel.strided(x, xb, 1, p) : Im2colPanels.rows(rows, x, xb, cnt, cin * plane);
                    MatmulKernel.gemmPacked(dyp, b * packed, cout, cnt * p, colsT, (c1 - c0) * taps, gw, gwo + c0 * taps, k, b > 0);
                }
            }
        });
    }

    /** A 1×1 kernel with stride 1 and no padding: x (C_in/g, H·W) is its own column matrix. */
    private static boolean pointwise(Conv2dGeometry g) {
        return g.kh() == 1 && g.kw() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 0 && g.padW() == 0;
    }

    /**
     * Samples whose column matrices go side by side into one GEMM: about enough for 256 columns.
     * A small output plane (7 × 7 = 49 columns) fills 4 panels of 16 columns to 77%; six samples
     * (294 columns) fill 19 panels to 97%. The 1×1 shortcut reads x in place: one sample.
     *
     * <p>Within half to twice that, the count whose blocks share out most evenly among the threads:
     * 64 samples in blocks of 6 make 11 blocks, and on two threads one did 6 while the other waited
     * after 5 (the DCGAN's convolutions; blocks of 8 make 4 each). Ties go to the count nearer the
     * wanted one, then to the larger.
     */
    private static int samplesPerBlock(Conv2dGeometry g) {
        int p = Math.max(1, g.outH() * g.outW());
        if (pointwise(g) || p >= 256) {
            return 1;
        }
        int wanted = (256 + p - 1) / p, most = Math.min(2 * wanted, g.n() / (2 * Parallel.THREADS));
        int best = Math.max(1, Math.min(wanted, most));
        long bestLoad = perThread(g.n(), best);
        for (int s = Math.max(1, wanted / 2); s <= most; s++) {
            long load = perThread(g.n(), s);
            int closer = Math.abs(s - wanted) - Math.abs(best - wanted);
            if (load < bestLoad || load == bestLoad && (closer < 0 || closer == 0 && s > best)) {
                best = s;
                bestLoad = load;
            }
        }
        return best;
    }

    /** Samples on the busiest thread when n samples go in blocks of s, a block at a time to each thread. */
    private static long perThread(int n, int s) {
        int blocks = (n + s - 1) / s;
        return (long) ((blocks + Parallel.THREADS - 1) / Parallel.THREADS) * s;
    }

    /**
     * One group's output gradients of {@code cnt} samples from {@code gyb}, side by side
     * ({@link #sideBySide}), packed as the A operand of the weight gradient's GEMM at {@code into[at]}.
     */
    private static void packOutputGradients(float[] gy, int gyb, Conv2dGeometry g, int cnt, float[] into, int at) {
        int p = g.outH() * g.outW(), coutG = g.cOutPerGroup(), wide = cnt * p;
        if (cnt == 1) {
            MatmulKernel.packA(gy, gyb, p, 1, coutG, p, into, at);
        } else {
            MatmulKernel.packA(sideBySide(gy, gyb, g, cnt), 0, wide, 1, coutG, wide, into, at);
        }
    }

    /**
     * One group's output gradients of {@code cnt} samples from {@code gyb} side by side, in this
     * thread's block scratch: {@code (C_out/g, cnt·P)}, sample si in columns {@code [si·P, (si+1)·P)}.
     */
    private static float[] sideBySide(float[] gy, int gyb, Conv2dGeometry g, int cnt) {
        int p = g.outH() * g.outW(), coutG = g.cOutPerGroup(), wide = cnt * p;
        float[] block = BLOCK.of(coutG * wide);
        for (int si = 0; si < cnt; si++) {
            for (int o = 0; o < coutG; o++) {
                System.arraycopy(gy, gyb + (si * g.cOut() + o) * p, block, o * wide + si * p, p);
            }
        }
        return block;
    }

    /** Samples per task: enough that a task holds about 2^18 multiply-adds. */
    private static long grain(Conv2dGeometry g) {
        long perSample = (long) g.cOut() * g.cInPerGroup() * g.kh() * g.kw() * g.outH() * g.outW();
        return Math.max(1, (1L << 18) / Math.max(1, perSample));
    }

    /** What {@link #eachColumns} does with one sample's columns: cols (K, P) at {@code co} in {@code cols}. */
    @FunctionalInterface
    private interface SampleColumns {
        void run(int n, int gi, float[] cols, int co);
    }

    /**
     * For each sample n in {@code [n0, n1)} and group gi, that sample's column matrix formed by
     * im2col in this thread's scratch, or x itself where it is its own (a 1×1 convolution): the
     * loop of the {@link ConvNarrowK} paths.
     */
    private static void eachColumns(Conv2dGeometry g, float[] x, int xo, int n0, int n1, SampleColumns body) {
        int cinG = g.cInPerGroup(), plane = g.h() * g.w();
        boolean pointwise = pointwise(g);
        float[] cols = pointwise ? null : COLUMNS.of(cinG * g.kh() * g.kw() * g.outH() * g.outW());
        for (int n = n0; n < n1; n++) {
            for (int gi = 0; gi < g.groups(); gi++) {
                int xb = xo + (n * g.cIn() + gi * cinG) * plane;
                if (pointwise) {
                    body.run(n, gi, x, xb);
                } else {
                    Im2col.im2col(x, xb, g, cols);
                    body.run(n, gi, cols, 0);
                }
            }
        }
    }

    private static DType dtype(Strided s) {
        return s.buffer().dtype();
    }

    private static float[] f(Strided s) {
        return CpuBuffer.of(s.buffer()).f;
    }

    private static int off(Strided s) {
        return (int) s.offset();
    }
}
