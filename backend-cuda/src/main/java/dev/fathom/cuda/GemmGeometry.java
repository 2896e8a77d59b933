package dev.fathom.cuda;

/**
 * The launch geometry of the tiled GEMM kernels ({@code gemm_f32}, {@code gemm_f64} in
 * {@code gemm.cu}): a 3-D grid of {@code gridX × gridY × gridZ} blocks of {@value #BLOCK} threads.
 *
 * <p>Each block computes one {@value #TILE_M} × {@value #TILE_N} tile of C, 16 threads by 16 with a
 * 4 × 4 register micro-tile each; x walks the columns (N), y the rows (M), z the batch. So
 * {@code gridX = ceil(N / 64)}, {@code gridY = ceil(M / 64)}, {@code gridZ = batch}. CUDA limits
 * grid y and z to {@value #MAX_GRID_YZ}; a larger M or batch is split by the host into several
 * launches (moving the operands' offsets), which {@link #forMatmul} rejects so that the split is
 * explicit. The kernel emulation test launches with exactly these numbers.
 *
 * @param gridX blocks along N
 * @param gridY blocks along M
 * @param gridZ blocks along the batch
 * @param block threads per block (always {@value #BLOCK}: the kernel's thread→tile map assumes it)
 */
public record GemmGeometry(int gridX, int gridY, int gridZ, int block) {

    /** Rows of C per block. */
    public static final int TILE_M = 64;
    /** Columns of C per block. */
    public static final int TILE_N = 64;
    /** Threads per block. */
    public static final int BLOCK = 256;
    /** CUDA's limit on gridDim.y and gridDim.z. */
    public static final int MAX_GRID_YZ = 65535;

    public GemmGeometry {
        if (gridX < 0 || gridY < 0 || gridZ < 0 || gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ || block != BLOCK) {
            throw new IllegalArgumentException("GemmGeometry: grid " + gridX + " x " + gridY + " x " + gridZ
                    + ", block " + block + " is invalid; grid dims must be >= 0 (y, z <= " + MAX_GRID_YZ
                    + ") and block " + BLOCK);
        }
    }

    /**
     * The geometry for {@code batch} products of an {@code m × k} by a {@code k × n} matrix. Any
     * dimension 0 gives an empty launch (with {@code k = 0} and {@code m, n > 0} the kernel still
     * runs: it writes zeros, or leaves C as it is when accumulating).
     */
    public static GemmGeometry forMatmul(long m, long n, long batch) {
        if (m < 0 || n < 0 || batch < 0) {
            throw new IllegalArgumentException("GemmGeometry.forMatmul: m " + m + ", n " + n + ", batch " + batch
                    + " must all be >= 0 (C is m x n, batch products)");
        }
        long gx = (n + TILE_N - 1) / TILE_N, gy = (m + TILE_M - 1) / TILE_M;
        if (gy > MAX_GRID_YZ || batch > MAX_GRID_YZ || gx > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("GemmGeometry.forMatmul: m " + m + ", n " + n + ", batch " + batch
                    + " needs a grid of " + gx + " x " + gy + " x " + batch + " blocks, over CUDA's limits ("
                    + MAX_GRID_YZ + " for y and z); split M or the batch into several launches");
        }
        return new GemmGeometry((int) gx, (int) gy, (int) batch, BLOCK);
    }

    /** True when there is nothing to launch (an empty C). */
    public boolean isEmpty() {
        return gridX == 0 || gridY == 0 || gridZ == 0;
    }
}
