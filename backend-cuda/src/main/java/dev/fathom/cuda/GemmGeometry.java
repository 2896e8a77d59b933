package dev.fathom.cuda;

import dev.fathom.tensor.DType;

/**
 * The launch geometry of the tiled GEMM kernels of {@code gemm.cu}: which kernel, and a 3-D grid of
 * {@code gridX × gridY × gridZ} blocks of {@value #BLOCK} threads.
 *
 * <p>Each block computes one {@code tile × tile} tile of C; x walks the columns (N), y the rows
 * (M), z the batch, so {@code gridX = ceil(N / tile)}, {@code gridY = ceil(M / tile)},
 * {@code gridZ = batch}. Two tile sizes exist: {@value #SMALL_TILE} ({@code gemm_f32},
 * {@code gemm_f64}, {@code gemm_i64}: 16 × 16 threads with a 4 × 4 register micro-tile each) and
 * {@value #LARGE_TILE} ({@code gemm_f32_128_{nn,nt,tn,tt}}, F32 only: an 8 × 8 micro-tile each,
 * about 4 times the arithmetic per shared-memory read). {@link #choose} picks between them. CUDA
 * limits grid y and z to {@value #MAX_GRID_YZ}; a larger M or batch is split by the host into
 * several launches (moving the operands' offsets), which {@link #forTile} rejects so that the split
 * is explicit. The kernel emulation test launches with exactly these numbers.
 *
 * @param tile  rows and columns of C per block ({@value #SMALL_TILE} or {@value #LARGE_TILE})
 * @param gridX blocks along N
 * @param gridY blocks along M
 * @param gridZ blocks along the batch
 * @param block threads per block (always {@value #BLOCK}: the kernels' thread→tile maps assume it)
 */
public record GemmGeometry(int tile, int gridX, int gridY, int gridZ, int block) {

    /** The tile of {@code gemm_f32}, {@code gemm_f64}, {@code gemm_i64}. */
    public static final int SMALL_TILE = 64;
    /** The tile of {@code gemm_f32_128_*}. */
    public static final int LARGE_TILE = 128;
    /** Threads per block. */
    public static final int BLOCK = 256;
    /** CUDA's limit on gridDim.y and gridDim.z. */
    public static final int MAX_GRID_YZ = 65535;
    /**
     * The default of {@link #choose}'s {@code minLargeBlocks}: about one 128 × 128 block per SM of
     * an H100 or H200 (132 SMs). With fewer, SMs idle under the large kernel (2 blocks of it fit
     * on an SM) while the 64 × 64 kernel's 4 times as many blocks still spread over all of them.
     */
    public static final int DEFAULT_MIN_LARGE_BLOCKS = 128;

    public GemmGeometry {
        if ((tile != SMALL_TILE && tile != LARGE_TILE) || gridX < 0 || gridY < 0 || gridZ < 0 || gridY > MAX_GRID_YZ
                || gridZ > MAX_GRID_YZ || block != BLOCK) {
            throw new IllegalArgumentException("GemmGeometry: tile " + tile + ", grid " + gridX + " x " + gridY + " x " + gridZ
                    + ", block " + block + " is invalid; tile must be " + SMALL_TILE + " or " + LARGE_TILE
                    + ", grid dims >= 0 (y, z <= " + MAX_GRID_YZ + ") and block " + BLOCK);
        }
    }

    /** The {@value #SMALL_TILE} geometry (the kernels of every dtype) for {@code batch} m × n products. */
    public static GemmGeometry forMatmul(long m, long n, long batch) {
        return forTile(SMALL_TILE, m, n, batch);
    }

