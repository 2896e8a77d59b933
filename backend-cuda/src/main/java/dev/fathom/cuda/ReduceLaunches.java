package dev.fathom.cuda;

import dev.fathom.cuda.KernelLauncher.Dim3;
import dev.fathom.spi.ReduceOp;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Shape;

import java.util.Arrays;
import java.util.Locale;

/**
 * The host side of {@code reduce.cu}, whose kernels reduce rows (element j of row r at
 * {@code x_offset + r·row_stride + j}) or columns. Which one reads x depends on its layout, seen as
 * {@link ReduceLayout runs of axes}:
 * <ul>
 *   <li>rows, when the reduced axes are one contiguous inner run and the kept axes one stride (a sum
 *       over the last dim);
 *   <li>columns, when one reduced run has kept axes after it, and perhaps one kept run before it (a
 *       bias gradient: {@code [N, C]} over N; a reduction over dim 1 of {@code [A, R, B]});
 *   <li>rows then columns, for {@code [R1, K, R2]} with R2 contiguous and not ARG* (a conv bias
 *       gradient: {@code [N, C, H·W]} over N and H·W): the rows' results into a {@code [R1, K]}
 *       temporary, then its columns;
 *   <li>any other layout (a permuted view, several kept runs) is first copied, kept axes first,
 *       into a contiguous temporary and reduced as rows.
 * </ul>
 * Temporaries go back to the cache right after their launch (stream order keeps that safe).
 *
 * <p>Geometry: one block per row, {@code min(outer, 65535)} blocks (more rows are grid-strided), and
 * {@link #block(long) a block of 32 to 256 threads}: the inner length rounded up to a warp, so a
 * short row does not idle seven of eight warps. Few long rows (a full sum is one row) would leave
 * the GPU idle that way, so {@link #splits} cuts each row into chunks, one block per chunk, and the
 * last block of each row to finish folds the row's chunk results ({@code reduce_split_*}: one
 * launch; a temporary of two 8-byte slots per chunk goes back to the cache after it; a full F32 sum
 * of an aligned tensor takes {@code reduce_sum_f32}, that kernel's SUM path alone). The blocks
 * find out which is last from a per-row ticket counter: {@link #MAX_SPLIT_ROWS} of them live as
 * long as the device (one {@link ZeroedBlock}, zeroed in stream order before the first split
 * launch), and each launch leaves them at zero again. Columns go the same way with a tile of 32
 * columns in the place of a row: a block of 256 threads (8 warps walking interleaved rows) per tile
 * and chunk, and the tile's last block folds its chunks (see {@link #reduceColumns}); fewer than 32
 * columns make narrower tiles, whose warps read several rows at once. F32 sums of contiguous columns
 * on 16 bytes read four columns a lane ({@code reduce_cols_sum_f32x4}, tiles of 32 quads).
 */
final class ReduceLaunches {
    /** {@link #rowStride}'s answer for a layout the kernel cannot read directly. */
    static final long NOT_ROWS = Long.MIN_VALUE;

    private final CudaKernels kernels;
    private final KernelModule module;
    private final ZeroedBlock tickets;

    ReduceLaunches(CudaKernels kernels, CudaDevice device) {
        this.kernels = kernels;
        this.module = new KernelModule(device, "reduce");
        this.tickets = new ZeroedBlock(device, kernels.elementwise(), "reduction tickets", MAX_SPLIT_ROWS * Integer.BYTES);
    }

    void free() {
        tickets.free();
    }

    /**
     * The blocks a split reduction aims for: 8 blocks of 256 threads per multiprocessor fill a
     * 132-SM H100 or H200 with 2048 threads each; fewer SMs just run the blocks in more waves.
     */
    static final long SPLIT_TARGET_BLOCKS = 1024;
    /** The fewest elements a chunk gets: 16 per thread of a full block, so that each block has work worth its launch. */
    static final long MIN_CHUNK = 16L * LaunchGeometry.BLOCK;

