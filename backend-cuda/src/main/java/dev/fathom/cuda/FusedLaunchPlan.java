package dev.fathom.cuda;

/**
 * Which kernel and launch geometry serve a fused op ({@code softmax.cu}, {@code norm.cu},
 * {@code optim.cu}); {@link CudaFusedOps} launches with these numbers and
 * {@code FusedKernelEmulationTest} emulates with them, so what is tested is what runs.
 *
 * <p>Rules:
 * <ul>
 *   <li>Row kernels (softmax's block variant, layer norm, batch norm per channel): one block per
 *       row, rows grid-strided past {@link LaunchGeometry#MAX_GRID}; the block has as many threads
 *       as the row has elements, rounded up to a warp, between 32 and {@link LaunchGeometry#BLOCK}.
 *       So a short row gets one warp instead of 256 mostly idle threads, and a long row 8 warps
 *       that stride over it.</li>
 *   <li>Softmax over an axis with {@code inner > 1} elements after it: one THREAD per row
 *       ({@link SoftmaxKernel#COL}) when rows are many or short ({@code rows >= 2048} or
 *       {@code n <= 256}): neighbouring threads then read neighbouring addresses. Otherwise (few,
 *       long rows) the block variant, whose strided walk is uncoalesced but parallel.</li>
 *   <li>Batch norm with few channels and many elements per channel: each channel split into
 *       {@code P = min(ceil(512 / C), M / 4096)} parts, one block task per (channel, part), when
 *       that is more than 1 ({@code norm.cu}'s split kernels); otherwise one block per channel.</li>
 *   <li>Layer norm's gradWeight/gradBias column sums: blocks of {@link LaunchGeometry#BLOCK}
 *       threads, 32 columns by 8 row lanes, one block per 32 columns.</li>
 *   <li>Optimizer updates: {@link LaunchGeometry#forElements(long)}.</li>
 * </ul>
 * A grid of 0 means nothing to launch. Every method takes a {@code maxGrid} cap (production passes
 * {@link LaunchGeometry#MAX_GRID}); a small cap makes blocks loop, which the emulation tests use.
 */
final class FusedLaunchPlan {
    /** The smallest block of a row kernel: one warp. */
    static final int WARP = 32;
    /** Softmax rows (outer·inner) from which one thread per row has enough parallelism. */
    static final long COL_MIN_ROWS = 2048;
    /** Softmax row length up to which one thread per row is short enough work. */
    static final long COL_MAX_N = 256;
    /**
     * Blocks a split batch norm aims for: a few waves of a large GPU (an H100 holds 132 SMs × 8
     * blocks of 256 threads), so that even 3 or 16 channels keep every SM busy.
     */
    static final long BATCH_NORM_TARGET_BLOCKS = 512;
    /** The fewest elements of a batch-norm part: below that, a block's fixed cost dominates. */
    static final long BATCH_NORM_MIN_PART = 4096;

    /** The two launch shapes of {@code softmax.cu}. */
    enum SoftmaxKernel {
        /** {@code softmax*_block_<t>}: one block per row. */
        BLOCK("block"),
        /** {@code softmax*_col_<t>}: one thread per row. */
        COL("col");

        private final String suffix;

        SoftmaxKernel(String suffix) {
            this.suffix = suffix;
        }

        /** The entry-name part, e.g. {@code "block"} in {@code softmax_block_f32}. */
        String suffix() {
            return suffix;
        }
    }

    /** A softmax launch: which kernel, with what geometry. */
    record Softmax(SoftmaxKernel kernel, LaunchGeometry geometry) {
    }

    /**
     * A batch-norm launch: {@code parts} = 1 runs {@code batch_norm[_backward]_<t>} (one block per
     * channel); more runs the split kernels (partials, then apply) over {@code C·parts} block tasks
     * with a workspace of {@link #workspaceBytes} bytes.
     */
    record BatchNorm(long parts, LaunchGeometry geometry) {
        /** Two F64 partials per (channel, part); 0 without a split. */
        long workspaceBytes(long channels) {
            return parts == 1 ? 0 : 16 * channels * parts;
        }
    }

    private FusedLaunchPlan() {
    }

    /** The softmax (forward or backward) launch over the (outer, n, inner) view. */
    static Softmax softmax(long outer, long n, long inner, int maxGrid) {
        checkCounts("softmax", maxGrid, outer, n, inner);
        long rows = outer * inner;
        if (rows == 0 || n == 0) {
            return new Softmax(SoftmaxKernel.BLOCK, new LaunchGeometry(0, WARP));
        }
        if (inner > 1 && (rows >= COL_MIN_ROWS || n <= COL_MAX_N)) {
            return new Softmax(SoftmaxKernel.COL, LaunchGeometry.forElements(rows, maxGrid));
        }
        return new Softmax(SoftmaxKernel.BLOCK, rows(rows, n, maxGrid));
    }

    /**
     * One block per row of {@code n} elements (layer norm rows, batch norm channels with
     * {@code n = N·S}, softmax's block variant). Empty rows still launch: batch norm over
     * {@code N·S = 0} elements writes its sums (zero gradWeight and gradBias) and NaN statistics.
     */
    static LaunchGeometry rows(long rows, long n, int maxGrid) {
        checkCounts("rows", maxGrid, rows, n);
        if (rows == 0) {
            return new LaunchGeometry(0, WARP);
        }
        int threads = Math.clamp((n + WARP - 1) / WARP * WARP, WARP, LaunchGeometry.BLOCK);
        return new LaunchGeometry((int) Math.min(rows, maxGrid), threads);
    }

    /** The batch-norm launch over C channels of M = N·S elements each, by the rule above. */
    static BatchNorm batchNorm(long channels, long m, int maxGrid) {
        return batchNorm(channels, m, maxGrid, BATCH_NORM_MIN_PART);
    }

    /**
     * As {@link #batchNorm(long, long, int)} with parts of at least {@code minPart} elements: a
     * small one splits small tensors, which the emulation tests use.
     */
    static BatchNorm batchNorm(long channels, long m, int maxGrid, long minPart) {
        checkCounts("batchNorm", maxGrid, channels, m);
        if (minPart < 1) {
            throw new IllegalArgumentException("FusedLaunchPlan.batchNorm: minPart " + minPart + " must be >= 1");
        }
        long parts = channels == 0 ? 1 : Math.min((BATCH_NORM_TARGET_BLOCKS + channels - 1) / channels, m / minPart);
        if (parts <= 1) {
            return new BatchNorm(1, rows(channels, m, maxGrid));
        }
        return new BatchNorm(parts, new LaunchGeometry((int) Math.min(channels * parts, maxGrid), LaunchGeometry.BLOCK));
    }

    /**
     * {@code layer_norm_param_grads}: one block per 32 of the {@code n} columns (also for 0 rows,
     * whose sums are zeros that must be written).
     */
    static LaunchGeometry columnSums(long n, int maxGrid) {
        checkCounts("columnSums", maxGrid, n);
        long tiles = (n + WARP - 1) / WARP;
        return new LaunchGeometry((int) Math.min(tiles, maxGrid), LaunchGeometry.BLOCK);
    }

    private static void checkCounts(String what, int maxGrid, long... counts) {
        for (long c : counts) {
            if (c < 0) {
                throw new IllegalArgumentException("FusedLaunchPlan." + what + ": negative count " + c
                        + "; pass element counts (>= 0)");
            }
        }
        if (maxGrid < 1) {
            throw new IllegalArgumentException("FusedLaunchPlan." + what + ": maxGrid " + maxGrid + " must be >= 1");
        }
    }
}
