package dev.fathom.cuda;

import dev.fathom.cuda.FakeKernels.Desc;
import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.Buffer;
import dev.fathom.spi.MemoryStats;
import dev.fathom.spi.Strided;
import dev.fathom.spi.UnaryOp;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CudaKernels} against the {@link FakeDriver}: memory, transfers and the elementwise
 * family issue the right kernels with the right geometry and parameters. The numbers the real
 * kernels compute are checked by the kernel emulation tests and the conformance suite.
 */
class CudaKernelsTest {

    private static CudaKernels open(FakeDriver d) {
        return CudaKernels.open(d, 0);
    }

    private static Strided contiguous(Buffer b, int... shape) {
        return Strided.contiguous(b, shape);
    }

    @Test
    void openRetainsTheContextAndAllocatesOnlyTheDeviceChecksAndTheReductionTickets() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = open(d)) {
            assertEquals("cuda:0", k.device().toString());
            assertEquals(1, d.calls("cuDevicePrimaryCtxRetain"));
            assertEquals(2, d.calls("cuMemAlloc"));
            assertEquals(0, d.calls("cuModuleLoadData"), "modules load on first use");
            assertEquals(0, d.launches().size(), "the checks' slots and the tickets are zeroed on first use");
            assertEquals(new MemoryStats(2, 2048 + 2048, 2048 + 2048, 2, 0), k.memoryStats());
        }
        assertEquals(0, d.usedBytes(), "close gives every block back");
    }

    @Test
    void allocateAndFreeCountAndARepeatedSequenceReusesEveryBlock() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = open(d)) {
            int afterFirst = -1;
            for (int step = 0; step < 3; step++) {
                Buffer a = k.allocate(DType.F32, 1000), b = k.allocate(DType.F32, 1000), c = k.allocate(DType.BOOL, 3);
                assertEquals(DType.F32, a.dtype());
                assertEquals(1000, a.capacity());
                k.fill(contiguous(a, 1000), 1);
                k.binary(BinaryOp.ADD, contiguous(a, 1000), contiguous(a, 1000), contiguous(b, 1000));
                k.binary(BinaryOp.LT, contiguous(a, 1000), contiguous(b, 1000), contiguous(k.allocate(DType.BOOL, 1000), 1000));
                MemoryStats s = k.memoryStats();
                assertEquals(6 + step, s.liveBuffers(), "device checks + reduction tickets + 4 + the BOOLs of earlier steps");
                assertEquals(2048 + 2048 + 4096 + 4096 + 512 + 1024 * (1 + step), s.liveBytes(), "size-class bytes");
                k.free(a);
                k.free(b);
                k.free(c);
                if (step == 0) {
                    afterFirst = d.calls("cuMemAlloc");
                } else {
                    // The BOOL buffer of the comparison is never freed here, so each step needs one new 1024-byte block.
                    assertEquals(afterFirst + step, d.calls("cuMemAlloc"), "step " + step);
                }
            }
            assertTrue(k.memoryStats().cacheHits() >= 6, k.memoryStats().toString());
        }
    }

    @Test
    void aRepeatedSequenceCallsMemAllocZeroTimesAfterTheFirst() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = open(d)) {
            int first = 0, pinned = 0;
            for (int step = 0; step < 4; step++) {
                Buffer x = k.allocate(DType.F32, 3000), y = k.allocate(DType.F64, 17), z = k.allocate(DType.I64, 1);
                k.upload(new float[3000], 0, x, 0, 3000);
                k.fill(contiguous(y, 17), 2);
                k.download(x, 0, new float[3000], 0, 3000);
                k.free(z);
                k.free(y);
                k.free(x);
                if (step == 0) {
                    first = d.calls("cuMemAlloc");
                    assertEquals(5, first, "device checks + reduction tickets + 3");
                    pinned = d.calls("cuMemAllocHost");
                    assertEquals(2, pinned, "the download needs its own staging buffer while the upload's is in flight");
                }
            }
            assertEquals(first, d.calls("cuMemAlloc"), "steps 2 to 4 are served from the cache");
            assertEquals(pinned, d.calls("cuMemAllocHost"), "the pinned staging buffers are reused");
        }
    }

    @Test
    void uploadAndDownloadRoundTripEveryDtypeWithOffsets() {
        FakeDriver d = new FakeDriver();
        try (CudaKernels k = open(d)) {
            Buffer f = k.allocate(DType.F32, 5), g = k.allocate(DType.F64, 4), l = k.allocate(DType.I64, 3), b = k.allocate(DType.BOOL, 4);
            k.upload(new float[] {9, 1.5f, -2, 3e30f}, 1, f, 2, 3);
            k.upload(new double[] {Math.PI, -0.0, 1e-300, Double.NaN}, 0, g, 0, 4);
            k.upload(new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE}, 0, l, 0, 3);
            k.upload(new boolean[] {true, false, true, true}, 0, b, 0, 4);
            assertEquals(4, k.pendingUploads(), "uploads do not wait; their staging buffers are still out");
            float[] fo = new float[4];
            k.download(f, 2, fo, 1, 3);
            assertArrayEquals(new float[] {0, 1.5f, -2, 3e30f}, fo);
            assertEquals(0, k.pendingUploads(), "a download waits, so every staging buffer is back");
            double[] go = new double[4];
            k.download(g, 0, go, 0, 4);
            assertArrayEquals(new double[] {Math.PI, -0.0, 1e-300, Double.NaN}, go);
            long[] lo = new long[3];
            k.download(l, 0, lo, 0, 3);
            assertArrayEquals(new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE}, lo);
            boolean[] bo = new boolean[4];
            k.download(b, 0, bo, 0, 4);
            assertArrayEquals(new boolean[] {true, false, true, true}, bo);
            assertArrayEquals(new byte[] {1, 0, 1, 1}, d.readBytes(((CudaBuffer) b).address(), 4), "BOOL is one byte, 0 or 1");
        }
    }

    @Test
    void finishedUploadsGiveTheirStagingBufferBackWithoutAWait() {
        FakeDriver d = new FakeDriver();
        try (CudaKernels k = open(d)) {
            Buffer f = k.allocate(DType.F32, 4);
            k.upload(new float[4], 0, f, 0, 4);
            d.progress(); // the GPU caught up on its own
            k.upload(new float[4], 0, f, 0, 4);
            assertEquals(1, k.pendingUploads(), "the first upload's buffer was reclaimed when the second started");
            assertEquals(1, d.calls("cuMemAllocHost"), "and reused by it");
            k.synchronize();
            assertEquals(0, k.pendingUploads());
        }
    }

    @Test
    void uploadsWaitForTheOldestOnceTooMuchPinnedMemoryIsInFlight() {
        FakeDriver d = new FakeDriver();
        try (CudaKernels k = open(d)) {
            int n = 4 << 20; // 16 MiB of F32 per upload
            Buffer f = k.allocate(DType.F32, n);
            float[] host = new float[n];
            for (int i = 0; i < 8; i++) {
                host[0] = i;
                k.upload(host, 0, f, 0, n);
                assertTrue(k.pendingUploads() <= 5, "at most 64 MiB (+ the new upload) in flight: " + k.pendingUploads());
            }
            assertEquals(5, k.pendingUploads());
            assertTrue(d.calls("cuEventSynchronize") >= 3, "the oldest uploads were waited for");
            float[] back = new float[1];
            k.download(f, 0, back, 0, 1);
            assertEquals(7, back[0], "the uploads ran in order");
        }
    }

    @Test
    void transfersRejectAWrongHostArrayOrRange() {
        try (CudaKernels k = open(new FakeDriver())) {
            Buffer f = k.allocate(DType.F32, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.upload(new double[4], 0, f, 0, 4));
            assertEquals("cuda: upload: host array double[] does not match dtype F32; use float[]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.download(f, 2, new float[4], 0, 3));
            assertTrue(e.getMessage().startsWith("cuda: download: 3 elements at host offset 0 (array of 4) and buffer offset 2 ("),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.upload(new float[4], 0, new CudaKernelsTest.Foreign(), 0, 1));
            assertTrue(e.getMessage().contains("does not belong to cuda:0; move the tensor there first"), e.getMessage());
        }
    }

    /** A buffer of no backend. */
    private record Foreign() implements Buffer {
        @Override
        public DType dtype() {
            return DType.F32;
        }

        @Override
        public long capacity() {
            return 1;
        }
    }

    @Test
    void fillLaunchesOneGridStrideKernelWithTheDestinationsDescriptor() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = open(d)) {
            Buffer b = k.allocate(DType.F64, 1000);
            // A transposed view at offset 3: sizes [20, 30], strides [1, 20].
            Strided view = new Strided(b, new int[] {20, 30}, new long[] {1, 20}, 3);
            k.fill(view, -2.5);
            FakeDriver.Launch l = d.launches("fill_f64").getFirst();
            assertArrayEquals(new int[] {1, 1, 1}, l.grid(), "ceil(600 / (4 · 256)) blocks: four elements per thread");
            assertArrayEquals(new int[] {256, 1, 1}, l.block());
            assertEquals(((CudaBuffer) b).address(), l.ptr(0));
            assertArrayEquals(StridedDesc.pack(new int[] {20, 30}, new long[] {1, 20}, 3), l.struct(1));
            assertEquals(600, l.i64(2));
            assertEquals(-2.5, l.f64(3));
            k.fill(new Strided(b, new int[] {0, 5}, new long[] {5, 1}, 0), 1);
            assertEquals(1, d.launches("fill_f64").size(), "an empty fill launches nothing");
        }
    }

    @Test
    void copyPicksTheCastKernelAndDescribesBothSides() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = open(d)) {
            Buffer src = k.allocate(DType.F32, 6), dst = k.allocate(DType.I64, 6);
            k.copy(new Strided(src, new int[] {3, 2}, new long[] {1, 3}, 0), contiguous(dst, 3, 2));
            FakeDriver.Launch l = d.launches("copy_f32_i64").getFirst();
            assertEquals(List.of(0L, 3L, 1L, 4L, 2L, 5L), offsets(Desc.of(l.struct(1)), 6), "the transposed source, read row-major");
            assertArrayEquals(StridedDesc.pack(new int[] {3, 2}, new long[] {2, 1}, 0), l.struct(3));
            assertEquals(6, l.i64(4));
        }
    }

    private static List<Long> offsets(Desc d, int n) {
        List<Long> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(d.at(i));
        }
        return out;
    }

    @Test
    void denseAlignedF32MapsTakeLongBlocksAndOtherLayoutsOneQuadTripPerThread() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = open(d)) {
            int n = 1 << 23;  // 2048 blocks of 16 elements a thread: LaunchGeometry.forDenseF32's threshold
            Buffer a = k.allocate(DType.F32, n + 4), b = k.allocate(DType.F32, n), out = k.allocate(DType.F32, n);
            k.binary(BinaryOp.ADD, contiguous(a, n), contiguous(b, n), contiguous(out, n));
            assertArrayEquals(new int[] {2048, 1, 1}, d.launches("binary_f32").getLast().grid(), "dense, aligned: 16 elements a thread");
            k.unary(UnaryOp.EXP, contiguous(a, n), contiguous(out, n));
            assertArrayEquals(new int[] {2048, 1, 1}, d.launches("unary_f32").getLast().grid());
            // One float past a 16-byte boundary: the kernel's quad path will not take it, so neither do its long blocks.
            k.binary(BinaryOp.ADD, new Strided(a, new int[] {n}, new long[] {1}, 1), contiguous(b, n), contiguous(out, n));
            assertArrayEquals(new int[] {8192, 1, 1}, d.launches("binary_f32").getLast().grid(), "n / (4 · 256) blocks");
            // Four floats on is 16 bytes on: dense again.
            k.binary(BinaryOp.ADD, new Strided(a, new int[] {n}, new long[] {1}, 4), contiguous(b, n), contiguous(out, n));
            assertArrayEquals(new int[] {2048, 1, 1}, d.launches("binary_f32").getLast().grid());
            // A broadcast operand, and F64, take the general geometry.
            k.binary(BinaryOp.ADD, contiguous(a, 2, n / 2), new Strided(b, new int[] {2, n / 2}, new long[] {0, 1}, 0),
                    contiguous(out, 2, n / 2));
            assertArrayEquals(new int[] {8192, 1, 1}, d.launches("binary_f32").getLast().grid());
            Buffer x = k.allocate(DType.F64, n), y = k.allocate(DType.F64, n);
            k.unary(UnaryOp.EXP, contiguous(x, n), contiguous(y, n));
            assertArrayEquals(new int[] {8192, 1, 1}, d.launches("unary_f64").getLast().grid());
        }
    }

    @Test
    void binaryBroadcastsByStrideZeroAndComputesThroughTheFakeKernels() {
        FakeDriver d = new FakeDriver().kernel("fill_f32", FakeKernels.FILL_F32).kernel("binary_f32", FakeKernels.BINARY_F32);
        try (CudaKernels k = open(d)) {
            Buffer a = k.allocate(DType.F32, 6), b = k.allocate(DType.F32, 3), out = k.allocate(DType.F32, 6);
            k.upload(new float[] {1, 2, 3, 4, 5, 6}, 0, a, 0, 6);
            k.upload(new float[] {10, 20, 30}, 0, b, 0, 3);
            Strided row = new Strided(b, new int[] {2, 3}, new long[] {0, 1}, 0);
            k.binary(BinaryOp.ADD, contiguous(a, 2, 3), row, contiguous(out, 2, 3));
            FakeDriver.Launch l = d.launches("binary_f32").getFirst();
            assertEquals(BinaryOp.ADD.ordinal(), l.i32(0));
            assertArrayEquals(StridedDesc.pack(new int[] {2, 3}, new long[] {0, 1}, 0), l.struct(4), "b broadcast over rows");
            assertEquals(8, l.args().size(), "op, a, ad, b, bd, out, od, n (no fault slot for floats)");
            float[] got = new float[6];
            k.download(out, 0, got, 0, 6);
            assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, got);
        }
    }

    @Test
    void comparisonsWriteBoolThroughTheCompareKernelAndBoolOpsThroughBinaryU8() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = open(d)) {
            Buffer a = k.allocate(DType.I64, 4), m = k.allocate(DType.BOOL, 4);
            k.binary(BinaryOp.GE, contiguous(a, 4), contiguous(a, 4), contiguous(m, 4));
            assertEquals(BinaryOp.GE.ordinal(), d.launches("compare_i64").getFirst().i32(0));
            k.binary(BinaryOp.XOR, contiguous(m, 4), contiguous(m, 4), contiguous(m, 4));
            k.binary(BinaryOp.EQ, contiguous(m, 4), contiguous(m, 4), contiguous(m, 4));
            assertEquals(2, d.launches("binary_u8").size());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.binary(BinaryOp.LT, contiguous(a, 4), contiguous(a, 4), contiguous(a, 4)));
            assertEquals("cuda: lt: the output must be BOOL, got I64 (shape [4]); allocate it with dtype BOOL", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> k.binary(BinaryOp.POW, contiguous(a, 4), contiguous(a, 4), contiguous(a, 4)));
            assertEquals("cuda: pow is not defined for I64 ([4] pow [4] I64); logical ops take BOOL operands", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> k.binary(BinaryOp.ADD, contiguous(m, 4), contiguous(m, 4), contiguous(m, 4)));
            assertEquals("cuda: add is not defined for BOOL ([4] add [4] BOOL); convert with .to(DType.I64) first", e.getMessage());
        }
    }

    @Test
    void integerDivisionByZeroIsNotedInADeviceCheckAndThrownByTheNextWait() {
        FakeDriver d = new FakeDriver().anyKernel().kernel("fill_u8", FakeKernels.FILL_U8).kernel("binary_i64", FakeKernels.FAILS);
        try (CudaKernels k = open(d)) {
            Buffer a = k.allocate(DType.I64, 4);
            Strided s = contiguous(a, 2, 2);
            k.binary(BinaryOp.MUL, s, s, s);
            FakeDriver.Launch mul = d.launches("binary_i64").getFirst();
            assertEquals(9, mul.args().size(), "binary_i64 takes a fault slot last");
            assertEquals(((CudaBuffer) a).address(), mul.ptr(1));
            assertEquals(k.checks().unchecked(), mul.ptr(8), "a product cannot fault: it gets the word no check reads");
            d.kernel("binary_i64", (dd, l) -> { });
            k.binary(BinaryOp.DIV, s, s, s);
            k.synchronize();
            assertEquals(1, d.calls("cuMemcpyDtoHAsync"), "a wait after a checked launch reads its slot, in the same wait");
            assertEquals(1, d.calls("cuStreamSynchronize"));

            d.kernel("binary_i64", FakeKernels.FAILS);
            k.binary(BinaryOp.DIV, s, s, s);
            long slot = d.launches("binary_i64").getLast().ptr(8);
            assertEquals(1, d.calls("cuStreamSynchronize"), "the division itself does not wait");
            ArithmeticException e = assertThrows(ArithmeticException.class, k::synchronize);
            assertEquals(DeviceChecks.reported("div: integer division by zero in an I64 tensor"), e.getMessage());
            k.synchronize();
            assertArrayEquals(new byte[8], d.readBytes(slot, 8), "the slot is zeroed after its fault, in stream order");
            long[] got = new long[4];
            k.download(a, 0, got, 0, 4);
            assertEquals(4, d.calls("cuStreamSynchronize"), "and the waits after it find nothing: " + d.executed());
        }
    }

    @Test
    void checkedLaunchesBeyondTheSlotsWaitOnceAndKeepTheirOrder() {
        FakeDriver d = new FakeDriver().anyKernel().kernel("fill_u8", FakeKernels.FILL_U8);
        try (CudaKernels k = open(d)) {
            Buffer a = k.allocate(DType.I64, 4);
            Strided s = contiguous(a, 4);
            for (int i = 0; i < DeviceChecks.SLOTS; i++) {
                k.binary(BinaryOp.DIV, s, s, s);
            }
            assertEquals(0, d.calls("cuStreamSynchronize"), "every slot taken, no wait yet");
            d.kernel("binary_i64", FakeKernels.FAILS);
            k.binary(BinaryOp.DIV, s, s, s);
            assertEquals(1, d.calls("cuStreamSynchronize"), "the slots ran out: one wait, which found nothing");
            assertEquals(d.launches("binary_i64").getFirst().ptr(8), d.launches("binary_i64").getLast().ptr(8),
                    "the next check starts again at the first slot");
            assertThrows(ArithmeticException.class, k::synchronize);
        }
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)  // a deadlocked thread cannot be interrupted
    void checkedLaunchesAndWaitsOnTwoThreadsNeitherDeadlockNorLoseAFault() {
        FakeDriver d = new FakeDriver().anyKernel().kernel("fill_u8", FakeKernels.FILL_U8);
        try (CudaKernels k = open(d)) {
            Buffer a = k.allocate(DType.I64, 4), b = k.allocate(DType.I64, 4);
            // Divisions (checked: the stream's lock, then the elementwise launcher) against additions
            // through the same launcher and waits: the order in which the two paths take their locks.
            CompletableFuture<Void> divisions = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 3000; i++) {
                    k.binary(BinaryOp.DIV, contiguous(a, 4), contiguous(a, 4), contiguous(a, 4));
                }
            });
            for (int i = 0; i < 3000; i++) {
                k.binary(BinaryOp.ADD, contiguous(b, 4), contiguous(b, 4), contiguous(b, 4));
                if (i % 7 == 0) {
                    k.synchronize();
                }
            }
            divisions.join();
            k.synchronize();
            d.kernel("binary_i64", FakeKernels.FAILS);
            k.binary(BinaryOp.DIV, contiguous(a, 4), contiguous(a, 4), contiguous(a, 4));
            assertThrows(ArithmeticException.class, k::synchronize, "a fault after all that is still found");
        }
    }

    @Test
    void unaryAndWhereCheckOpAndDtype() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = open(d)) {
            Buffer f = k.allocate(DType.F32, 4), l = k.allocate(DType.I64, 4), m = k.allocate(DType.BOOL, 4);
            k.unary(UnaryOp.GELU, contiguous(f, 4), contiguous(f, 4));
            k.unary(UnaryOp.SIGN, contiguous(l, 4), contiguous(l, 4));
            k.unary(UnaryOp.NOT, contiguous(m, 4), contiguous(m, 4));
            assertEquals(UnaryOp.GELU.ordinal(), d.launches("unary_f32").getFirst().i32(0));
            assertEquals(1, d.launches("unary_i64").size());
            assertEquals(1, d.launches("unary_u8").size());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.unary(UnaryOp.EXP, contiguous(l, 4), contiguous(l, 4)));
            assertEquals("cuda: exp is not defined for I64 (shape [4]); convert with .to(DType.F32) first", e.getMessage());
            k.where(contiguous(m, 4), contiguous(f, 4), new Strided(f, new int[] {4}, new long[] {0}, 2), contiguous(f, 4));
            FakeDriver.Launch w = d.launches("where_f32").getFirst();
            assertArrayEquals(StridedDesc.pack(new int[] {4}, new long[] {0}, 2), w.struct(5));
            e = assertThrows(IllegalArgumentException.class,
                    () -> k.where(contiguous(f, 4), contiguous(f, 4), contiguous(f, 4), contiguous(f, 4)));
            assertEquals("cuda: where: the condition must be BOOL, got F32 (where([4], [4], [4]) F32); compare first, e.g. x.gt(0)",
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> k.unary(UnaryOp.NEG, contiguous(f, 2, 2), contiguous(f, 4)));
            assertEquals("cuda: an elementwise input of shape [2, 2] does not match the output shape [4]; broadcast it to the "
                    + "output shape first (stride 0 on broadcast dims)", e.getMessage());
        }
    }

    @Test
    void aCallFromANewThreadMakesTheContextCurrentThereOnce() throws Exception {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = open(d)) {
            Buffer f = k.allocate(DType.F32, 4);
            Thread t = new Thread(() -> {
                k.fill(contiguous(f, 4), 1);
                k.fill(contiguous(f, 4), 2);
            });
            t.start();
            t.join();
            assertEquals(2, d.calls("cuDevicePrimaryCtxRetain"), "open, then once for the new thread");
            k.fill(contiguous(f, 4), 3);
            assertEquals(2, d.calls("cuDevicePrimaryCtxRetain"), "the opening thread already has it");
        }
    }

    @Test
    void freeingTwiceOrUsingAFreedBufferIsAnError() {
        try (CudaKernels k = open(new FakeDriver().anyKernel())) {
            Buffer f = k.allocate(DType.F32, 4);
            k.free(f);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> k.fill(contiguous(f, 4), 0));
            assertTrue(e.getMessage().contains("was already freed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> k.free(f));
            IllegalArgumentException n = assertThrows(IllegalArgumentException.class, () -> k.allocate(DType.F32, -1));
            assertEquals("cuda: allocate: -1 elements of F32 is not a valid size; sizes are >= 0", n.getMessage());
        }
    }

    @Test
    void closingTwiceDoesNothingTheSecondTime() {
        FakeDriver d = new FakeDriver();
        CudaKernels k = open(d);
        k.allocate(DType.F32, 4);
        k.close();
        int frees = d.calls("cuMemFree");
        k.close();
        assertEquals(frees, d.calls("cuMemFree"));
        assertEquals(1, d.calls("cuStreamDestroy"));
    }
}