    /**
     * The blocks the F32 column kernels aim for: {@code reduce_cols_f32} takes 40 registers on sm_90
     * and {@code reduce_cols_sum_f32x4} is held to 40 by its launch bounds (at 32, ptxas spills them), so 6
     * blocks of 256 threads fit a multiprocessor, and 768 fill a 132-SM H100 or H200 in one wave
     * where {@link #SPLIT_TARGET_BLOCKS} leaves a second wave of 232 blocks at a third of the
     * occupancy. On an H200 the column sums of {@code [2^14, 1024]} took 41.0 µs in 1024 blocks and
     * 31.8 in 768 (scalar), 30.0 and 27.9 (quads); of {@code [2^16, 1024]} 132.1 and 98.1, 75.0 and
     * 72.7 (scripts/lib/reduce_probe.cu). The F64, I64 and BOOL column kernels keep the general
     * target (F64 holds 42 registers, 5 blocks per SM; the others 32 or fewer).
     */
    static final long F32_COLUMN_TARGET_BLOCKS = 768;

    /** The fewest rows a column chunk gets: 16 per walker (warp) of a full block. */
    static final long MIN_COLUMN_CHUNK = 16L * LaunchGeometry.BLOCK / 32;

    /** The most rows {@link #splits} ever cuts (fewer than half of {@link #SPLIT_TARGET_BLOCKS}): one ticket each. */
    static final int MAX_SPLIT_ROWS = (int) (SPLIT_TARGET_BLOCKS / 2);

    /**
     * Into how many chunks to cut each of {@code outer} rows of {@code inner} elements: 1 (a block
     * per row) when the rows alone give half the target or a row is shorter than two chunks, else as
     * many as reach {@link #SPLIT_TARGET_BLOCKS} blocks without a chunk under {@link #MIN_CHUNK}.
     */
    static long splits(long outer, long inner) {
        return LaunchGeometry.splits(outer, inner, SPLIT_TARGET_BLOCKS, MIN_CHUNK);
    }

    /** Threads per block for rows of {@code inner} elements: a multiple of 32 (the kernel's warp folds need it), 32..256. */
    static int block(long inner) {
        return (int) Math.clamp((inner + 31) / 32 * 32, 32, LaunchGeometry.BLOCK);
    }

    void reduce(ReduceOp op, Strided x, int[] axes, Strided out) {
        String name = op.name().toLowerCase(Locale.ROOT);
        CudaBuffer xb = kernels.buffer(x, name), ob = kernels.buffer(out, name);
        DType t = xb.dtype();
        Object shapes = LazyText.of(() -> Shape.format(x.shape()) + " over axes " + Arrays.toString(axes) + " " + t);
        check(op, name, x, axes, out, t, ob.dtype(), shapes);
        int r = x.rank();
        boolean[] reduced = new boolean[r];
        for (int a : axes) {
            reduced[a] = true;
        }
        int nk = r - axes.length;
        int[] perm = new int[r];
        for (int d = 0, i = 0, j = nk; d < r; d++) {
            perm[reduced[d] ? j++ : i++] = d;
        }
        int[] shape = new int[r];
        long[] strides = new long[r];
        for (int i = 0; i < r; i++) {
            shape[i] = x.shape()[perm[i]];
            strides[i] = x.strides()[perm[i]];
        }
        long outer = 1, inner = 1;
        for (int i = 0; i < r; i++) {
            if (i < nk) {
                outer *= shape[i];
            } else {
                inner *= shape[i];
            }
        }
        if (outer == 0) {
            return;
        }
        long rowStride = rowStride(shape, strides, nk, inner);
        if (rowStride != NOT_ROWS) {
            reduceRows(op, name, shapes, t, xb.address(), x.offset(), rowStride, inner, ob, out.offset(), outer);
            return;
        }
        ReduceLayout layout = ReduceLayout.of(x.shape(), x.strides(), reduced);
        ReduceLayout.Columns columns = inner == 0 ? null : layout.columns();
        if (columns != null) {
            reduceColumns(op, name, shapes, t, xb.address(), x.offset(), columns, ob.address(), out.offset());
            return;
        }
        ReduceLayout.RowsThenColumns twoPass = inner == 0 || op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN ? null
                : layout.rowsThenColumns();
        if (twoPass != null) {
            // Rows (r1, k) into a contiguous [R1, K], then its columns: x is read once, where a copy
            // into rows would read it twice and write it once. A sum's rows are rounded to t once.
            long partials = twoPass.outerRows() * twoPass.keptCols();
            DType partialType = t == DType.BOOL ? DType.I64 : t;
            CudaBuffer tmp = (CudaBuffer) kernels.allocate(partialType, partials);
            try {
                reduceRows(op, name, shapes, t, xb.address(), x.offset(), twoPass.keptStride(), twoPass.inner(), tmp, 0, partials);
                reduceColumns(op, name, shapes, partialType, tmp.address(), 0,
                        new ReduceLayout.Columns(1, 0, twoPass.outerRows(), twoPass.keptCols(), twoPass.keptCols(), 1),
                        ob.address(), out.offset());
            } finally {
                kernels.free(tmp);
            }
            return;
        }
        // Neither rows nor columns: copy x, kept axes first, into a contiguous temporary.
        CudaBuffer tmp = (CudaBuffer) kernels.allocate(t, outer * inner);
        try {
            kernels.elementwise().copy(new Strided(xb, shape, strides, x.offset()), Strided.contiguous(tmp, shape));
            reduceRows(op, name, shapes, t, tmp.address(), 0, inner, inner, ob, out.offset(), outer);
        } finally {
            kernels.free(tmp);
        }
    }

