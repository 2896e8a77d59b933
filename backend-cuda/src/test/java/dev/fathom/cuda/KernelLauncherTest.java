package dev.fathom.cuda;

import dev.fathom.cuda.KernelLauncher.Dim3;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Launches, stream order, sync-mode attribution and geometry checks, against {@link FakeDriver}. */
class KernelLauncherTest {

    /** {@code scale(float* x, int n, float a)}: x[i] *= a. */
    private static final FakeDriver.Kernel SCALE = (dev, l) -> {
        float[] x = dev.readFloats(l.ptr(0), l.i32(1));
        for (int i = 0; i < x.length; i++) {
            x[i] *= l.f32(2);
        }
        dev.writeFloats(l.ptr(0), x);
    };

    /** {@code add_scalar(float* x, int n, float b)}: x[i] += b. */
    private static final FakeDriver.Kernel ADD = (dev, l) -> {
        float[] x = dev.readFloats(l.ptr(0), l.i32(1));
        for (int i = 0; i < x.length; i++) {
            x[i] += l.f32(2);
        }
        dev.writeFloats(l.ptr(0), x);
    };

    /** Reads one element past the end of its buffer: faults when it runs, as an out-of-bounds kernel would. */
    private static final FakeDriver.Kernel OVERRUN = (dev, l) -> dev.readFloats(l.ptr(0), l.i32(1) + 1000);

    private final FakeDriver driver = new FakeDriver().kernel("scale", SCALE).kernel("add_scalar", ADD).kernel("gather", OVERRUN);
    private final CudaCheck check = new CudaCheck(driver);

    private static ByteBuffer floats(float... v) {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b;
    }

