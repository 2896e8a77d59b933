package dev.fathom.cuda;

import dev.fathom.spi.Conv2dGeometry;

/**
 * The launch geometry of the implicit-GEMM convolution kernels in {@code conv.cu}: one 3-D grid of
 * {@value #BLOCK}-thread blocks per pass, each block computing a {@value #TILE} × {@value #TILE}
 * tile of one group's GEMM (x walks the GEMM's columns, y its rows, z the groups):
 * <ul>
 *   <li>forward: {@code (ceil(N·OH·OW / 64), ceil((C_out/G) / 64), G)};</li>
 *   <li>backward-data: {@code (ceil(N·ceil(H/sH)·ceil(W/sW) / 64), ceil((C_in/G) / 64), G·sH·sW)}: one
 *       GEMM per stride phase (the input positions with one {@code ((h + pH) mod sH, (w + pW) mod sW)},
 *       which receive from the same kernel offsets), the grid sized for the largest phase;</li>
 *   <li>backward-weight: {@code (ceil((C_in/G)·KH·KW / 64), ceil((C_out/G) / 64), G·splits)}, its
 *       reduction over {@code K = N·OH·OW} cut into {@code splits} chunks of {@code chunk}
 *       (split-K). With {@code splits > 1} each chunk writes a partial plane of a workspace of
 *       {@code splits · |gradW|} elements and {@link #reduce} (a grid-stride launch over
 *       {@code |gradW|}) adds the planes in order, so the gradient is the same on every run.</li>
 * </ul>
 *
 * <p>Split rule ({@link #of(Conv2dGeometry)}): a weight gradient has few output tiles but a long
 * reduction (a 3×3 layer with 64 channels is 9 × 1 tiles over N·OH·OW = 65536 for a batch of 64
 * 32×32 images), so one block per tile would leave most of a GPU idle. Splits are added until the
 * grid has about {@value #TARGET_BLOCKS} blocks (a few waves on an H100's 132 SMs at three
 * resident blocks each), but every chunk keeps at least {@value #MIN_CHUNK} reduction steps (64
 * K-slices, so the partial plane a block writes is small next to what it reads), there are at most
 * {@value #MAX_SPLITS} of them, and the workspace stays under {@value #MAX_WORKSPACE_ELEMENTS}
 * elements. Chunks are multiples of the 16-step K-slice. The rule depends on the shape only.
 *
 * <p>The kernels index the GEMM dimensions with 32-bit ints, so {@link #of} rejects a problem
 * whose N·OH·OW, N·H·W or per-group weight size reaches 2^31 − 64 (split the batch), and grids
 * past CUDA's y/z limit of {@value #MAX_GRID_YZ}. The kernel emulation test launches with
 * exactly these numbers.
 *
 * @param forward        grid of {@code conv2d_fwd_*}; any dimension 0 means an empty launch (skip it)
 * @param backwardData   grid of {@code conv2d_bwd_data_*}
 * @param backwardWeight grid of {@code conv2d_bwd_weight_*} (never empty: with N = 0 it writes zeros)
 * @param splits         reduction chunks of the weight gradient (1: the GEMM writes gradW directly)
 * @param chunk          reduction steps per chunk (a multiple of 16, at least 16)
 * @param reduce         the reduction pass over |gradW| when {@code splits > 1}, else an empty launch
 * @param block          threads per block of the GEMM kernels (always {@value #BLOCK})
 */