    /** Row r's result into {@code out[outOffset + r]}, from element j at {@code x[xOffset + r·rowStride + j]}. */
    private void reduceRows(ReduceOp op, String name, Object shapes, DType t, long x, long xOffset, long rowStride, long inner,
            CudaBuffer out, long outOffset, long outer) {
        String suffix = CudaBuffer.suffix(t);
        long splits = splits(outer, inner);
        if (splits == 1) {
            module.launch(name, shapes, "reduce_" + suffix, grid(outer), Dim3.of(block(inner)), KernelParams.of()
                    .i32(op.ordinal()).ptr(x).i64(xOffset).i64(rowStride).i64(inner).ptr(out.address()).i64(outOffset).i64(outer));
            return;
        }
        checkTickets(name, outer, "rows", splits, shapes);
        // A multiple of 4, so that every chunk of an aligned F32 row starts on 16 bytes (the kernel then reads quads).
        long chunk = ((inner + splits - 1) / splits + 3) / 4 * 4;
        splits = (inner + chunk - 1) / chunk;  // no empty last chunk
        long start = x + xOffset * t.byteSize();
        if (outer == 1 && op == ReduceOp.SUM && t == DType.F32 && start % 16 == 0) {
            fullSum(name, shapes, start, inner, chunk, splits, out.address(outOffset));
            return;
        }
        long slots = outer * splits;
        CudaBuffer part = (CudaBuffer) kernels.allocate(DType.I64, 2 * slots);  // values, then indices
        try {
            long values = part.address(), indices = values + 8 * slots;
            module.launch(name, shapes, "reduce_split_" + suffix, grid(slots), Dim3.of(LaunchGeometry.BLOCK), KernelParams.of()
                    .i32(op.ordinal()).ptr(x).i64(xOffset).i64(rowStride).i64(inner).i64(chunk).i64(splits).ptr(values)
                    .ptr(indices).ptr(tickets.address(name)).ptr(out.address()).i64(outOffset).i64(outer));
        } finally {
            kernels.free(part);
        }
    }

    /**
     * A full F32 sum of the {@code n} floats at {@code x} (16-byte aligned) in {@code splits} chunks:
     * {@code reduce_sum_f32}, a block per chunk (never more than {@link #SPLIT_TARGET_BLOCKS}), the
     * same bits as {@code reduce_split_f32} with none of its other paths.
     */
    private void fullSum(String name, Object shapes, long x, long n, long chunk, long splits, long out) {
        CudaBuffer slots = (CudaBuffer) kernels.allocate(DType.F64, splits);
        try {
            module.launch(name, shapes, "reduce_sum_f32", Dim3.of((int) splits), Dim3.of(LaunchGeometry.BLOCK), KernelParams.of()
                    .ptr(x).i64(n).i64(chunk).i64(splits).ptr(slots.address()).ptr(tickets.address(name)).ptr(out));
        } finally {
            kernels.free(slots);
        }
    }

    /**
     * The columns of a tile, as {@code reduce.cu}'s {@code col_tile_width}: 32, or the power of two
     * that holds fewer columns, so that a warp reads several rows of a narrow tile at once.
     */
    static int columnTileWidth(long cols) {
        return (int) Math.min(32, Long.highestOneBit(Math.max(1, 2 * cols - 1)));
    }