    /**
     * The geometry with the given tile for {@code batch} products of an {@code m × k} by a
     * {@code k × n} matrix. Any dimension 0 gives an empty launch (with {@code k = 0} and
     * {@code m, n > 0} the kernel still runs: it writes zeros, or leaves C as it is when
     * accumulating).
     */
    public static GemmGeometry forTile(int tile, long m, long n, long batch) {
        if (m < 0 || n < 0 || batch < 0) {
            throw new IllegalArgumentException("GemmGeometry.forMatmul: m " + m + ", n " + n + ", batch " + batch
                    + " must all be >= 0 (C is m x n, batch products)");
        }
        if (tile != SMALL_TILE && tile != LARGE_TILE) {
            throw new IllegalArgumentException("GemmGeometry.forTile: tile " + tile + " must be " + SMALL_TILE + " or " + LARGE_TILE);
        }
        long gx = (n + tile - 1) / tile, gy = (m + tile - 1) / tile;
        if (gy > MAX_GRID_YZ || batch > MAX_GRID_YZ || gx > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("GemmGeometry.forMatmul: m " + m + ", n " + n + ", batch " + batch
                    + " needs a grid of " + gx + " x " + gy + " x " + batch + " blocks, over CUDA's limits ("
                    + MAX_GRID_YZ + " for y and z); split M or the batch into several launches");
        }
        return new GemmGeometry(tile, (int) gx, (int) gy, (int) batch, BLOCK);
    }

    /**
     * The geometry of the kernel that should run {@code batch} {@code m × n} products of this dtype.
     * The {@value #LARGE_TILE} tile only for F32 (its kernels exist for F32 alone), and only when
     * <ul>
     * <li>there are at least {@code minLargeBlocks} such tiles over all products, so the launch still
     * fills the GPU (see {@link #DEFAULT_MIN_LARGE_BLOCKS}), and</li>
     * <li>its edge tiles waste little more than the small ones: the area of C the large tiles
     * cover is at most 5/4 of what the small tiles cover. A 130 × 130 C is 256 × 256 in 128-tiles
     * but 192 × 192 in 64-tiles, and a batch of tiny matrices would run 128 × 128 blocks for a
     * handful of useful elements each; the large kernel's higher rate does not pay for that.</li>
     * </ul>
     */
    public static GemmGeometry choose(DType dtype, long m, long n, long batch, int minLargeBlocks) {
        if (minLargeBlocks < 0) {
            throw new IllegalArgumentException("GemmGeometry.choose: minLargeBlocks " + minLargeBlocks + " must be >= 0");
        }
        GemmGeometry small = forTile(SMALL_TILE, m, n, batch);
        if (dtype != DType.F32 || small.isEmpty()) {
            return small;
        }
        GemmGeometry large = forTile(LARGE_TILE, m, n, batch);
        long largeBlocks = (long) large.gridX * large.gridY * large.gridZ;
        long smallArea = (long) small.gridX * small.gridY, largeArea = 4L * large.gridX * large.gridY; // in 64 x 64 tiles
        return largeBlocks >= minLargeBlocks && 4 * largeArea <= 5 * smallArea ? large : small;
    }

    /**
     * The kernel that runs this geometry for the operand strides ({@code a} is m × k with column
     * (k) stride {@code aCs}; {@code b} is k × n with strides {@code bRs}, {@code bCs}): {@code gemm_f32},
     * {@code gemm_f64}, {@code gemm_i64} for the small tile; for the large one the entry whose
     * tile loads are coalesced for these strides, chosen as {@code gemm.cu}'s small kernel
     * chooses its maps: A's "n" map when its k stride is 1, else "t"; B's "t" map when its k stride
     * is 1 and its n stride is not, else "n". (Every entry is correct for any strides.)
     */
    public String kernel(DType dtype, long aCs, long bRs, long bCs) {
        if (tile == SMALL_TILE) {
            return "gemm_" + CudaBuffer.suffix(dtype);
        }
        if (dtype != DType.F32) {
            throw new IllegalArgumentException("GemmGeometry.kernel: the " + LARGE_TILE + " tile exists for F32 only, got "
                    + dtype + "; use choose()");
        }
        return "gemm_f32_128_" + (aCs == 1 ? "n" : "t") + (bRs == 1 && bCs != 1 ? "t" : "n");
    }

    /** True when there is nothing to launch (an empty C). */
    public boolean isEmpty() {
        return gridX == 0 || gridY == 0 || gridZ == 0;
    }
}
