package dev.fathom.cuda;

import dev.fathom.cuda.FakeKernels.Desc;
import dev.fathom.spi.Buffer;
import dev.fathom.spi.RandomOp;
import dev.fathom.spi.ReduceOp;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CudaKernels}' reduce, matmul, gather/scatter-add and random against the {@link FakeDriver}:
 * the layouts the host hands each kernel (rows, columns, permuted copies, merged and split batches, stride-0 index
 * views), their launch geometry, and a fault a kernel notes turned into the CPU's exception at the next wait.
 */
class CudaKernelsComputeTest {

    private static Strided c(Buffer b, int... shape) {
        return Strided.contiguous(b, shape);
    }

    private static long addr(Buffer b) {
        return ((CudaBuffer) b).address();
    }

    // ---- reduce

    @Test
    void aReductionOverTheInnerAxesReadsTheRowsInPlace() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer x = k.allocate(DType.F32, 1000), out = k.allocate(DType.F32, 4);
            // x[4, 5, 6] at offset 7, summed over axes 1 and 2: rows of 30, 30 apart.
            k.reduce(ReduceOp.SUM, new Strided(x, new int[] {4, 5, 6}, new long[] {30, 6, 1}, 7), new int[] {1, 2}, c(out, 4, 1, 1));
            assertEquals(0, d.launches("copy_f32_f32").size(), "no copy needed");
            FakeDriver.Launch l = d.launches("reduce_f32").getFirst();
            assertArrayEquals(new int[] {4, 1, 1}, l.grid(), "one block per row");
            assertArrayEquals(new int[] {32, 1, 1}, l.block(), "30 elements: one warp");
            assertEquals(List.of(ReduceOp.SUM.ordinal(), addr(x), 7L, 30L, 30L, addr(out), 0L, 4L), values(l));
        }
    }

    @Test
    void fewLongRowsAreCutIntoChunksAndMergedByTheLastBlockOfEachRow() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer x = k.allocate(DType.F32, 60_000), out = k.allocate(DType.I64, 3);
            long live = k.memoryStats().liveBuffers();
            // 3 rows of 20000: min(ceil(1024 / 3), 20000 / 4096) = 4 chunks of 5000 each.
            k.reduce(ReduceOp.ARGMAX, c(x, 3, 20_000), new int[] {1}, c(out, 3, 1));
            assertEquals(0, d.launches("reduce_f32").size(), "not one block per row");
            assertEquals(1, d.launches().stream().filter(l -> l.kernel().startsWith("reduce")).count(), "one launch: no merge kernel");
            FakeDriver.Launch split = d.launches("reduce_split_f32").getFirst();
            assertArrayEquals(new int[] {12, 1, 1}, split.grid(), "a block per chunk");
            assertArrayEquals(new int[] {256, 1, 1}, split.block());
            List<Object> sv = values(split);
            long slots = (Long) sv.get(7), tickets = (Long) sv.get(9);
            assertEquals(List.of(ReduceOp.ARGMAX.ordinal(), addr(x), 0L, 20_000L, 20_000L, 5000L, 4L), sv.subList(0, 7));
            assertEquals(slots + 12 * 8, sv.get(8), "indices follow the 12 value slots");
            assertEquals(List.of(addr(out), 0L, 3L), sv.subList(10, 13));
            List<FakeDriver.Launch> zeroed = d.launches("fill_u8");
            assertEquals(1, zeroed.size(), "the tickets are zeroed once, before their first use");
            assertEquals(tickets, values(zeroed.getFirst()).getFirst());
            assertEquals(live, k.memoryStats().liveBuffers(), "the slots went back to the cache");
            // A second split reduction reuses the tickets (each launch leaves them at zero) and zeroes nothing.
            k.reduce(ReduceOp.SUM, c(x, 3, 20_000), new int[] {1}, c(k.allocate(DType.F32, 3), 3, 1));
            assertEquals(tickets, values(d.launches("reduce_split_f32").get(1)).get(9));
            assertEquals(1, d.launches("fill_u8").size());
        }
        assertEquals(ReduceLaunches.MAX_SPLIT_ROWS - 1, 1023 / 2, "every row count splits() cuts has a ticket");
        assertEquals(1, ReduceLaunches.splits(ReduceLaunches.MAX_SPLIT_ROWS, 1 << 24));
        assertEquals(3, ReduceLaunches.splits(ReduceLaunches.MAX_SPLIT_ROWS - 1, 1 << 24), "ceil(1024 / 511)");
    }

    @Test
    void aProductWithFewTilesAndALongKIsSplitIntoSlicesOfKAndSummed() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer a = k.allocate(DType.F32, 128 * 3136), b = k.allocate(DType.F32, 3136 * 128), out = k.allocate(DType.F32, 128 * 128);
            long live = k.memoryStats().liveBuffers();
            // 4 tiles of 64 x 64: min(ceil(128 / 4), 3136 / 256) = 12 slices of 272 (a multiple of 16): 11 full, one of 144.
            k.matmul(c(a, 128, 3136), c(b, 3136, 128), c(out, 128, 128));
            List<FakeDriver.Launch> gemms = d.launches("gemm_f32");
            assertEquals(2, gemms.size(), "the full slices as one batch, then the shorter last one");
            assertArrayEquals(new int[] {2, 2, 11}, gemms.get(0).grid(), "a batch index per slice");
            List<Object> full = values(gemms.get(0)), tail = values(gemms.get(1));
            long parts = (Long) full.get(12);
            // a, a offset, outer, inner batch stride (kc columns of A), rs, cs; b likewise (kc rows of B); c, c offset; m, n, k, batch inner
            assertEquals(List.of(addr(a), 0L, 0L, 272L, 3136L, 1L, addr(b), 0L, 0L, 272L * 128, 128L, 1L), full.subList(0, 12));
            assertEquals(List.of(0L, 128, 128, 272, 11, 0), full.subList(13, 19));
            assertEquals(List.of(addr(a), 11L * 272, 0L, 0L, 3136L, 1L, addr(b), 11L * 272 * 128), tail.subList(0, 8));
            assertEquals(List.of(parts, 11L * 128 * 128, 128, 128, 144, 1, 0), tail.subList(12, 19));
            FakeDriver.Launch sum = d.launches("gemm_splitk_sum_f32").getFirst();
            assertEquals(List.of(parts, 12L, 128L * 128, addr(out), 0L, 0), values(sum));
            assertEquals(live, k.memoryStats().liveBuffers(), "the slices went back to the cache");
        }
        assertEquals(1, GemmLaunches.splitK(64, 100_000), "tiles enough for half the target");
        assertEquals(1, GemmLaunches.splitK(1, 511), "K shorter than two slices");
        assertEquals(2, GemmLaunches.splitK(1, 512));
        assertEquals(3, GemmLaunches.splitK(63, 100_000), "ceil(128 / 63)");
    }

    @Test
    void aSquareProductJustShortOfTheLargeTilesThresholdIsSplitToReachIt() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer a = k.allocate(DType.F32, 1024 * 1024), b = k.allocate(DType.F32, 1024 * 1024), out = k.allocate(DType.F32, 1024 * 1024);
            k.matmul(c(a, 1024, 1024), c(b, 1024, 1024), c(out, 1024, 1024));
            FakeDriver.Launch slices = d.launches("gemm_f32_128_nn").getFirst();
            assertArrayEquals(new int[] {8, 8, 2}, slices.grid(), "64 tiles of 128 x 2 slices of 512: the 128 blocks the large tile needs");
            assertEquals(List.of(512, 2), values(slices).subList(16, 18), "k and the slices");
            assertEquals(1, d.launches("gemm_splitk_sum_f32").size());
        }
        int min = GemmGeometry.DEFAULT_MIN_LARGE_BLOCKS;
        assertEquals(1, GemmLaunches.splitK(DType.F32, 2048, 2048, 2048, min), "256 large tiles: enough");
        assertEquals(1, GemmLaunches.splitK(DType.F64, 1024, 1024, 1024, min), "no large tile for F64");
        assertEquals(1, GemmLaunches.splitK(DType.F32, 1024, 1024, 1024, 0), "the large tile already taken");
        assertEquals(1, GemmLaunches.splitK(DType.F32, 1024, 1024, 511, min), "K too short for two slices");
        assertEquals(1, GemmLaunches.splitK(DType.F32, 768, 768, 768, min), "36 tiles x 3 slices: still under 128, no split");
    }

    @Test
    void rowsAreSplitOnlyWhenTheyAreFewAndLong() {
        assertEquals(1024, ReduceLaunches.splits(1, 1 << 24), "a full sum: the target's blocks");
        assertEquals(2, ReduceLaunches.splits(1, 2 * ReduceLaunches.MIN_CHUNK), "no chunk under the minimum");
        assertEquals(1, ReduceLaunches.splits(1, 2 * ReduceLaunches.MIN_CHUNK - 1), "a short row stays one block");
        assertEquals(1, ReduceLaunches.splits(512, 1 << 24), "rows enough for half the target");
        assertEquals(3, ReduceLaunches.splits(511, 1 << 24), "ceil(1024 / 511)");
    }

    private static List<Object> values(FakeDriver.Launch l) {
        return l.args().stream().map(a -> switch (a) {
            case KernelParams.I32 i -> (Object) i.value();
            case KernelParams.I64 i -> i.value();
            case KernelParams.Ptr p -> p.address();
            case KernelParams.F64 f -> f.value();
            default -> a.toString();
        }).toList();
    }

    @Test
    void aColumnReductionReadsTheColumnsInPlace() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer x = k.allocate(DType.F64, 20), out = k.allocate(DType.I64, 5);
            int allocs = d.calls("cuMemAlloc");
            k.reduce(ReduceOp.ARGMAX, c(x, 4, 5), new int[] {0}, c(out, 1, 5));
            assertEquals(0, d.launches("copy_f64_f64").size(), "no copy");
            FakeDriver.Launch l = d.launches("reduce_cols_f64").getFirst();
            assertArrayEquals(new int[] {1, 1, 1}, l.grid(), "one tile of 8 columns, 4 rows: one chunk");
            assertArrayEquals(new int[] {256, 1, 1}, l.block());
            // op, x, offset, outer stride, row stride, column stride, outer, rows, cols, chunk, splits,
            // no slots or tickets, out, out offset
            assertEquals(List.of(ReduceOp.ARGMAX.ordinal(), addr(x), 0L, 0L, 5L, 1L, 1L, 4L, 5L, 4L, 1L, 0L, 0L, 0L, addr(out), 0L),
                    values(l));
            assertEquals(allocs, d.calls("cuMemAlloc"), "no temporary");

            // [3, 7, 40] at offset 2 over its middle axis: 3 planes of 2 tiles.
            Buffer y = k.allocate(DType.F32, 3 * 7 * 40 + 2), sums = k.allocate(DType.F32, 120);
            k.reduce(ReduceOp.SUM, new Strided(y, new int[] {3, 7, 40}, new long[] {280, 40, 1}, 2), new int[] {1}, c(sums, 3, 1, 40));
            FakeDriver.Launch m = d.launches("reduce_cols_f32").getFirst();
            assertArrayEquals(new int[] {6, 1, 1}, m.grid());
            assertEquals(List.of(ReduceOp.SUM.ordinal(), addr(y), 2L, 280L, 40L, 1L, 3L, 7L, 40L, 7L, 1L), values(m).subList(0, 11));
        }
    }

    @Test
    void fewLongColumnsAreCutIntoChunksAndMergedByTheLastBlockOfEachTile() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer x = k.allocate(DType.F32, 60_000), out = k.allocate(DType.F32, 3);
            long live = k.memoryStats().liveBuffers();
            // [20000, 3] over rows: one tile (of 4 columns); min(1024, 20000 / 128) = 156 chunks of 129 rows.
            k.reduce(ReduceOp.SUM, c(x, 20_000, 3), new int[] {0}, c(out, 1, 3));
            FakeDriver.Launch l = d.launches("reduce_cols_f32").getFirst();
            assertArrayEquals(new int[] {156, 1, 1}, l.grid(), "a block per chunk");
            List<Object> v = values(l);
            assertEquals(List.of(ReduceOp.SUM.ordinal(), addr(x), 0L, 0L, 3L, 1L, 1L, 20_000L, 3L, 129L, 156L), v.subList(0, 11));
            long slots = (Long) v.get(11);
            assertEquals(slots + 156 * 32 * 8, v.get(12), "indices follow the 32 value slots of each chunk");
            assertEquals(values(d.launches("fill_u8").getFirst()).getFirst(), v.get(13), "the rows' tickets");
            assertEquals(List.of(addr(out), 0L), v.subList(14, 16));
            assertEquals(live, k.memoryStats().liveBuffers(), "the slots went back to the cache");
        }
    }

    @Test
    void aFullF32SumOnSixteenBytesTakesTheOneRowSumKernel() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer x = k.allocate(DType.F32, 1 << 20), out = k.allocate(DType.F32, 2);
            long live = k.memoryStats().liveBuffers();
            // 2^20 floats: min(1024, 2^20 / 4096) = 256 chunks of 4096.
            k.reduce(ReduceOp.SUM, c(x, 1 << 20), new int[] {0}, new Strided(out, new int[] {1}, new long[] {1}, 1));
            assertEquals(0, d.launches("reduce_split_f32").size());
            FakeDriver.Launch l = d.launches("reduce_sum_f32").getFirst();
            assertArrayEquals(new int[] {256, 1, 1}, l.grid(), "a block per chunk");
            assertArrayEquals(new int[] {256, 1, 1}, l.block());
            List<Object> v = values(l);
            assertEquals(List.of(addr(x), 1L << 20, 4096L, 256L), v.subList(0, 4));
            assertEquals(values(d.launches("fill_u8").getFirst()).getFirst(), v.get(5), "the rows' first ticket");
            assertEquals(addr(out) + 4, v.get(6), "out at its offset");
            assertEquals(live, k.memoryStats().liveBuffers(), "the slots went back to the cache");
            // Off 16 bytes (offset 1), a MAX, or two rows: the split kernel, as before.
            k.reduce(ReduceOp.SUM, new Strided(x, new int[] {100_000}, new long[] {1}, 1), new int[] {0}, c(out, 1));
            k.reduce(ReduceOp.MAX, c(x, 1 << 20), new int[] {0}, c(out, 1));
            k.reduce(ReduceOp.SUM, c(x, 2, 1 << 19), new int[] {1}, c(out, 2, 1));
            assertEquals(3, d.launches("reduce_split_f32").size());
            assertEquals(1, d.launches("reduce_sum_f32").size());
        }
    }

    @Test
    void contiguousF32ColumnSumsOnSixteenBytesReadQuadsOfColumns() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer x = k.allocate(DType.F32, 16_384 * 1024), out = k.allocate(DType.F32, 1024);
            long live = k.memoryStats().liveBuffers();
            // A bias gradient [16384, 1024] over rows: 256 quads in 8 tiles of 32; min(ceil(768 / 8), 16384 / 128) = 96
            // chunks of 171 rows.
            k.reduce(ReduceOp.SUM, c(x, 16_384, 1024), new int[] {0}, c(out, 1, 1024));
            assertEquals(0, d.launches("reduce_cols_f32").size());
            FakeDriver.Launch l = d.launches("reduce_cols_sum_f32x4").getFirst();
            assertArrayEquals(new int[] {768, 1, 1}, l.grid(), "8 tiles x 96 chunks: one wave of 6 blocks per SM on 128 SMs");
            List<Object> v = values(l);
            // x, outer stride, row stride, outer, rows, cols, chunk, splits, slots, tickets, out
            assertEquals(List.of(addr(x), 0L, 1024L, 1L, 16_384L, 1024L, 171L, 96L), v.subList(0, 8));
            assertEquals(values(d.launches("fill_u8").getFirst()).getFirst(), v.get(9), "the tiles' tickets");
            assertEquals(addr(out), v.get(10));
            assertEquals(live, k.memoryStats().liveBuffers(), "the slots went back to the cache");
            // [3, 7, 40] over its middle axis, planes 280 apart: 10 quads, one tile of 16 each, no split (no slots, no tickets).
            k.reduce(ReduceOp.SUM, new Strided(x, new int[] {3, 7, 40}, new long[] {280, 40, 1}, 4), new int[] {1}, c(out, 3, 1, 40));
            assertEquals(List.of(addr(x) + 16, 280L, 40L, 3L, 7L, 40L, 7L, 1L, 0L, 0L, addr(out)),
                    values(d.launches("reduce_cols_sum_f32x4").get(1)));
            // Off 16 bytes, columns not a multiple of 4, a row stride that is not, F64, or a MAX: the scalar column kernels.
            k.reduce(ReduceOp.SUM, new Strided(x, new int[] {7, 40}, new long[] {40, 1}, 2), new int[] {0}, c(out, 1, 40));
            k.reduce(ReduceOp.SUM, c(x, 7, 42), new int[] {0}, c(out, 1, 42));
            k.reduce(ReduceOp.SUM, new Strided(x, new int[] {7, 40}, new long[] {42, 1}, 0), new int[] {0}, c(out, 1, 40));
            k.reduce(ReduceOp.MAX, c(x, 7, 40), new int[] {0}, c(out, 1, 40));
            assertEquals(4, d.launches("reduce_cols_f32").size());
            assertEquals(2, d.launches("reduce_cols_sum_f32x4").size());
            // The scalar F32 kernel aims for the same 768 blocks (32 tiles x 24 chunks), F64 for 1024 (32 x 32).
            k.reduce(ReduceOp.SUM, c(x, 16_384, 1022), new int[] {0}, c(out, 1, 1022));
            assertArrayEquals(new int[] {768, 1, 1}, d.launches("reduce_cols_f32").get(4).grid());
            Buffer y = k.allocate(DType.F64, 16_384 * 1022), sums = k.allocate(DType.F64, 1022);
            k.reduce(ReduceOp.SUM, c(y, 16_384, 1022), new int[] {0}, c(sums, 1, 1022));
            assertArrayEquals(new int[] {1024, 1, 1}, d.launches("reduce_cols_f64").getFirst().grid());
        }
    }

    @Test
    void aConvBiasGradientReducesRowsThenColumnsWithoutACopy() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer x = k.allocate(DType.F32, 120), out = k.allocate(DType.F32, 3);
            long live = k.memoryStats().liveBuffers();
            // [N=2, C=3, H=4, W=5] over N, H, W: rows (n, c) of 20, then [2, 3] over n.
            k.reduce(ReduceOp.SUM, c(x, 2, 3, 4, 5), new int[] {0, 2, 3}, c(out, 1, 3, 1, 1));
            assertEquals(0, d.launches("copy_f32_f32").size(), "no copy");
            List<Object> rows = values(d.launches("reduce_f32").getFirst());
            assertEquals(List.of(ReduceOp.SUM.ordinal(), addr(x), 0L, 20L, 20L), rows.subList(0, 5));
            assertEquals(List.of(0L, 6L), rows.subList(6, 8), "6 rows into the temporary");
            List<Object> cols = values(d.launches("reduce_cols_f32").getFirst());
            assertEquals(List.of(ReduceOp.SUM.ordinal(), rows.get(5), 0L, 0L, 3L, 1L, 1L, 2L, 3L, 2L, 1L), cols.subList(0, 11));
            assertEquals(List.of(addr(out), 0L), cols.subList(14, 16));
            assertEquals(live, k.memoryStats().liveBuffers(), "the temporary went back to the cache");
            // ARG* has one axis, so never this layout; a BOOL count goes through an I64 temporary.
            Buffer m = k.allocate(DType.BOOL, 120), n = k.allocate(DType.I64, 3);
            k.reduce(ReduceOp.SUM, c(m, 2, 3, 4, 5), new int[] {0, 2, 3}, c(n, 1, 3, 1, 1));
            assertEquals(1, d.launches("reduce_u8").size());
            assertEquals(1, d.launches("reduce_cols_i64").size());
        }
    }

    @Test
    void anyOtherLayoutIsCopiedKeptAxesFirstIntoATemporary() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer x = k.allocate(DType.F64, 120), out = k.allocate(DType.F64, 8);
            long live = k.memoryStats().liveBuffers();
            // [2, 3, 4, 5] over axes 1 and 3: two kept runs around reduced ones.
            k.reduce(ReduceOp.MAX, c(x, 2, 3, 4, 5), new int[] {1, 3}, c(out, 2, 1, 4, 1));
            FakeDriver.Launch copy = d.launches("copy_f64_f64").getFirst();
            Desc src = Desc.of(copy.struct(1));
            assertArrayEquals(new long[] {2, 4, 3, 5}, src.sizes());
            assertArrayEquals(new long[] {60, 5, 20, 1}, src.strides(), "kept axes first");
            FakeDriver.Launch l = d.launches("reduce_f64").getFirst();
            assertEquals(List.of(ReduceOp.MAX.ordinal(), copy.ptr(2), 0L, 15L, 15L, addr(out), 0L, 8L), values(l));
            assertEquals(live, k.memoryStats().liveBuffers(), "the temporary went back to the cache");
            int allocs = d.calls("cuMemAlloc");
            k.reduce(ReduceOp.MAX, c(x, 2, 3, 4, 5), new int[] {1, 3}, c(out, 2, 1, 4, 1));
            assertEquals(allocs, d.calls("cuMemAlloc"), "and is reused by the next call");
        }
    }

    @Test
    void columnTilesAreAWarpWideOrThePowerOfTwoThatHoldsFewerColumns() {
        assertEquals(List.of(1, 2, 4, 4, 8, 16, 32, 32, 32), java.util.stream.LongStream.of(1, 2, 3, 4, 5, 9, 17, 32, 1000)
                .mapToObj(ReduceLaunches::columnTileWidth).toList());
    }

    @Test
    void rowStrideAcceptsMergedAndBroadcastKeptAxesOnly() {
        // kept [2, 3] with strides [30, 10], reduced [10] contiguous: rows 10 apart.
        assertEquals(10, ReduceLaunches.rowStride(new int[] {2, 3, 10}, new long[] {30, 10, 1}, 2, 10));
        // a broadcast kept axis re-reads one row.
        assertEquals(0, ReduceLaunches.rowStride(new int[] {4, 10}, new long[] {0, 1}, 1, 10));
        // size-1 axes are ignored wherever they are.
        assertEquals(10, ReduceLaunches.rowStride(new int[] {3, 1, 10, 1}, new long[] {10, 99, 1, 7}, 2, 10));
        assertEquals(ReduceLaunches.NOT_ROWS, ReduceLaunches.rowStride(new int[] {2, 3, 10}, new long[] {10, 20, 1}, 2, 10));
        assertEquals(ReduceLaunches.NOT_ROWS, ReduceLaunches.rowStride(new int[] {4, 10}, new long[] {1, 4}, 1, 10));
        assertEquals(ReduceLaunches.NOT_ROWS, ReduceLaunches.rowStride(new int[] {4, 10}, new long[] {10, 0}, 1, 10));
        assertEquals(32, ReduceLaunches.block(0));
        assertEquals(64, ReduceLaunches.block(33));
        assertEquals(256, ReduceLaunches.block(100_000));
    }

    @Test
    void boolSumsCountIntoI64AndBadReductionsAreRejected() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer m = k.allocate(DType.BOOL, 6), n = k.allocate(DType.I64, 2), f = k.allocate(DType.F32, 6);
            k.reduce(ReduceOp.SUM, c(m, 2, 3), new int[] {1}, c(n, 2, 1));
            assertEquals(1, d.launches("reduce_u8").size());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.reduce(ReduceOp.MAX, c(m, 2, 3), new int[] {1}, c(n, 2, 1)));
            assertEquals("cuda: max is not defined for BOOL ([2, 3] over axes [1] BOOL); convert with .to(DType.I64) first",
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.reduce(ReduceOp.ARGMIN, c(f, 2, 3), new int[] {0, 1}, c(n, 1, 1)));
            assertEquals("cuda: argmin reduces exactly one axis, got [2, 3] over axes [0, 1] F32; flatten first to reduce several",
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.reduce(ReduceOp.SUM, c(f, 2, 3), new int[] {1}, c(n, 2, 1)));
            assertEquals("cuda: sum: the output must be F32, got I64 ([2, 3] over axes [1] F32)", e.getMessage());
            k.reduce(ReduceOp.SUM, c(f, 0, 3), new int[] {1}, c(f, 0, 1));
            // An empty output as the tensor layer makes it: Strided.isContiguous() is false for these strides.
            k.reduce(ReduceOp.SUM, c(f, 2, 0, 3), new int[] {2}, new Strided(f, new int[] {2, 0, 1}, new long[] {1, 1, 1}, 0));
            assertEquals(0, d.launches("reduce_f32").size(), "no rows: no launch");
        }
    }

    // ---- matmul

    @Test
    void aBatchedMatmulWithATransposedBroadcastOperandIsOneLaunch() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer a = k.allocate(DType.F32, 2 * 70 * 5), b = k.allocate(DType.F32, 5 * 130), out = k.allocate(DType.F32, 2 * 70 * 130);
            // b is a [130, 5] matrix seen transposed and broadcast over the batch.
            Strided bt = new Strided(b, new int[] {2, 5, 130}, new long[] {0, 1, 5}, 0);
            k.matmul(c(a, 2, 70, 5), bt, c(out, 2, 70, 130));
            FakeDriver.Launch l = d.launches("gemm_f32").getFirst();
            assertArrayEquals(new int[] {3, 2, 2}, l.grid(), "ceil(130/64) x ceil(70/64) x batch 2");
            assertArrayEquals(new int[] {256, 1, 1}, l.block());
            assertEquals(List.of(addr(a), 0L, 0L, 350L, 5L, 1L, addr(b), 0L, 0L, 0L, 1L, 5L, addr(out), 0L, 70, 130, 5, 2, 0),
                    values(l));
        }
    }

    @Test
    void largeF32ProductsRunThe128TileKernelOfTheirLayoutAndSmallOnesThe64Tile() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer a = k.allocate(DType.F32, 128 * 128 * 8), b = k.allocate(DType.F32, 8 * 128), out = k.allocate(DType.F32, 128 * 128 * 128);
            // b is a [128, 8] matrix seen transposed and broadcast over a batch of 128: 128 blocks of 128 x 128.
            Strided bt = new Strided(b, new int[] {128, 8, 128}, new long[] {0, 1, 8}, 0);
            k.matmul(c(a, 128, 128, 8), bt, c(out, 128, 128, 128));
            FakeDriver.Launch l = d.launches("gemm_f32_128_nt").getFirst();
            assertArrayEquals(new int[] {1, 1, 128}, l.grid(), "ceil(128/128) x ceil(128/128) x batch 128");
            assertArrayEquals(new int[] {256, 1, 1}, l.block());
            assertEquals(List.of(addr(a), 0L, 0L, 1024L, 8L, 1L, addr(b), 0L, 0L, 0L, 1L, 8L, addr(out), 0L, 128, 128, 8, 128, 0),
                    values(l), "the same parameters as gemm_f32");
            assertTrue(d.launches("gemm_f32").isEmpty());
            // Half the batch is 64 blocks, under the threshold: the 64 x 64 kernel, 4 blocks per product.
            Strided bt64 = new Strided(b, new int[] {64, 8, 128}, new long[] {0, 1, 8}, 0);
            k.matmul(c(a, 64, 128, 8), bt64, c(out, 64, 128, 128));
            assertArrayEquals(new int[] {2, 2, 64}, d.launches("gemm_f32").getFirst().grid());
            // A transposed a (its row stride is 1) and a row-major b broadcast over the batch: "tn".
            Strided at = new Strided(a, new int[] {128, 128, 8}, new long[] {1024, 1, 128}, 0);
            Strided bb = new Strided(b, new int[] {128, 8, 128}, new long[] {0, 128, 1}, 0);
            k.matmul(at, bb, c(out, 128, 128, 128));
            assertEquals(1, d.launches("gemm_f32_128_tn").size());
        }
    }

    @Test
    void batchDimsMergeWhereBothOperandsAllowAndTheRestAreWalkedOnTheHost() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer a = k.allocate(DType.F64, 2 * 3 * 4 * 6), b = k.allocate(DType.F64, 2 * 4 * 6), out = k.allocate(DType.F64, 24 * 4);
            // a [2, 3, 4, 2, 3] contiguous; b [2, 3, 4, 3, 2] broadcast over dim 1 only: no merge across it.
            Strided av = c(a, 2, 3, 4, 2, 3);
            Strided bv = new Strided(b, new int[] {2, 3, 4, 3, 2}, new long[] {24, 0, 6, 2, 1}, 0);
            assertEquals(List.of(new GemmLaunches.BatchDim(2, 72, 24), new GemmLaunches.BatchDim(3, 24, 0),
                    new GemmLaunches.BatchDim(4, 6, 6)), GemmLaunches.batchDims(av, bv, c(out, 2, 3, 4, 2, 2)));
            k.matmul(av, bv, c(out, 2, 3, 4, 2, 2));
            List<FakeDriver.Launch> ls = d.launches("gemm_f64");
            assertEquals(6, ls.size(), "one launch per (i0, i1), each over the 4 of the last dim");
            FakeDriver.Launch fifth = ls.get(4); // (1, 1)
            assertArrayEquals(new int[] {1, 1, 4}, fifth.grid());
            assertEquals(List.of(addr(a), 96L, 0L, 6L, 3L, 1L, addr(b), 24L, 0L, 6L, 2L, 1L, addr(out), 64L, 2, 2, 3, 4, 0),
                    values(fifth));
            // Merged: a plain contiguous [2, 3, 4] batch is one launch of 24.
            k.matmul(av, new Strided(b, new int[] {2, 3, 4, 3, 2}, new long[] {0, 0, 6, 2, 1}, 0), c(out, 2, 3, 4, 2, 2));
            assertEquals(7, d.launches("gemm_f64").size(), "b broadcast over both leading dims merges them: one launch");
        }
    }

    @Test
    void batchesOverTheGridLimitAreSplit() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            int batch = 70_000;
            Buffer a = k.allocate(DType.F32, batch), out = k.allocate(DType.F32, batch);
            k.matmul(c(a, batch, 1, 1), c(a, batch, 1, 1), c(out, batch, 1, 1));
            List<FakeDriver.Launch> ls = d.launches("gemm_f32");
            assertEquals(2, ls.size());
            assertArrayEquals(new int[] {1, 1, 65535}, ls.get(0).grid());
            assertArrayEquals(new int[] {1, 1, batch - 65535}, ls.get(1).grid());
            assertEquals(65535L, ls.get(1).i64(1), "a's offset moves to the second chunk");
            assertEquals(65535L, ls.get(1).i64(13), "and so does c's");
            assertEquals(batch - 65535, ls.get(1).i32(17), "batch_inner is the chunk");
        }
    }

    @Test
    void rowsOverTheGridLimitAreSplit() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            int m = 65535 * 64 + 10;
            Buffer a = k.allocate(DType.F32, m), b = k.allocate(DType.F32, 1), out = k.allocate(DType.F32, m);
            k.matmul(c(a, m, 1), c(b, 1, 1), c(out, m, 1));
            List<FakeDriver.Launch> ls = d.launches("gemm_f32");
            assertEquals(2, ls.size());
            assertArrayEquals(new int[] {1, 65535, 1}, ls.get(0).grid());
            assertArrayEquals(new int[] {1, 1, 1}, ls.get(1).grid());
            assertEquals(65535L * 64, ls.get(1).i64(1));
            assertEquals(65535L * 64, ls.get(1).i64(13));
            assertEquals(10, ls.get(1).i32(14), "m of the last chunk");
        }
    }

    @Test
    void matmulRejectsMixedDtypesAndBadShapes() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer f = k.allocate(DType.F32, 6), g = k.allocate(DType.F64, 6);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.matmul(c(f, 2, 3), c(g, 3, 2), c(f, 2, 2)));
            assertTrue(e.getMessage().startsWith("cuda: matmul: operands and output must have one dtype, got F32, F64 and F32"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.matmul(c(f, 2, 3), c(f, 2, 3), c(f, 2, 3)));
            assertTrue(e.getMessage().endsWith("got [2, 3] @ [2, 3] -> [2, 3] F32"), e.getMessage());
            Buffer m = k.allocate(DType.BOOL, 4), l = k.allocate(DType.I64, 4);
            e = assertThrows(IllegalArgumentException.class, () -> k.matmul(c(m, 2, 2), c(m, 2, 2), c(m, 2, 2)));
            assertEquals("cuda: matmul is not defined for BOOL ([2, 2] @ [2, 2] -> [2, 2] BOOL); convert with .to(DType.F32)",
                    e.getMessage());
            k.matmul(c(l, 2, 2), c(l, 2, 2), c(l, 2, 2));
            assertEquals(1, d.launches("gemm_i64").size(), "I64 has its own GEMM (exact, wrapping like Java)");
        }
    }

    // ---- gather / scatter-add

    @Test
    void gatherSeesXWithStrideZeroOnDimAndAnOutOfRangeIndexThrowsTheCpuMessage() {
        FakeDriver d = new FakeDriver().anyKernel().kernel("fill_u8", FakeKernels.FILL_U8).kernel("copy_i64_i64", FakeKernels.COPY_8);
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer x = k.allocate(DType.F32, 12), idx = k.allocate(DType.I64, 6), out = k.allocate(DType.F32, 6);
            k.upload(new long[] {0, 3, 2, 1, 7, -1}, 0, idx, 0, 6);
            k.gather(c(x, 3, 4), 1, c(idx, 3, 2), c(out, 3, 2));
            FakeDriver.Launch l = d.launches("gather_f32").getFirst();
            assertArrayEquals(StridedDesc.pack(new int[] {3, 2}, new long[] {4, 0}, 0), l.struct(1));
            assertEquals(4L, l.i64(2), "dim size");
            assertEquals(1L, l.i64(3), "dim stride");
            assertEquals(6L, l.i64(8));
            assertEquals(10, l.args().size(), "the fault slot last");

            // The kernel notes index 7 at position 4 (and -1 after it); the gather returns, and the
            // next wait throws the CPU's message for the first bad index.
            d.kernel("gather_f32", FakeKernels.faultAt(4, 7));
            k.gather(c(x, 3, 4), 1, c(idx, 3, 2), c(out, 3, 2));
            d.kernel("gather_f32", FakeKernels.faultAt(5, -1));
            k.gather(c(x, 3, 4), 0, c(idx, 3, 2), c(out, 3, 2));
            assertEquals(0, d.calls("cuStreamSynchronize"), "gather does not wait");
            float[] host = new float[6];
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> k.download(out, 0, host, 0, 6));
            assertEquals(DeviceChecks.reported("gather: index 7 is out of range for dim 1 of size 4"), e.getMessage(),
                    "the earlier of two faulty launches");
            d.kernel("gather_f32", FakeKernels.faultAt(0, Integer.MAX_VALUE));
            k.gather(c(x, 3, 4), 1, c(idx, 3, 2), c(out, 3, 2));
            e = assertThrows(IndexOutOfBoundsException.class, k::synchronize);
            assertTrue(e.getMessage().startsWith("gather: index ≥ 2147483647 is out of range"), e.getMessage());
            k.download(out, 0, host, 0, 6);
        }
    }

    @Test
    void withSyncEveryLaunchAnOutOfRangeIndexThrowsFromTheGatherItself() {
        FakeDriver d = new FakeDriver().anyKernel().kernel("fill_u8", FakeKernels.FILL_U8)
                .kernel("gather_f32", FakeKernels.faultAt(1, 3));
        try (CudaKernels k = CudaKernels.open(d, 0, 0, KernelImages.shipped(), false, false, true)) {
            Buffer x = k.allocate(DType.F32, 12), idx = k.allocate(DType.I64, 6), out = k.allocate(DType.F32, 6);
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> k.gather(c(x, 3, 4), 0, c(idx, 3, 2), c(out, 3, 2)));
            assertEquals(DeviceChecks.reported("gather: index 3 is out of range for dim 0 of size 3"), e.getMessage());
            d.kernel("gather_f32", (dd, l) -> { });
            k.gather(c(x, 3, 4), 0, c(idx, 3, 2), c(out, 3, 2));
            k.synchronize();
        }
    }

    @Test
    void checkRangeLaunchesWithoutWaitingAndTheNextWaitThrowsTheCallersExceptionWithTheValue() {
        FakeDriver d = new FakeDriver().anyKernel().kernel("fill_u8", FakeKernels.FILL_U8);
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer t = k.allocate(DType.I64, 8), p = k.allocate(DType.F32, 4), m = k.allocate(DType.BOOL, 4);
            java.util.function.DoubleFunction<RuntimeException> failure = v -> new IllegalArgumentException("bad " + v);
            k.checkRange("crossEntropy", new Strided(t, new int[] {6}, new long[] {1}, 2), 0, 9, -100, failure);
            FakeDriver.Launch l = d.launches("check_range_i64").getFirst();
            assertEquals(List.of(addr(t) + 16, 6L, 0.0, 9.0, -100.0), values(l).subList(0, 5), "x at its offset, n, lo, hi, allowed");
            assertEquals(0, d.calls("cuStreamSynchronize"), "a check does not wait");

            d.kernel("check_range_i64", FakeKernels.faultAt(3, 12));
            k.checkRange("crossEntropy", c(t, 8), 0, 9, -100, failure);
            assertEquals("bad 12.0", assertThrows(IllegalArgumentException.class, k::synchronize).getMessage());
            d.kernel("check_range_i64", FakeKernels.faultAt(0, Integer.MIN_VALUE));
            k.checkRange("embedding", c(t, 8), 0, 9, Double.NaN, failure);
            assertEquals("bad -Infinity", assertThrows(IllegalArgumentException.class, k::synchronize).getMessage(),
                    "a value the kernel clamped to an int is only known to be beyond it");
            d.kernel("check_range_f32", FakeKernels.faultAt(1, Float.floatToIntBits(1.5f)));
            k.checkRange("bce", c(p, 4), 0, 1, Double.NaN, failure);
            float[] host = new float[4];
            assertEquals("bad 1.5", assertThrows(IllegalArgumentException.class, () -> k.download(p, 0, host, 0, 4)).getMessage(),
                    "a float's bits");

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.checkRange("bce", c(m, 4), 0, 1, Double.NaN, failure));
            assertEquals("cuda: bce: checkRange takes F32, F64 or I64, got BOOL ([4])", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> k.checkRange("bce", new Strided(p, new int[] {2}, new long[] {2}, 0), 0, 1, Double.NaN, failure));
            assertTrue(e.getMessage().startsWith("cuda: bce: checkRange takes a contiguous operand"), e.getMessage());
        }
    }

    @Test
    void boolGatherGoesThroughI64AndScatterAddIndexesTheOutput() {
        FakeDriver d = new FakeDriver().anyKernel().kernel("fill_u8", FakeKernels.FILL_U8).kernel("copy_i64_i64", FakeKernels.COPY_8);
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer m = k.allocate(DType.BOOL, 6), idx = k.allocate(DType.I64, 4), mo = k.allocate(DType.BOOL, 4);
            k.gather(c(m, 2, 3), 1, c(idx, 2, 2), c(mo, 2, 2));
            List<String> kernels = d.launches().stream().map(FakeDriver.Launch::kernel).filter(s -> !s.equals("fill_u8")).toList();
            assertEquals(List.of("copy_u8_i64", "gather_i64", "copy_i64_u8"), kernels);

            Buffer src = k.allocate(DType.F64, 4), out = k.allocate(DType.F64, 15);
            k.scatterAdd(c(src, 2, 2), 0, c(idx, 2, 2), new Strided(out, new int[] {3, 2}, new long[] {5, 1}, 1));
            FakeDriver.Launch l = d.launches("scatter_add_f64").getFirst();
            assertArrayEquals(StridedDesc.pack(new int[] {2, 2}, new long[] {0, 1}, 1), l.struct(5), "out, stride 0 on dim 0");
            assertEquals(3L, l.i64(6));
            assertEquals(5L, l.i64(7));

            d.kernel("scatter_add_f64", FakeKernels.faultAt(2, -4));
            k.scatterAdd(c(src, 2, 2), 0, c(idx, 2, 2), new Strided(out, new int[] {3, 2}, new long[] {5, 1}, 1));
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, k::synchronize);
            assertEquals(DeviceChecks.reported("scatterAdd: index -4 is out of range for dim 0 of size 3"), e.getMessage());
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> k.gather(c(out, 3, 5), 0, c(src, 2, 2), c(src, 2, 2)));
            assertEquals("cuda: gather: the index must be I64, got F64 ([3, 5] F64 dim 0 index [2, 2]); convert it with "
                    + ".to(DType.I64)", bad.getMessage());
        }
    }

    // ---- random

    @Test
    void randomLaunchesOneThreadPerPhiloxBlock() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer f = k.allocate(DType.F32, 1001), l = k.allocate(DType.I64, 4);
            k.random(RandomOp.NORMAL, new Strided(f, new int[] {1001}, new long[] {1}, 0), 42, 7, 0.5, 2);
            FakeDriver.Launch r = d.launches("random_f32").getFirst();
            assertArrayEquals(new int[] {2, 1, 1}, r.grid(), "501 pairs");
            assertEquals(List.of(RandomOp.NORMAL.ordinal(), addr(f), 0L, 1001L, 42L, 7L, 0.5, 2.0), values(r));
            k.random(RandomOp.BERNOULLI, c(l, 4), -1, 0, 0.3, 0);
            assertEquals(-1L, d.launches("random_i64").getFirst().i64(4), "the seed's 64 bits go as they are");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.random(RandomOp.UNIFORM, c(l, 4), 1, 0, 0, 1));
            assertEquals("cuda: uniform fills F32 or F64, got [4] I64; fill a float tensor and convert it", e.getMessage());
        }
    }
}