public record ConvGeometry(Grid forward, Grid backwardData, Grid backwardWeight, int splits, long chunk,
                           LaunchGeometry reduce, int block) {

    /** Rows and columns of the GEMM tile one block computes. */
    public static final int TILE = 64;
    /** K-slice of the main loop; chunks are multiples of it. */
    public static final int K_SLICE = 16;
    /** Threads per block (the kernels' thread → tile map assumes it). */
    public static final int BLOCK = 256;
    /** CUDA's limit on gridDim.y and gridDim.z. */
    public static final int MAX_GRID_YZ = 65535;
    /** Blocks the split rule aims for. */
    public static final int TARGET_BLOCKS = 512;
    /** The fewest reduction steps a chunk gets from the split rule. */
    public static final int MIN_CHUNK = 1024;
    /** The most chunks. */
    public static final int MAX_SPLITS = 64;
    /** The largest workspace (splits · |gradW| elements) the split rule asks for: 64 MiB of F32. */
    public static final long MAX_WORKSPACE_ELEMENTS = 1L << 24;
    /** GEMM dimensions stay below this: the kernels add a tile to 32-bit indices. */
    static final long MAX_GEMM_DIM = Integer.MAX_VALUE - TILE;

    /** A CUDA grid, x × y × z blocks; a zero dimension means there is nothing to launch. */
    public record Grid(int x, int y, int z) {
        public Grid {
            if (x < 0 || y < 0 || z < 0 || y > MAX_GRID_YZ || z > MAX_GRID_YZ) {
                throw new IllegalArgumentException("ConvGeometry.Grid: " + x + " x " + y + " x " + z
                        + " is invalid; dims must be >= 0 and y, z <= " + MAX_GRID_YZ);
            }
        }

        public boolean isEmpty() {
            return x == 0 || y == 0 || z == 0;
        }
    }

    public ConvGeometry {
        if (splits < 1 || chunk < K_SLICE || chunk % K_SLICE != 0 || block != BLOCK
                || (splits > 1) == reduce.isEmpty()) {
            throw new IllegalArgumentException("ConvGeometry: splits " + splits + ", chunk " + chunk + ", reduce " + reduce
                    + ", block " + block + " are inconsistent; splits >= 1, chunk a positive multiple of " + K_SLICE
                    + ", a reduce launch exactly when splits > 1, block " + BLOCK);
        }
    }

    /** The geometry of every pass of {@code g}, splitting the weight gradient by the rule above. */
    public static ConvGeometry of(Conv2dGeometry g) {
        return of(g, MIN_CHUNK);
    }

    /**
     * As {@link #of(Conv2dGeometry)} with chunks of at least {@code minChunk} steps (a multiple of
     * 16); tests use small ones to get several splits on small problems.
     */
    public static ConvGeometry of(Conv2dGeometry g, int minChunk) {
        if (minChunk < K_SLICE || minChunk % K_SLICE != 0) {
            throw new IllegalArgumentException("ConvGeometry.of: minChunk " + minChunk + " must be a positive multiple of "
                    + K_SLICE);
        }
        check(g);
        int cinG = g.cInPerGroup(), coutG = g.cOutPerGroup(), khw = g.kh() * g.kw();
        long outCols = (long) g.n() * g.outH() * g.outW();
        Grid forward = grid(g, outCols, coutG, g.groups());
        long phases = (long) g.strideH() * g.strideW();
        long phaseCols = (long) g.n() * Math.ceilDiv(g.h(), g.strideH()) * Math.ceilDiv(g.w(), g.strideW());
        Grid data = grid(g, phaseCols, cinG, phases > MAX_GRID_YZ ? Long.MAX_VALUE : phases * g.groups());

        long wx = tiles((long) cinG * khw), wy = tiles(coutG), tiles = wx * wy * g.groups();
        long size = (long) g.cOut() * cinG * khw;
        long splits = 1;
        if (outCols > 0) {
            long maxSplits = Math.min(MAX_SPLITS, Math.min(MAX_GRID_YZ / g.groups(), Math.max(1, MAX_WORKSPACE_ELEMENTS / size)));
            splits = Math.max(1, Math.min(Math.min(Math.ceilDiv(TARGET_BLOCKS, tiles), Math.ceilDiv(outCols, minChunk)),
                    maxSplits));
        }
        long chunk = Math.max(K_SLICE, Math.ceilDiv(Math.ceilDiv(Math.max(outCols, 1), splits), K_SLICE) * K_SLICE);
        // Rounding the chunk up may leave the last chunks empty: drop them.
        splits = Math.max(1, Math.ceilDiv(outCols, chunk));
        Grid weight = grid(g, (long) cinG * khw, coutG, g.groups() * (int) splits);
        LaunchGeometry reduce = splits > 1 ? LaunchGeometry.forElements(size) : new LaunchGeometry(0, LaunchGeometry.BLOCK);
        return new ConvGeometry(forward, data, weight, (int) splits, chunk, reduce, BLOCK);
    }

    /** Elements of the weight-gradient workspace: {@code splits · |gradW|}, 0 when splits is 1. */
    public long workspaceElements(Conv2dGeometry g) {
        return splits == 1 ? 0 : (long) splits * g.cOut() * g.cInPerGroup() * g.kh() * g.kw();
    }

    private static Grid grid(Conv2dGeometry g, long cols, long rows, long z) {
        long x = tiles(cols), y = tiles(rows);
        if (y > MAX_GRID_YZ || z > MAX_GRID_YZ) {
            throw new IllegalArgumentException("ConvGeometry.of: " + describe(g) + " needs a grid of " + x + " x " + y + " x "
                    + z + " blocks, over CUDA's limit of " + MAX_GRID_YZ + " for y and z; use fewer channels per group, groups or "
                    + "stride phases (groups·sH·sW)");
        }
        return new Grid((int) x, (int) y, (int) z);
    }

    private static long tiles(long n) {
        return Math.ceilDiv(n, TILE);
    }

    private static void check(Conv2dGeometry g) {
        if (g.n() < 0 || g.cIn() < 1 || g.cOut() < 1 || g.h() < 1 || g.w() < 1 || g.kh() < 1 || g.kw() < 1
                || g.strideH() < 1 || g.strideW() < 1 || g.padH() < 0 || g.padW() < 0 || g.dilH() < 1 || g.dilW() < 1
                || g.groups() < 1 || g.cIn() % g.groups() != 0 || g.cOut() % g.groups() != 0 || g.outH() < 1 || g.outW() < 1
                || g.outH() != Conv2dGeometry.outSize(g.h(), g.kh(), g.strideH(), g.padH(), g.dilH())
                || g.outW() != Conv2dGeometry.outSize(g.w(), g.kw(), g.strideW(), g.padW(), g.dilW())) {
            throw new IllegalArgumentException("ConvGeometry.of: " + describe(g) + " is not a valid convolution; sizes, "
                    + "kernel, stride and dilation must be >= 1, padding >= 0, groups must divide C_in and C_out, and the "
                    + "output size must follow Conv2dGeometry.outSize (build it with Conv2dGeometry.of)");
        }
        long n = Math.max(g.n(), 1);
        long[] dims = {n * g.outH() * g.outW(), n * g.h() * g.w(), (long) g.cInPerGroup() * g.kh() * g.kw(),
                (long) g.cOutPerGroup() * g.kh() * g.kw()};
        for (long d : dims) {
            if (d > MAX_GEMM_DIM) {
                throw new IllegalArgumentException("ConvGeometry.of: " + describe(g) + " has a GEMM dimension of " + d
                        + " (N·OH·OW, N·H·W or channels per group·KH·KW), past the kernels' 32-bit limit of "
                        + MAX_GEMM_DIM + "; split the batch into several calls");
            }
        }
    }

    static String describe(Conv2dGeometry g) {
        return "conv2d x [" + g.n() + ", " + g.cIn() + ", " + g.h() + ", " + g.w() + "], w [" + g.cOut() + ", "
                + (g.groups() > 0 ? g.cIn() / g.groups() : g.cIn()) + ", " + g.kh() + ", " + g.kw() + "], stride (" + g.strideH()
                + ", " + g.strideW() + "), padding (" + g.padH() + ", " + g.padW() + "), dilation (" + g.dilH() + ", "
                + g.dilW() + "), groups " + g.groups() + " -> [" + g.outH() + ", " + g.outW() + "]";
    }
}
