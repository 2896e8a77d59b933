package dev.fathom.cpu;

import dev.fathom.spi.Strided;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batched matrix product {@code C[b] = A[b]·B[b]} on arrays, cache-blocked with the Vector API.
 *
 * <p>F32 follows BLIS: packed panels and a register-tiled micro-kernel (see {@link #gemmF32});
 * row blocks run in parallel and small batched products run one per task. F64 runs the same
 * scheme in {@link GemmF64}; I64 uses a plain loop. Shapes: a [.., M, K], b [.., K, N], c [.., M, N] contiguous.
 */
final class MatmulKernel {
    private static final VectorSpecies<Float> S = VectorF32.S;
    private static final int L = VectorF32.L;
    /** Rows of the register tile (see {@link #microKernel} for why 5). */
    private static final int MR = 5;
    /** Columns of the register tile: two vectors (the width of a packed B panel, see {@link PanelSource}). */
    static final int NR = 2 * L;
    private static final int KC = 256;
    /** K slice depth of products with a large C (see {@link #sliceDepth}). */
    private static final int KC_LARGE = 512;
    /** C elements from which {@link #sliceDepth} takes {@link #KC_LARGE}: 4 MB of C, well past L2. */
    private static final long LARGE_C = 1L << 20;
    /** Rows of a packed A block (a multiple of MR): 145 × 256 floats = 145 KB (290 KB in 512-deep slices) stays in L2. */
    private static final int MC = 145;
    /**
     * Smallest parallel part, in MR-row panels (30 rows) or NR-column panels (96 columns): every
     * part packs its slice of one operand and reads all of the other, so parts must not get too
     * thin. Chosen by measurement on a 2-vCPU Zen 3; one part per thread was worse for square
     * products. 30 rows give 256 rows eight parts, not five that two threads share 3 : 2 (384³
     * 1.07× faster than with 50-row parts). The column grain is counted in columns because a
     * panel's width follows the vector: fixed at 6 panels, AVX-512's 32-column panels left the
     * MLP's 128 × 784 · 784 × 256 (8 panels) on one thread, at 83 instead of 150 GFLOP/s.
     */
    private static final int ROW_GRAIN = 6;
    private static final int COLUMN_GRAIN = Math.max(1, 96 / NR);
    private static final int NC = 2048;
    /** Smallest parallel part of packing a whole shared operand, in panels (of A: 40 rows). */
    private static final int PACK_GRAIN = 8;
    /**
     * {@link #PACK_GRAIN} for B's panels, counted as 128 columns: fixed at 8 panels, AVX-512's
     * 32-column panels left a 256-column B (8 panels) packed by the calling thread alone.
     */
    private static final int B_PACK_GRAIN = Math.max(1, 128 / NR);

    private MatmulKernel() {
    }

    static void matmul(Strided as, Strided bs, Strided cs) {
        int r = cs.rank();
        int m = cs.shape()[r - 2], n = cs.shape()[r - 1], k = as.shape()[r - 1];
        int batches = 1;
        for (int d = 0; d < r - 2; d++) {
            batches *= cs.shape()[d];
        }
        int[] batchShape = java.util.Arrays.copyOf(cs.shape(), r - 2);
        long[] aOff = batchOffsets(as, batchShape), bOff = batchOffsets(bs, batchShape);
        CpuBuffer a = CpuBuffer.of(as.buffer()), b = CpuBuffer.of(bs.buffer()), c = CpuBuffer.of(cs.buffer());
        Layout la = new Layout(as.strides()[r - 2], as.strides()[r - 1]);
        Layout lb = new Layout(bs.strides()[r - 2], bs.strides()[r - 1]);
        long flops = (long) m * n * k;
        int nb = batches;
        if (nb > 1 && flops < (1L << 22)) {
            // Many small products: one per task.
            Parallel.forRange(nb, Math.max(1, (1L << 20) / Math.max(1, flops)), (lo, hi) -> {
                for (int i = (int) lo; i < hi; i++) {
                    one(a, (int) aOff[i], la, b, (int) bOff[i], lb, c, (int) (cs.offset() + (long) i * m * n), m, n, k, false);
                }
            });
            return;
        }
        for (int i = 0; i < nb; i++) {
            one(a, (int) aOff[i], la, b, (int) bOff[i], lb, c, (int) (cs.offset() + (long) i * m * n), m, n, k, true);
        }
    }

    /** Row and column strides of one matrix operand. */
    private record Layout(long rs, long cs) {
    }

    private static long[] batchOffsets(Strided s, int[] batchShape) {
        int nb = 1;
        for (int d : batchShape) {
            nb *= d;
        }
        long[] out = new long[nb];
        int[] idx = new int[batchShape.length];
        for (int i = 0; i < nb; i++) {
            long o = s.offset();
            for (int d = 0; d < batchShape.length; d++) {
                o += idx[d] * s.strides()[d];
            }
            out[i] = o;
            for (int d = batchShape.length - 1; d >= 0; d--) {
                if (++idx[d] < batchShape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return out;
    }

    private static void one(CpuBuffer a, int ao, Layout la, CpuBuffer b, int bo, Layout lb, CpuBuffer c, int co,
                            int m, int n, int k, boolean parallel) {
        switch (c.dtype) {
            case F32 -> gemmF32(a.f, ao, la.rs, la.cs, b.f, bo, lb.rs, lb.cs, c.f, co, m, n, k, false, parallel);
            case F64 -> GemmF64.gemm(a.d, ao, la.rs, la.cs, b.d, bo, lb.rs, lb.cs, c.d, co, m, n, k, false, parallel);
            case I64 -> i64(a.l, ao, la, b.l, bo, lb, c.l, co, m, n, k);
            case BOOL -> throw new IllegalArgumentException("cpu: matmul is not defined for BOOL");
        }
    }

    /**
     * {@code C (+)= A·B} on plain arrays, for kernels built on GEMM (convolution): A is
     * {@code m × k} with element (i, p) at {@code ao + i·aRs + p·aCs}, B is {@code k × n} likewise,
     * C is {@code m × n} row-major at {@code co}. {@code accumulate} adds to C instead of
     * overwriting it; {@code parallel} lets parts of C run on the pool (callers already running
     * one task per thread pass false). Needs {@code k ≥ 1}.
     *
     * <p>The loop nest of BLIS (Van Zee and van de Geijn, 2015): for each NC-wide slice of columns
     * and KC-deep slice of K, B is packed into NR-column panels stored k-major (so the micro-kernel
     * streams it contiguously); each MC-row block of A is read in place when its rows are
     * contiguous, and otherwise copied into contiguous rows first (folding a transpose or strides
     * away); the micro-kernel keeps an MR × NR tile of C in registers (5 × 2 vectors: 10
     * accumulators) and reads its MR rows of A as five streams. B's packing pads edges with zeros;
     * edge tiles store only their valid rows and columns.
     */
    static void gemmF32(float[] a, int ao, long aRs, long aCs, float[] b, int bo, long bRs, long bCs, float[] c, int co,
                        int m, int n, int k, boolean accumulateInto, boolean parallel) {
        if ((m == 1 || n == 1 || k == 1) && ThinGemm.run(a, ao, aRs, aCs, b, bo, bRs, bCs, c, co, m, n, k, accumulateInto)) {
            return;
        }
        if (parallel && Parallel.THREADS > 1 && (long) m * n * k >= (1L << 20)) {
            // Independent parts of the longer side, one blocked product each: the other operand is
            // packed whole once and shared; each part packs its own slice, so threads never wait on
            // each other between K slices. (One packed B block shared by row blocks with a fork-join
            // per K slice scaled 1.1-1.3× on two cores; independent parts ~1.9×.)
            if (m >= n) {
                // Every row part needs all of B: packed once here and shared read-only, as A below.
                int depth = sliceDepth(m, n);
                float[] bp = SHARED_B.of(packedBSize(k, n));
                packBInParts(b, bo, bRs, bCs, k, n, depth, bp);
                int panels = (m + MR - 1) / MR;
                Parallel.forRange(panels, ROW_GRAIN, (lo, hi) -> {
                    int i0 = (int) lo * MR, i1 = (int) Math.min(m, hi * MR);
                    blocked(a, ao + i0 * aRs, aRs, aCs, b, bo, bRs, bCs, bp, c, co + i0 * n, n, i1 - i0, n, k, depth, accumulateInto);
                });
            } else {
                // Every column part needs all of A: packed once here and shared read-only (the call
                // returns only when the parts are done). Packed per part, it was a tenth of an LSTM
                // step, whose recurrent products are 32 × 256 · 256 × 1024.
                float[] ap = SHARED_A.of(packedASize(m, k));
                packAInParts(a, ao, aRs, aCs, m, k, ap);
                int panels = (n + NR - 1) / NR;
                Parallel.forRange(panels, COLUMN_GRAIN, (lo, hi) -> {
                    int j0 = (int) lo * NR, j1 = (int) Math.min(n, hi * NR);
                    gemmPacked(ap, 0, m, k, strided(b, bo + (int) (j0 * bCs), bRs, bCs), j1 - j0, c, co + j0, n, accumulateInto);
                });
            }
            return;
        }
        blocked(a, ao, aRs, aCs, b, bo, bRs, bCs, null, c, co, n, m, n, k, sliceDepth(m, n), accumulateInto);
    }

    /**
     * The depth of {@link #blocked}'s K slices for an m × n product. Every slice after the first
     * loads and stores all of C again, and once C is past L2 its tiles come from L3 or memory at
     * the end of each micro-kernel call, with no prefetch instruction in Java to hide the wait (BLIS
     * and OpenBLAS prefetch C). Half as many slices are then worth a B micro-panel (512 × NR
     * floats, 48 KB) that no longer fits L1 and is read from L2: 1024³ ran 5% and 2048³ 10% faster
     * on two threads (interleaved runs), while products with a smaller C were within ±5% either
     * way and keep {@link #KC}. The column-split path ({@link #gemmPacked}) keeps {@link #KC}: its
     * A is packed in that layout, as a convolution's weights are.
     */
    private static int sliceDepth(int m, int n) {
        return (long) m * n >= LARGE_C ? KC_LARGE : KC;
    }

    /**
     * {@code C[0:m, 0:w] (+)= A · B[:, 0:w]} on the calling thread, BLIS's loop nest; C rows are
     * {@code ldc} apart. B's panels are taken from {@code packedB} (all of B, packed by
     * {@link #packBInParts}) or, when it is null, packed here block by block from {@code b}.
     */
    private static void blocked(float[] a, long ao, long aRs, long aCs, float[] b, long bo, long bRs, long bCs, float[] packedB,
                                float[] c, int co, int ldc, int m, int w, int k, int depth, boolean accumulateInto) {
        int at = 0;
        for (int jc = 0; jc < w; jc += NC) {
            int nc = Math.min(NC, w - jc);
            for (int pc = 0; pc < k; pc += depth) {
                int kc = Math.min(depth, k - pc);
                float[] bp = packedB;
                int b0 = at;
                if (packedB == null) {
                    bp = PACKED_B.of(((nc + NR - 1) / NR) * kc * NR);
                    packB(b, (int) bo, bRs, bCs, pc, kc, jc, nc, bp, 0);
                    b0 = 0;
                }
                at += (nc + NR - 1) / NR * kc * NR;
                boolean accumulate = accumulateInto || pc > 0;
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    if (aCs == 1) {
                        // Rows already contiguous (a row-major A): read where they are. Copied into
                        // MR-row panels first, as BLIS does, the copy was a twentieth of a GPT step
                        // (see microKernel for what reading in place gained).
                        macroKernel(a, (int) (ao + ic * aRs + pc), (int) aRs, mc, kc, bp, b0, nc, c, co + ic * ldc + jc, ldc, accumulate);
                    } else {
                        float[] ap = PACKED_A.of(mc * kc);
                        packA(a, (int) ao, aRs, aCs, ic, mc, pc, kc, ap, 0);
                        macroKernel(ap, 0, kc, mc, kc, bp, b0, nc, c, co + ic * ldc + jc, ldc, accumulate);
                    }
                }
            }
        }
    }

    /**
     * Length of {@link #packA(float[], int, long, long, int, int, float[], int)}'s result for an m × k
     * operand: m·k, no padding (the micro-kernel repeats an edge tile's last row rather than read
     * rows past m).
     */
    static int packedASize(int m, int k) {
        return m * k;
    }

    /**
     * Packs all of A (m × k, element (i, p) at {@code ao + i·rs + p·cs}) once, for products that
     * share it ({@link #gemmPacked}): per KC slice of K, the m rows one after the other, each the
     * slice's kc elements, the layout that {@link #blocked} packs one
     * (K slice, MC block) at a time. A convolution's weights serve every
     * sample of the batch; packed per sample, they were a sixth of a DCGAN step.
     */
    static void packA(float[] a, int ao, long rs, long cs, int m, int k, float[] into, int at) {
        for (int pc = 0; pc < k; pc += KC) {
            packA(a, ao, rs, cs, 0, m, pc, Math.min(KC, k - pc), into, at + pc * m);
        }
    }

    /**
     * The rows of C that {@link #gemmPackedByRows} holds at a time for an m × k A: an MC-row block
     * when A is one K slice (k ≤ KC), all of them otherwise (the slices of a deeper A interleave
     * the rows, and a row is final only after the last one).
     */
    static int rowBlock(int m, int k) {
        return k <= KC ? MC : m;
    }

    /** What {@link #gemmPackedByRows} hands each block of C's rows to, once they are final. */
    @FunctionalInterface
    interface RowBlockSink {
        /** Rows {@code [i0, i1)} of C are ready, row i0 where C starts. */
        void rows(int i0, int i1);
    }

    /**
     * {@code C = A·B} as {@link #gemmPacked} computes it, a block of {@link #rowBlock} rows at a
     * time, each written over the last at {@code co} in c (rows {@code ldc} apart) and handed to
     * {@code sink}: the caller consumes C while it is in L2 (a convolution's col2im). B is packed
     * once for all the blocks when its columns fit one NC slice: packed per block, it was a
     * thirtieth of the DCGAN's step.
     */
    static void gemmPackedByRows(float[] ap, int at, int m, int k, PanelSource b, int n, float[] c, int co, int ldc, RowBlockSink sink) {
        if (k > KC) {
            gemmPacked(ap, at, m, k, b, n, c, co, ldc, false);
            sink.rows(0, m);
            return;
        }
        float[] bp = null;
        if (n <= NC) {
            bp = PACKED_B.of(((n + NR - 1) / NR) * k * NR);
            b.pack(0, k, 0, n, bp);
        }
        for (int ic = 0; ic < m; ic += MC) {
            int mc = Math.min(MC, m - ic);
            // One K slice: the block's packed rows start ic·k into A.
            if (bp != null) {
                macroKernel(ap, at + ic * k, k, mc, k, bp, 0, n, c, co, ldc, false);
            } else {
                gemmPacked(ap, at + ic * k, mc, k, b, n, c, co, ldc, false);
            }
            sink.rows(ic, ic + mc);
        }
    }

    /**
     * {@code C (+)= A·B} on the calling thread with A packed at {@code ap[at]} by
     * {@link #packA(float[], int, long, long, int, int, float[], int)} and B's panels from {@code b} (which may compute them, as {@link Im2colPanels} does from an
     * image): C is {@code m × n}, rows {@code ldc} apart, at {@code co}. Needs {@code k ≥ 1}.
     */
    static void gemmPacked(float[] ap, int at, int m, int k, PanelSource b, int n, float[] c, int co, int ldc, boolean accumulateInto) {
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                float[] bp = PACKED_B.of(((nc + NR - 1) / NR) * kc * NR);
                b.pack(pc, kc, jc, nc, bp);
                for (int ic = 0; ic < m; ic += MC) {
                    macroKernel(ap, at + pc * m + ic * kc, kc, Math.min(MC, m - ic), kc, bp, 0, nc, c, co + ic * ldc + jc, ldc,
                            accumulateInto || pc > 0);
                }
            }
        }
    }

    /**
     * {@link #packA(float[], int, long, long, int, int, float[], int)} at 0, its row panels split
     * over the pool: packed by the calling thread alone, the shared operand of a 1024³ product was
     * a twelfth of the time, with the other thread idle.
     */
    private static void packAInParts(float[] a, int ao, long rs, long cs, int m, int k, float[] into) {
        Parallel.forRange((m + MR - 1) / MR, PACK_GRAIN, (lo, hi) -> {
            int i0 = (int) lo * MR, h = (int) Math.min(m, hi * MR) - i0;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                packA(a, ao, rs, cs, i0, h, pc, kc, into, pc * m + i0 * kc);
            }
        });
    }

    /**
     * Packs all of B (k × n) once, for the row parts that share it: per NC block of columns, per K
     * slice of {@code depth}, its panels as {@link #blocked} packs them. The column panels are split
     * over the pool (see {@link #packAInParts}); a B with too few panels for that (a weight
     * gradient's 4096 × 128 has eight) is split by K slices instead, which packed it on one thread
     * while the other waited. Panel {@code g} is panel {@code g mod P} of NC block {@code g / P},
     * where P = ⌈NC / NR⌉ is the panel count of a whole block.
     */
    private static void packBInParts(float[] b, int bo, long rs, long cs, int k, int n, int depth, float[] into) {
        int blockPanels = (NC + NR - 1) / NR, blocks = (n + NC - 1) / NC;
        int total = (blocks - 1) * blockPanels + (n - (blocks - 1) * NC + NR - 1) / NR;
        int slices = (k + depth - 1) / depth;
        if (total < 2 * B_PACK_GRAIN && slices > 1) {
            Parallel.forRange(slices, 1, (lo, hi) -> {
                for (int block = 0; block < blocks; block++) {
                    int jc = block * NC, nc = Math.min(NC, n - jc), panels = (nc + NR - 1) / NR;
                    int blockStart = block * blockPanels * NR * k;
                    for (long s = lo; s < hi; s++) {
                        int pc = (int) s * depth, kc = Math.min(depth, k - pc);
                        packB(b, bo, rs, cs, pc, kc, jc, nc, into, blockStart + panels * NR * pc);
                    }
                }
            });
            return;
        }
        Parallel.forRange(total, B_PACK_GRAIN, (lo, hi) -> {
            for (long g = lo; g < hi; ) {
                int block = (int) (g / blockPanels), first = (int) (g % blockPanels);
                int jc = block * NC, nc = Math.min(NC, n - jc), panels = (nc + NR - 1) / NR;
                int end = (int) Math.min(panels, first + (hi - g));
                int j0 = first * NR, width = Math.min(nc, end * NR) - j0;
                // A whole block holds blockPanels·NR·k floats; within a block, each K slice holds panels·NR·kc.
                int blockStart = block * blockPanels * NR * k;
                for (int pc = 0; pc < k; pc += depth) {
                    int kc = Math.min(depth, k - pc);
                    packB(b, bo, rs, cs, pc, kc, jc + j0, width, into, blockStart + panels * NR * pc + first * kc * NR);
                }
                g += end - first;
            }
        });
    }

    /** Length of {@link #packBInParts}'s result for a k × n operand. */
    private static int packedBSize(int k, int n) {
        int size = 0;
        for (int jc = 0; jc < n; jc += NC) {
            size += (Math.min(NC, n - jc) + NR - 1) / NR * NR * k;
        }
        return size;
    }

    /** B as a strided matrix (element (p, j) at {@code bo + p·rs + j·cs}), packed as {@link #blocked} packs it. */
    static PanelSource strided(float[] b, int bo, long rs, long cs) {
        return (pc, kc, jc, nc, bp) -> packB(b, bo, rs, cs, pc, kc, jc, nc, bp, 0);
    }

    /** Per-thread packing buffers, grown on demand and kept: packing allocates nothing after warm-up. */
    private static final ThreadScratch PACKED_A = new ThreadScratch(), PACKED_B = new ThreadScratch(), TILE = new ThreadScratch();
    /** The calling thread's A (B), packed for all of a column-split (row-split) product's parts. */
    private static final ThreadScratch SHARED_A = new ThreadScratch(), SHARED_B = new ThreadScratch();

    /**
     * {@link #packB} of whole panels from a row-major B (rows {@code rs} apart, the first element at
     * {@code src}), eight k rows at a time. Panel by panel, each panel read its NR floats from kc
     * rows rs apart: with rs a multiple of 1024 floats those rows share one L1 set, so every panel
     * fetched them all again from L2, and packing took 4% of a 1024³ product. Eight rows read
     * across all panels stay in L1, and each panel gets 8·NR contiguous floats; whole vectors
     * replace arraycopy, whose call cost as much as the copy.
     */
    private static void packRowMajorB(float[] b, int src, int rs, int kc, int panels, float[] bp, int bpo) {
        for (int p0 = 0; p0 < kc; p0 += 8) {
            int rows = Math.min(8, kc - p0);
            for (int jp = 0; jp < panels; jp++) {
                int from = src + p0 * rs + jp * NR, to = bpo + (jp * kc + p0) * NR;
                for (int p = 0; p < rows; p++, from += rs, to += NR) {
                    FloatVector.fromArray(S, b, from).intoArray(bp, to);
                    FloatVector.fromArray(S, b, from + L).intoArray(bp, to + L);
                }
            }
        }
    }

    /** Packs B[pc:pc+kc, jc:jc+nc] into NR-column panels, each k-major: bp[(panel·kc + p)·NR + j]. */
    private static void packB(float[] b, int bo, long rs, long cs, int pc, int kc, int jc, int nc, float[] bp, int bpo) {
        int panels = (nc + NR - 1) / NR, first = 0;
        if (cs == 1 && rs > 1) {
            first = nc / NR;
            packRowMajorB(b, (int) (bo + pc * rs + jc), (int) rs, kc, first, bp, bpo);
        }
        for (int jp = first; jp < panels; jp++) {
            int j0 = jp * NR, w = Math.min(NR, nc - j0);
            int dst = bpo + jp * kc * NR;
            if (rs == 1 && cs != 1) {
                // Columns contiguous (a transposed operand, W.t()): the panel's w columns, each a
                // run along k, transposed in L × L register blocks where whole; an edge panel's
                // columns past w are zeros.
                RegisterTranspose.matrix(b, (int) (bo + pc + (jc + j0) * cs), (int) cs, w, kc, bp, dst, NR);
                for (int j = w; j < NR; j++) {
                    for (int p = 0, o = dst + j; p < kc; p++, o += NR) {
                        bp[o] = 0f;
                    }
                }
                continue;
            }
            if (cs == 1) {
                packEdgePanel(b, (int) (bo + pc * rs + jc + j0), (int) rs, kc, w, bp, dst);
                continue;
            }
            for (int p = 0; p < kc; p++, dst += NR) {
                long src = bo + (pc + p) * rs + (jc + j0) * cs;
                for (int j = 0; j < w; j++) {
                    bp[dst + j] = b[(int) (src + j * cs)];
                }
                for (int j = w; j < NR; j++) {
                    bp[dst + j] = 0f;
                }
            }
        }
    }

    /**
     * The last, partial panel of a B with contiguous rows ({@code w < NR} columns from {@code src},
     * rows {@code rs} apart), zero-padded: a vector per lane group, the partial one blended with
     * zeros. Per row, an arraycopy call and a scalar fill cost a tenth of a weight-gradient product
     * whose B is 4096 × 128 (with the 24-wide panels of a 3 × 3 tile: five whole panels and eight columns).
     */
    private static void packEdgePanel(float[] b, int src, int rs, int kc, int w, float[] bp, int dst) {
        FloatVector zero = FloatVector.zero(S);
        int whole = w / L, part = w - whole * L;
        VectorMask<Float> valid = VectorF32.firstLanes(part);
        for (int p = 0; p < kc; p++, src += rs, dst += NR) {
            int v = 0;
            for (; v < whole; v++) {
                FloatVector.fromArray(S, b, src + v * L).intoArray(bp, dst + v * L);
            }
            if (part > 0) {
                int at = src + v * L;
                FloatVector x = at + L <= b.length ? zero.blend(FloatVector.fromArray(S, b, at), valid)
                        : FloatVector.fromArray(S, b, at, valid);
                x.intoArray(bp, dst + v * L);
                v++;
            }
            for (; v < NR / L; v++) {
                zero.intoArray(bp, dst + v * L);
            }
        }
    }

    /**
     * Copies A[ic:ic+mc, pc:pc+kc] into mc contiguous rows of kc: {@code ap[apo + i·kc + p]}, what
     * the micro-kernel reads with rows kc apart. A transposed A (a weight gradient's activations,
     * element (i, p) at {@code i + p·cs}) goes through {@link RegisterTranspose} in L × L blocks:
     * float by float, the reads of one row of the copy were cs apart, and with cs a multiple of
     * 128 floats (a GPT's 128, 384 or 512 features) they fell into a few L1 sets.
     */
    private static void packA(float[] a, int ao, long rs, long cs, int ic, int mc, int pc, int kc, float[] ap, int apo) {
        if (cs == 1) {
            for (int i = 0; i < mc; i++) {
                System.arraycopy(a, (int) (ao + (ic + i) * rs + pc), ap, apo + i * kc, kc);
            }
            return;
        }
        if (rs == 1) {
            // The kc × mc block of rows cs apart, transposed.
            RegisterTranspose.matrix(a, (int) (ao + ic + pc * cs), (int) cs, kc, mc, ap, apo, kc);
            return;
        }
        for (int i = 0; i < mc; i++) {
            long src = ao + (ic + i) * rs + pc * cs;
            for (int p = 0, o = apo + i * kc; p < kc; p++) {
                ap[o + p] = a[(int) (src + p * cs)];
            }
        }
    }

    /**
     * C[0:mc, 0:nc] (+)= A (mc × kc: row i at {@code a[a0 + i·lda]}) · packed B (kc × nc), tile by
     * tile; C rows are ldc apart.
     */
    private static void macroKernel(float[] a, int a0, int lda, int mc, int kc, float[] bp, int b0, int nc, float[] c, int co, int ldc,
                                    boolean accumulate) {
        float[] edge = TILE.of(MR * NR);
        for (int jp = 0, j0 = 0; j0 < nc; jp++, j0 += NR) {
            int w = Math.min(NR, nc - j0);
            for (int i0 = 0; i0 < mc; i0 += MR) {
                microKernel(a, a0 + i0 * lda, lda, bp, b0 + jp * kc * NR, kc, c, co + i0 * ldc + j0, ldc, Math.min(MR, mc - i0), w, accumulate,
                        edge);
            }
        }
    }

    /**
     * One MR × NR tile: 10 accumulators over kc, then (+)= into the valid h × w part of C at {@code ct}
     * (rows {@code ldc} apart); edge tiles go through {@code edge}, an MR × NR buffer of the caller.
     *
     * <p>5 rows × 2 vectors, not the 6 × 2 of BLIS's Haswell kernel: C2 schedules the broadcasts of A
     * early, so 12 accumulators + 2 B vectors + the broadcasts exceed AVX2's 16 registers and it
     * spills an accumulator to the stack inside the loop (a store-load chain per k step: about 40
     * GFLOP/s on Zen 3). With 10 accumulators + 2 B vectors it need not (85–88 GFLOP/s on cached
     * panels, as fast as the 3 × 3 tile before it), when
     * this method is compiled on its own: no call after the loop (a call clobbers every vector
     * register, so C2 spilled accumulators; the edge buffer comes from the caller), and no
     * inlining into macroKernel, where C2 again spilled. The edge path keeps the method above
     * C2's inlining limit for hot calls (FreqInlineSize, 325 bytecodes); unrolling k by two
     * instead spilled as well.
     *
     * <p>A's MR rows are read in place, {@code lda} apart, as five streams indexed by the loop
     * counter p (a counted loop's affine indices, the form C2's range-check elimination takes),
     * and B's panel by an index stepped by NR: an
     * index computed from p took a multiply, shifts and sign extensions (C2 does not
     * strength-reduce them). A core that shares its front end with a busy neighbour issues fewer
     * instructions per cycle, so each one saved counts even where the FMA units would keep up. An
     * edge tile's rows past h repeat its last row, so that no read leaves A; their sums are
     * dropped. (Against BLIS's MR-row panels of A, k-major, one stream, with a row-major A read in
     * place and a transposed one copied into rows, old and new jars alternating: GPT's products
     * 4096 × 384 · 384 × 128 and 4096 × 512 · 512 × 128 1.29× faster, its weight gradients
     * 512 × 4096 · 4096 × 128 1.14×, 4096 × 128 · 128 × 384 1.03×; squares, the MLP's and the
     * LSTM's products within noise. Two hot kernels in one JVM bias each other's compilation:
     * compare across JVMs.)
     *
     * <p>Two vectors wide, not three: the feature counts of our models are multiples of 16, rarely of
     * 24, and a 128-wide B took 5⅓ panels of 24 (an eleventh of the work on zero padding). Against
     * the 3 × 3 tile, interleaved in one JVM on two threads: 4096 × 128 · 128 × 128 1.03×,
     * 4096 × 512 · 512 × 128 1.14×, 128 × 4096 · 4096 × 128 (transposed A) 1.17×, 1024³ 1.06×.
     */
    private static void microKernel(float[] a, int a0, int lda, float[] bp, int b0, int kc, float[] c, int ct, int ldc, int h, int w,
                                    boolean accumulate, float[] edge) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00;
        int r0 = a0, r1 = a0 + Math.min(1, h - 1) * lda, r2 = a0 + Math.min(2, h - 1) * lda;
        int r3 = a0 + Math.min(3, h - 1) * lda, r4 = a0 + Math.min(4, h - 1) * lda;
        for (int p = 0, bi = b0; p < kc; p++, bi += NR) {
            FloatVector b0v = FloatVector.fromArray(S, bp, bi);
            FloatVector b1v = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x = FloatVector.broadcast(S, a[r0 + p]);
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = FloatVector.broadcast(S, a[r1 + p]);
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = FloatVector.broadcast(S, a[r2 + p]);
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = FloatVector.broadcast(S, a[r3 + p]);
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
            x = FloatVector.broadcast(S, a[r4 + p]);
            c40 = x.fma(b0v, c40);
            c41 = x.fma(b1v, c41);
        }
        if (h == MR && w == NR) {
            store(c00, c01, c, ct, accumulate);
            store(c10, c11, c, ct + ldc, accumulate);
            store(c20, c21, c, ct + 2 * ldc, accumulate);
            store(c30, c31, c, ct + 3 * ldc, accumulate);
            store(c40, c41, c, ct + 4 * ldc, accumulate);
            return;
        }
        // Edge tile: the registers into the caller's MR × NR buffer, then the valid h × w part into C.
        c00.intoArray(edge, 0);
        c01.intoArray(edge, L);
        c10.intoArray(edge, NR);
        c11.intoArray(edge, NR + L);
        c20.intoArray(edge, 2 * NR);
        c21.intoArray(edge, 2 * NR + L);
        c30.intoArray(edge, 3 * NR);
        c31.intoArray(edge, 3 * NR + L);
        c40.intoArray(edge, 4 * NR);
        c41.intoArray(edge, 4 * NR + L);
        for (int r = 0; r < h; r++) {
            int row = ct + r * ldc;
            for (int j = 0; j < w; j++) {
                c[row + j] = accumulate ? c[row + j] + edge[r * NR + j] : edge[r * NR + j];
            }
        }
    }

    private static void store(FloatVector v0, FloatVector v1, float[] c, int row, boolean accumulate) {
        if (accumulate) {
            v0 = v0.add(FloatVector.fromArray(S, c, row));
            v1 = v1.add(FloatVector.fromArray(S, c, row + L));
        }
        v0.intoArray(c, row);
        v1.intoArray(c, row + L);
    }

    private static void i64(long[] a, int ao, Layout la, long[] b, int bo, Layout lb, long[] c, int co, int m, int n, int k) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long s = 0;
                for (int kk = 0; kk < k; kk++) {
                    s += a[(int) (ao + i * la.rs + kk * la.cs)] * b[(int) (bo + kk * lb.rs + j * lb.cs)];
                }
                c[co + i * n + j] = s;
            }
        }
    }
}
