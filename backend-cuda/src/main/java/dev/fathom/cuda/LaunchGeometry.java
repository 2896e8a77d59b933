package dev.fathom.cuda;

/**
 * The 1-D launch geometry of a kernel that walks its elements with a grid-stride loop (every
 * kernel in {@code elementwise.cu}): {@code grid} blocks of {@code block} threads.
 *
 * <p>The rule ({@link #forElements(long)}): blocks of {@value #BLOCK} threads (8 warps: a multiple
 * of the warp size, small enough that register use never limits residency on sm_75 and newer,
 * large enough to hide memory latency), and one thread per element, {@code ceil(n / 256)} blocks,
 * up to {@value #MAX_GRID} blocks. Past that cap each thread takes every
 * {@code grid·block}-th element: 65535 × 256 ≈ 16.7 M threads already fill any current GPU many
 * times over (an H100 holds about 270 K resident threads), so more blocks would only add launch
 * overhead, and 65535 is also within the y/z grid limit should a kernel ever use those dims. The
 * kernel emulation test runs the kernels with exactly these numbers.
 *
 * @param grid  number of blocks, 0 for an empty launch (CUDA rejects a zero grid: skip it)
 * @param block threads per block
 */
public record LaunchGeometry(int grid, int block) {

    /** Threads per block for elementwise kernels. */
    public static final int BLOCK = 256;
    /** The most blocks {@link #forElements(long)} asks for. */
    public static final int MAX_GRID = 65535;
    /**
     * Elements an {@code elementwise.cu} thread takes per trip of its grid-stride loop
     * ({@code FATHOM_ILP}): it loads all of them before it stores any, so that its loads overlap.
     */
    public static final int ELEMENTS_PER_THREAD = 4;

    public LaunchGeometry {
        if (grid < 0 || block < 1 || block > 1024) {
            throw new IllegalArgumentException("LaunchGeometry: grid " + grid + " x block " + block
                    + " is invalid; grid must be >= 0 and block in [1, 1024]");
        }
    }

    /** The geometry for a grid-stride kernel over {@code n} elements, by the rule above. */
    public static LaunchGeometry forElements(long n) {
        return forElements(n, MAX_GRID);
    }

    /**
     * As {@link #forElements(long)} with at most {@code maxGrid} blocks; a small cap makes each
     * thread loop, which tests (and future occupancy-based caps) use.
     */
    public static LaunchGeometry forElements(long n, int maxGrid) {
        if (n < 0) {
            throw new IllegalArgumentException("LaunchGeometry.forElements: element count " + n
                    + " is negative; pass the numel of the output (>= 0)");
        }
        if (maxGrid < 1) {
            throw new IllegalArgumentException("LaunchGeometry.forElements: maxGrid " + maxGrid
                    + " must be >= 1");
        }
        long blocks = (n + BLOCK - 1) / BLOCK;
        return new LaunchGeometry((int) Math.min(blocks, maxGrid), BLOCK);
    }

    /**
     * The geometry of the {@code elementwise.cu} kernels over {@code n} elements: threads for
     * {@code ceil(n / ELEMENTS_PER_THREAD)} elements by the rule above, so that each thread makes one
     * trip of {@value #ELEMENTS_PER_THREAD} elements while the grid covers n.
     */
    public static LaunchGeometry forElementwise(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("LaunchGeometry.forElementwise: element count " + n
                    + " is negative; pass the numel of the output (>= 0)");
        }
        return forElements((n + ELEMENTS_PER_THREAD - 1) / ELEMENTS_PER_THREAD);
    }

    /** Elements per thread of {@link #forDenseF32}'s long blocks: four quads of four floats. */
    static final int DENSE_ELEMENTS_PER_THREAD = 16;
    /**
     * The fewest blocks {@link #forDenseF32} gives long blocks: two waves of an H100 or H200 (132
     * multiprocessors, 8 resident blocks of 256 threads each), so that a smaller tensor keeps a block
     * per quad-trip and with it every multiprocessor busy.
     */
    static final long DENSE_MIN_BLOCKS = 2048;

    /**
     * The geometry of an {@code elementwise.cu} launch whose operands are all dense, 16-byte aligned
     * F32 (the kernels' quad path): {@value #DENSE_ELEMENTS_PER_THREAD} elements per thread when that
     * still gives {@value #DENSE_MIN_BLOCKS} blocks, else {@link #forElementwise}'s. Fewer, longer
     * blocks keep four loads of 16 bytes per operand in flight per thread and retire a quarter as
     * often: on an H200, a + b went from 68% to 72% of the memory's bandwidth on 2^24 floats and from
     * 73% to 82% on 2^26 (see elementwise.cu).
     */
    public static LaunchGeometry forDenseF32(long n) {
        return forDenseF32(n, DENSE_MIN_BLOCKS);
    }

    /** As {@link #forDenseF32(long)} with long blocks from {@code minBlocks} blocks up (tests take them on small n). */
    static LaunchGeometry forDenseF32(long n, long minBlocks) {
        if (n < 0) {
            throw new IllegalArgumentException("LaunchGeometry.forDenseF32: element count " + n
                    + " is negative; pass the numel of the output (>= 0)");
        }
        long threads = (n + DENSE_ELEMENTS_PER_THREAD - 1) / DENSE_ELEMENTS_PER_THREAD;
        return (threads + BLOCK - 1) / BLOCK >= minBlocks ? forElements(threads) : forElementwise(n);
    }

    /**
     * Into how many pieces to cut each of {@code parts} pieces of work of {@code length} (rows to
     * reduce, a product's K), so that the blocks, one per piece, reach about {@code targetBlocks}:
     * 1 when the parts alone give half the target or the length is under two pieces of
     * {@code minPiece}, else {@code min(ceil(targetBlocks / parts), length / minPiece)}.
     */
    static long splits(long parts, long length, long targetBlocks, long minPiece) {
        if (parts * 2 >= targetBlocks || length < 2 * minPiece) {
            return 1;
        }
        return Math.min((targetBlocks + parts - 1) / parts, length / minPiece);
    }

    /** True when there is nothing to launch (zero elements). */
    public boolean isEmpty() {
        return grid == 0;
    }

    /** Threads in the whole grid. */
    public long threads() {
        return (long) grid * block;
    }
}