    private static float[] floatsOf(ByteBuffer b) {
        float[] out = new float[b.remaining() / 4];
        b.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    private KernelLauncher launcher(ComputeStream s, boolean sync) {
        long module = KernelLauncher.loadModule(driver, check, "test", ".version 9.0\n.target sm_75\n".getBytes(StandardCharsets.US_ASCII));
        return new KernelLauncher(driver, check, s, module, sync);
    }

    private long upload(CachingAllocator a, ComputeStream s, float... v) {
        long p = a.allocate("upload", 4L * v.length);
        s.copyToDevice("upload", p, floats(v));
        return p;
    }

    @Test
    void launchesAreProgrammaticOnlyWhereTheModuleAllowsIt() {
        ComputeStream s = new ComputeStream(driver, check);
        CachingAllocator a = new CachingAllocator(driver, check);
        long x = upload(a, s, 1, 2, 3);
        long module = KernelLauncher.loadModule(driver, check, "test", ".version 9.0\n.target sm_90\n".getBytes(StandardCharsets.US_ASCII));
        KernelLauncher overlapping = new KernelLauncher(driver, check, s, module, false, true);
        KernelLauncher plain = new KernelLauncher(driver, check, s, module, false, false);
        assertTrue(overlapping.programmatic());
        assertFalse(plain.programmatic());

        overlapping.launch("mul", "[3] * 2", "scale", Dim3.of(1), Dim3.of(256), 0, KernelParams.of().ptr(x).i32(3).f32(2f));
        overlapping.launch("add", "[3] + 1", "add_scalar", Dim3.of(1), Dim3.of(256), 0, KernelParams.of().ptr(x).i32(3).f32(1f));
        assertEquals(2, driver.calls("cuLaunchKernelEx"), "where the module's code waits for its predecessor");
        plain.launch("mul", "[3] * 2", "scale", Dim3.of(1), Dim3.of(256), 0, KernelParams.of().ptr(x).i32(3).f32(2f));
        assertEquals(2, driver.calls("cuLaunchKernelEx"), "an ordinary launch where it does not");
        assertEquals(3, driver.calls("cuLaunchKernel"));

        ByteBuffer out = ByteBuffer.allocateDirect(12);
        s.copyToHost("toFloatArray", out, x);
        assertArrayEquals(new float[] {6, 10, 14}, floatsOf(out), "((x * 2) + 1) * 2, in launch order");

        driver.forceLaunchStatus(1);
        CudaException e = assertThrows(CudaException.class, () -> overlapping.launch("mul", "[3] * 2", "scale", Dim3.of(1),
                Dim3.of(256), 0, KernelParams.of().ptr(x).i32(3).f32(2f)));
        assertTrue(e.getMessage().startsWith("cuda: mul: cuLaunchKernelEx(scale) [3] * 2 grid (1, 1, 1) block (256, 1, 1) failed"), e.getMessage());
        driver.forceLaunchStatus(0);
    }

    @Test
    void launchesAndCopiesRunInStreamOrderAndTheReadWaitsForThem() {
        ComputeStream s = new ComputeStream(driver, check);
        KernelLauncher k = launcher(s, false);
        CachingAllocator a = new CachingAllocator(driver, check);
        long x = upload(a, s, 1, 2, 3, -4, 5);
        k.launch("mul", "[5] * 2", "scale", Dim3.of(1), Dim3.of(256), 0, KernelParams.of().ptr(x).i32(5).f32(2f));
        k.launch("add", "[5] + 0.5", "add_scalar", Dim3.of(1), Dim3.of(256), 0, KernelParams.of().ptr(x).i32(5).f32(0.5f));
        assertEquals(List.of(), driver.executed(), "launches are asynchronous: nothing ran before the host waited");

        ByteBuffer out = ByteBuffer.allocateDirect(20);
        s.copyToHost("toFloatArray", out, x);
        // (x * 2) + 0.5 in that order; the other order would give (x + 0.5) * 2.
        assertArrayEquals(new float[] {2.5f, 4.5f, 6.5f, -7.5f, 10.5f}, floatsOf(out));
        long h = s.handle();
        assertEquals(List.of("stream " + h + ": HtoD 20 B", "stream " + h + ": launch scale", "stream " + h + ": launch add_scalar",
                "stream " + h + ": DtoH 20 B"), driver.executed());
        assertTrue(driver.launches().stream().allMatch(l -> l.stream() == h), "every launch goes on the one compute stream");
        assertEquals(2, k.launchCount());
        assertEquals(List.of(), s.pendingLaunches(), "a successful wait clears the pending launches");
        assertEquals(2, driver.calls("cuModuleGetFunction"), "scale and add_scalar, once each");
    }

    @Test
    void eachKernelIsLookedUpOnceAndTheParamsReachTheDriver() {
        ComputeStream s = new ComputeStream(driver, check);
        KernelLauncher k = launcher(s, false);
        CachingAllocator a = new CachingAllocator(driver, check);
        long x = upload(a, s, 1, 2);
        for (int i = 0; i < 3; i++) {
            k.launch("mul", "[2]", "scale", Dim3.of(2, 3), new Dim3(32, 4, 2), 128, KernelParams.of().ptr(x).i32(2).f32(3f));
        }
        assertEquals(1, driver.calls("cuModuleGetFunction"));
        FakeDriver.Launch l = driver.launches().getLast();
        assertArrayEquals(new int[] {2, 3, 1}, l.grid());
        assertArrayEquals(new int[] {32, 4, 2}, l.block());
        assertEquals(128, l.sharedBytes());
        assertEquals(List.of(new KernelParams.Ptr(x), new KernelParams.I32(2), new KernelParams.F32(3f)), l.args());
        ByteBuffer out = ByteBuffer.allocateDirect(8);
        s.copyToHost("read", out, x);
        assertArrayEquals(new float[] {27f, 54f}, floatsOf(out));
    }

    @Test
    void withoutSyncAnAsyncFaultSurfacesAtTheNextWaitListingTheCandidates() {
        ComputeStream s = new ComputeStream(driver, check);
        KernelLauncher k = launcher(s, false);
        CachingAllocator a = new CachingAllocator(driver, check);
        long x = upload(a, s, 1, 2, 3);
        k.launch("mul", "[3]", "scale", Dim3.of(1), Dim3.of(32), 0, KernelParams.of().ptr(x).i32(3).f32(2f));
        k.launch("embedding", "[3] idx [2]", "gather", Dim3.of(1), Dim3.of(32), 0, KernelParams.of().ptr(x).i32(3));
        k.launch("add", "[3]", "add_scalar", Dim3.of(1), Dim3.of(32), 0, KernelParams.of().ptr(x).i32(3).f32(1f));
        ByteBuffer out = ByteBuffer.allocateDirect(12);
        CudaException e = assertThrows(CudaException.class, () -> s.copyToHost("item", out, x));
        String m = e.getMessage();
        assertTrue(m.startsWith("cuda: item: cuStreamSynchronize 12 bytes from 0x" + Long.toHexString(x)
                + " failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)"), m);
        assertTrue(m.contains("3 launch(es) since the last sync, the last 3: mul/scale [3], embedding/gather [3] idx [2], add/add_scalar [3]"), m);
        assertTrue(m.contains("-Dfathom.cuda.sync=true"), m);
        assertEquals(700, e.status());
        // The context is poisoned: later calls fail too, as on a GPU.
        assertThrows(CudaException.class, () -> k.launch("mul", "[3]", "scale", Dim3.of(1), Dim3.of(32), 0,
                KernelParams.of().ptr(x).i32(3).f32(2f)));
    }

    @Test
    void withSyncTheFaultIsPinnedToTheLaunchThatCausedIt() {
        ComputeStream s = new ComputeStream(driver, check);
        KernelLauncher k = launcher(s, true);
        assertTrue(k.syncEveryLaunch());
        CachingAllocator a = new CachingAllocator(driver, check);
        long x = upload(a, s, 1, 2, 3);
        k.launch("mul", "[3]", "scale", Dim3.of(1), Dim3.of(32), 0, KernelParams.of().ptr(x).i32(3).f32(2f));
        assertEquals(1, driver.calls("cuStreamSynchronize"), "sync mode waits after every launch");
        CudaException e = assertThrows(CudaException.class, () -> k.launch("embedding", "[3] idx [2]", "gather", Dim3.of(1),
                Dim3.of(32), 0, KernelParams.of().ptr(x).i32(3)));
        assertTrue(e.getMessage().startsWith("cuda: embedding: cuLaunchKernel(gather) [fathom.cuda.sync]: cuStreamSynchronize "
                + "[3] idx [2] grid (1, 1, 1) block (32, 1, 1) failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)"), e.getMessage());
        assertTrue(e.getMessage().contains("the last 1: embedding/gather [3] idx [2])"), e.getMessage());
        assertTrue(e.op().startsWith("embedding: cuLaunchKernel(gather)"), e.op());
        // The first launch ran and its result is on the device; the faulting one is the last thing that ran.
        assertArrayEquals(new float[] {2f, 4f, 6f}, driver.readFloats(x, 3));
        assertTrue(driver.executed().getLast().endsWith("launch gather FAULT 700"), driver.executed().toString());
    }

    @Test
    void theSyncFlagIsTheSystemProperty() {
        ComputeStream s = new ComputeStream(driver, check);
        KernelLauncher k = new KernelLauncher(driver, check, s, 1);
        assertEquals(Boolean.getBoolean("fathom.cuda.sync"), k.syncEveryLaunch());
    }

    @Test
    void badGeometryIsRejectedBeforeTheDriverSeesIt() {
        ComputeStream s = new ComputeStream(driver, check);
        KernelLauncher k = launcher(s, false);
        KernelParams p = KernelParams.of().i32(1);
        IllegalArgumentException tooManyThreads = assertThrows(IllegalArgumentException.class,
                () -> k.launch("softmax", "[4, 2000]", "scale", Dim3.of(4), Dim3.of(32, 33), 0, p));
        assertTrue(tooManyThreads.getMessage().startsWith("cuda: softmax: kernel scale with grid (4, 1, 1), block (32, 33, 1): "
                + "a block has at most 1024 threads"), tooManyThreads.getMessage());
        assertTrue(tooManyThreads.getMessage().contains("got 1056 threads"));
        IllegalArgumentException gridY = assertThrows(IllegalArgumentException.class,
                () -> k.launch("sum", "[70000, 3]", "scale", Dim3.of(1, 70000), Dim3.of(32), 0, p));
        assertTrue(gridY.getMessage().contains("y and z <= 65535"), gridY.getMessage());
        assertThrows(IllegalArgumentException.class, () -> k.launch("sum", "", "scale", Dim3.of(0), Dim3.of(32), 0, p));
        assertThrows(IllegalArgumentException.class, () -> k.launch("sum", "", "scale", Dim3.of(1), new Dim3(1, 1, 65), 0, p));
        IllegalArgumentException shared = assertThrows(IllegalArgumentException.class,
                () -> k.launch("sum", "", "scale", Dim3.of(1), Dim3.of(32), 48 * 1024 + 4, p));
        assertTrue(shared.getMessage().contains("0..49152 bytes"), shared.getMessage());
        assertEquals(0, driver.calls("cuLaunchKernel"));
        assertEquals(0, driver.calls("cuModuleGetFunction"));
    }

    @Test
    void launchAndLookupErrorsNameOpShapesAndGeometry() {
        ComputeStream s = new ComputeStream(driver, check);
        KernelLauncher k = launcher(s, false);
        CudaException missing = assertThrows(CudaException.class,
                () -> k.launch("relu", "[7]", "relu_f32", Dim3.of(1), Dim3.of(32), 0, KernelParams.of()));
        assertEquals("cuda: relu: cuModuleGetFunction(relu_f32) failed: CUDA_ERROR_NOT_FOUND (500): named symbol not found",
                missing.getMessage());
        driver.forceLaunchStatus(701);
        CudaException resources = assertThrows(CudaException.class,
                () -> k.launch("matmul", "[64, 64] x [64, 64]", "scale", Dim3.of(4, 4), Dim3.of(16, 16), 4096, KernelParams.of()));
        assertEquals("cuda: matmul: cuLaunchKernel(scale) [64, 64] x [64, 64] grid (4, 4, 1) block (16, 16, 1) shared 4096 B "
                + "failed: CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES (701): too many resources requested for launch", resources.getMessage());
        assertEquals(0, k.launchCount());
    }

    @Test
    void ptxTheDriverCannotJitNamesTheDriverItNeeds() {
        driver.moduleLoadStatus(222);
        CudaException e = assertThrows(CudaException.class, () -> KernelLauncher.loadModule(driver, check, "elementwise",
                "//\n.version 9.0\n.target sm_75\n".getBytes(StandardCharsets.US_ASCII)));
        String m = e.getMessage();
        assertTrue(m.startsWith("cuda: loadModule(elementwise): cuModuleLoadData failed: CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)"), m);
        assertTrue(m.endsWith("the shipped kernels are PTX ISA 9.0, which needs a driver for CUDA 13.0 or newer "
                + "(NVIDIA driver R580 or later); update the NVIDIA driver"), m);
    }

    @Test
    void eventsReportCompletionInStreamOrder() {
        ComputeStream s = new ComputeStream(driver, check);
        KernelLauncher k = launcher(s, false);
        CachingAllocator a = new CachingAllocator(driver, check);
        long x = upload(a, s, 1);
        k.launch("mul", "[1]", "scale", Dim3.of(1), Dim3.of(1), 0, KernelParams.of().ptr(x).i32(1).f32(3f));
        long done = s.recordEvent("step");
        k.launch("add", "[1]", "add_scalar", Dim3.of(1), Dim3.of(1), 0, KernelParams.of().ptr(x).i32(1).f32(1f));
        assertFalse(s.isDone("step", done));
        s.await("step", done);
        assertTrue(s.isDone("step", done));
        // The event waited for the scale but not for the add enqueued after it.
        assertArrayEquals(new float[] {3f}, driver.readFloats(x, 1));
        driver.progress();
        assertArrayEquals(new float[] {4f}, driver.readFloats(x, 1));
        s.destroyEvent(done);
        s.close();
        assertEquals(1, driver.calls("cuStreamDestroy"));
        assertThrows(IllegalStateException.class, () -> s.synchronize("late", ""));
    }

    @Test
    void hostBuffersMustBeDirect() {
        ComputeStream s = new ComputeStream(driver, check);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.copyToDevice("tensor", 0x7f0000000000L, ByteBuffer.allocate(8)));
        assertTrue(e.getMessage().contains("tensor") && e.getMessage().contains("direct"), e.getMessage());
        assertEquals(0, driver.calls("cuMemcpyHtoDAsync"));
    }
}