    /**
     * The column kernel over {@code c}: a block per tile of {@link #columnTileWidth} columns (of one
     * outer index) and chunk of rows; the rows are cut as {@link #splits} cuts rows, tiles standing
     * for rows, with chunks of at least {@link #MIN_COLUMN_CHUNK} rows, towards
     * {@link #F32_COLUMN_TARGET_BLOCKS} blocks for F32. Slots: 32 per block.
     */
    private void reduceColumns(ReduceOp op, String name, Object shapes, DType t, long x, long xOffset, ReduceLayout.Columns c,
            long out, long outOffset) {
        long start = x + xOffset * t.byteSize();
        if (op == ReduceOp.SUM && readsQuads(t, start, c)) {
            columnQuadSums(name, shapes, start, c, out + outOffset * t.byteSize());
            return;
        }
        int width = columnTileWidth(c.cols());
        long tiles = c.outer() * ((c.cols() + width - 1) / width);
        ColumnChunks cut = ColumnChunks.of(name, shapes, tiles, c.rows(), t == DType.F32 ? F32_COLUMN_TARGET_BLOCKS : SPLIT_TARGET_BLOCKS);
        long splits = cut.splits(), chunk = cut.chunk();
        long slots = tiles * splits * 32;
        CudaBuffer part = splits == 1 ? null : (CudaBuffer) kernels.allocate(DType.I64, 2 * slots);  // values, then indices
        try {
            long values = part == null ? 0 : part.address(), indices = part == null ? 0 : values + 8 * slots;
            module.launch(name, shapes, "reduce_cols_" + CudaBuffer.suffix(t), grid(tiles * splits), Dim3.of(LaunchGeometry.BLOCK),
                    KernelParams.of().i32(op.ordinal()).ptr(x).i64(xOffset).i64(c.outerStride()).i64(c.rowStride())
                            .i64(c.colStride()).i64(c.outer()).i64(c.rows()).i64(c.cols()).i64(chunk).i64(splits).ptr(values)
                            .ptr(indices).ptr(splits == 1 ? 0 : tickets.address(name)).ptr(out).i64(outOffset));
        } finally {
            if (part != null) {
                kernels.free(part);
            }
        }
    }

    /**
     * Whether {@code reduce_cols_sum_f32x4} can read the F32 columns of {@code c} from {@code start}
     * four at a time: contiguous columns, a multiple of 4 of them, and every row of every plane
     * starting on 16 bytes.
     */
    private static boolean readsQuads(DType t, long start, ReduceLayout.Columns c) {
        return t == DType.F32 && start % 16 == 0 && c.colStride() == 1 && c.cols() % 4 == 0 && c.rowStride() % 4 == 0
                && (c.outer() == 1 || c.outerStride() % 4 == 0);
    }

    /**
     * F32 column sums four columns a lane ({@code reduce_cols_sum_f32x4}): tiles of
     * {@link #columnTileWidth} quads, cut into chunks of rows as {@link #reduceColumns} cuts its
     * tiles; 128 slots per block.
     */
    private void columnQuadSums(String name, Object shapes, long x, ReduceLayout.Columns c, long out) {
        long quads = c.cols() / 4;
        int width = columnTileWidth(quads);
        long tiles = c.outer() * ((quads + width - 1) / width);
        ColumnChunks cut = ColumnChunks.of(name, shapes, tiles, c.rows(), F32_COLUMN_TARGET_BLOCKS);
        long splits = cut.splits(), chunk = cut.chunk();
        CudaBuffer slots = splits == 1 ? null : (CudaBuffer) kernels.allocate(DType.F64, tiles * splits * 128);
        try {
            module.launch(name, shapes, "reduce_cols_sum_f32x4", grid(tiles * splits), Dim3.of(LaunchGeometry.BLOCK),
                    KernelParams.of().ptr(x).i64(c.outerStride()).i64(c.rowStride()).i64(c.outer()).i64(c.rows()).i64(c.cols())
                            .i64(chunk).i64(splits).ptr(slots == null ? 0 : slots.address())
                            .ptr(splits == 1 ? 0 : tickets.address(name)).ptr(out));
        } finally {
            if (slots != null) {
                kernels.free(slots);
            }
        }
    }

    /**
     * How a column kernel cuts each of {@code tiles} tiles' {@code rows} rows: as {@link #splits}
     * cuts rows, tiles standing for rows, towards {@code target} blocks with chunks of at least
     * {@link #MIN_COLUMN_CHUNK} rows and no empty last chunk; a split takes one ticket per tile.
     */
    private record ColumnChunks(long splits, long chunk) {
        static ColumnChunks of(String name, Object shapes, long tiles, long rows, long target) {
            long splits = LaunchGeometry.splits(tiles, rows, target, MIN_COLUMN_CHUNK);
            long chunk = (rows + splits - 1) / splits;
            splits = (rows + chunk - 1) / chunk;  // no empty last chunk
            if (splits > 1) {
                checkTickets(name, tiles, "column tiles", splits, shapes);
            }
            return new ColumnChunks(splits, chunk);
        }
    }

    /** A split launch takes one ticket per row (or column tile): {@link #splits} never cuts more than there are. */
    private static void checkTickets(String name, long units, String what, long splits, Object shapes) {
        if (units > MAX_SPLIT_ROWS) {
            throw new IllegalStateException("cuda: " + name + ": " + units + " " + what + " cut into " + splits + " chunks, but there are "
                    + MAX_SPLIT_ROWS + " tickets (" + shapes + "); splits() must not cut that many " + what);
        }
    }

    private static Dim3 grid(long blocks) {
        return Dim3.of((int) Math.min(blocks, LaunchGeometry.MAX_GRID));
    }

    /**
     * The stride between rows when the last {@code shape.length - nk} axes are one contiguous run
     * and the first {@code nk} collapse into one strided axis (0 for a broadcast one); {@link #NOT_ROWS}
     * when they do not.
     */
    static long rowStride(int[] shape, long[] strides, int nk, long inner) {
        long expected = 1;
        for (int d = shape.length - 1; d >= nk; d--) {
            if (shape[d] != 1) {
                if (strides[d] != expected) {
                    return NOT_ROWS;
                }
                expected *= shape[d];
            }
        }
        long row = NOT_ROWS, next = 0;
        for (int d = nk - 1; d >= 0; d--) {
            if (shape[d] == 1) {
                continue;
            }
            if (row == NOT_ROWS) {
                row = strides[d];
            } else if (strides[d] != next) {
                return NOT_ROWS;
            }
            next = strides[d] * shape[d];
        }
        return row == NOT_ROWS ? inner : row;
    }

    private static void check(ReduceOp op, String name, Strided x, int[] axes, Strided out, DType t, DType outType,
            Object shapes) {
        int r = x.rank();
        for (int i = 0; i < axes.length; i++) {
            if (axes[i] < 0 || axes[i] >= r || (i > 0 && axes[i] <= axes[i - 1])) {
                throw new IllegalArgumentException("cuda: " + name + ": axes must be sorted, distinct and in [0, " + r + "), got "
                        + shapes + "; the tensor layer normalizes them");
            }
        }
        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
        if (arg && axes.length != 1) {
            throw new IllegalArgumentException("cuda: " + name + " reduces exactly one axis, got " + shapes
                    + "; flatten first to reduce several");
        }
        if (t == DType.BOOL && op != ReduceOp.SUM) {
            throw new IllegalArgumentException("cuda: " + name + " is not defined for BOOL (" + shapes
                    + "); convert with .to(DType.I64) first");
        }
        DType want = arg || t == DType.BOOL ? DType.I64 : t;
        if (outType != want) {
            throw new IllegalArgumentException("cuda: " + name + ": the output must be " + want + ", got " + outType + " ("
                    + shapes + ")");
        }
        int[] keep = x.shape().clone();
        for (int a : axes) {
            keep[a] = 1;
        }
        // An empty output has nothing to write, whatever its strides (Strided.isContiguous says no for some).
        if (!Arrays.equals(keep, out.shape()) || (out.numel() > 0 && !out.isContiguous())) {
            throw new IllegalArgumentException("cuda: " + name + ": the output must be contiguous with shape " + Shape.format(keep)
                    + ", got " + out + " (" + shapes + ")");
        }
    }
}
