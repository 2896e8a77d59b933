package dev.fathom.cuda;

import dev.fathom.spi.BinaryOp;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The emulated driver under the real host code: {@link CudaDevice}, {@link CachingAllocator},
 * {@link ComputeStream} and {@link KernelLauncher} loading the committed PTX and launching the
 * kernels compiled for the CPU, checked against Java references. Skipped, with the reason, where
 * there is no g++.
 */
class EmulatedDriverTest {
    private static final long TOTAL = 64L << 20;
    private EmulatedDriver driver;
    private CudaDevice device;

    @BeforeEach
    void open() throws Exception {
        String reason = Emulator.driverUnavailableReason();
        assumeTrue(reason == null, reason);
        driver = new EmulatedDriver(Emulator.driverModules(), TOTAL);
        device = CudaDevice.open(driver, 0, false);
    }

    @AfterEach
    void close() {
        if (device != null) {
            device.close();
        }
    }

    private static byte[] ptx(String module) throws Exception {
        return Files.readAllBytes(Emulator.PTX_DIR.resolve(module + ".ptx"));
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private long upload(float[] values) {
        long ptr = device.allocator().allocate("test", 4L * values.length);
        ByteBuffer b = direct(4 * values.length);
        b.asFloatBuffer().put(values);
        device.stream().copyToDevice("test", ptr, b);
        return ptr;
    }

    private float[] download(long ptr, int n) {
        ByteBuffer b = direct(4 * n);
        device.stream().copyToHost("test", b, ptr);
        float[] out = new float[n];
        b.asFloatBuffer().get(out);
        return out;
    }

    @Test
    void modulesComeFromEveryKernelSourceWithTheirPtxEntries() throws Exception {
        List<Emulator.DriverModule> modules = Emulator.driverModules();
        try (var s = Files.list(Emulator.CUDA_SRC)) {
            assertEquals(s.filter(p -> p.toString().endsWith(".cu")).count(), modules.size(), modules.toString());
        }
        for (Emulator.DriverModule m : modules) {
            assertNull(m.buildError(), m.name() + ".cu must compile against cuda_emu.h: " + m.buildError());
            assertTrue(Files.isRegularFile(m.library()), m.library().toString());
            assertFalse(m.ptx().entries().isEmpty(), m.name());
        }
        Emulator.DriverModule elementwise = modules.stream().filter(m -> m.name().equals("elementwise")).findFirst().orElseThrow();
        PtxModule.Entry fill = elementwise.ptx().entries().get("fill_f32");
        assertEquals(List.of(new PtxModule.Param("i", 8), new PtxModule.Param("struct", StridedDesc.BYTES),
                new PtxModule.Param("i", 8), new PtxModule.Param("f", 8)), fill.params());
        assertFalse(fill.synchronizes(), "fill is a grid-stride loop: no barrier");
        Emulator.DriverModule gemm = modules.stream().filter(m -> m.name().equals("gemm")).findFirst().orElseThrow();
        assertTrue(gemm.ptx().entries().get("gemm_f32").synchronizes(), "the tiled GEMM waits on __syncthreads");
    }

    @Test
    void copiesRoundTripThroughDeviceMemory() {
        float[] x = new float[1000];
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 0.5f - 7;
        }
        long ptr = upload(x);
        assertArrayEquals(x, download(ptr, x.length));
        // A copy at an offset inside the block; one that overruns the block is refused (below).
        ByteBuffer part = direct(8);
        device.stream().copyToHost("test", part, ptr + 4 * 10);
        assertEquals(x[10], part.getFloat(0));
        assertEquals(x[11], part.getFloat(4));
        long[] info = device.memoryInfo();
        assertEquals(TOTAL, info[1]);
        assertEquals(TOTAL - driver.usedBytes(), info[0]);
        long block = CachingAllocator.sizeClass(4L * x.length); // what the allocator asked the driver for
        assertEquals(EmulatedDriver.INVALID_VALUE, driver.memcpyDtoHAsync(direct(8), ptr + block - 4, 8, 0));
        device.allocator().free(ptr);
    }

    @Test
    void freshMemoryIsPoisonedAndOutOfMemoryIsReported() {
        long[] p = new long[1];
        assertEquals(0, driver.memAlloc(p, 12));
        assertEquals(0, p[0] % EmulatedDriver.GUARD, "cudaMalloc alignment");
        ByteBuffer b = direct(12);
        assertEquals(0, driver.memcpyDtoHAsync(b, p[0], 12, 0));
        assertTrue(Float.isNaN(b.getFloat(0)), "unwritten device memory reads as NaN");
        assertEquals(CudaCheck.OUT_OF_MEMORY, driver.memAlloc(new long[1], TOTAL));
        assertEquals(0, driver.memFree(p[0]));
        assertEquals(EmulatedDriver.INVALID_VALUE, driver.memFree(p[0]));
    }

    @Test
    void aDryRunZeroesFreshMemoryAndChecksLaunchesWithoutRunningThem() throws Exception {
        driver.dryRun();
        KernelLauncher launcher = device.launcher("elementwise", ptx("elementwise"));
        long out = device.allocator().allocate("test", 4L * 16);
        assertArrayEquals(new float[16], download(out, 16), "zeroed, not poisoned");
        launcher.launch("fill", "[16]", "fill_f32", KernelLauncher.Dim3.of(1), KernelLauncher.Dim3.of(32), 0,
                KernelParams.of().ptr(out).struct(StridedDesc.pack(new int[] {16}, new long[] {1}, 0)).i64(16).f64(2.5));
        assertArrayEquals(new float[16], download(out, 16), "the fill did not run");
        assertArrayEquals(new long[] {1, 0}, driver.profile().get("fill_f32"), "it counts as a launch that took no time");
        assertThrows(IllegalArgumentException.class, () -> launcher.launch("fill", "[16]", "fill_f32", KernelLauncher.Dim3.of(1),
                KernelLauncher.Dim3.of(32), 0, KernelParams.of().ptr(out).i64(16)), "arguments are still checked against the PTX");
    }

    @Test
    void fillAndBinaryKernelsRunThroughTheLauncher() throws Exception {
        KernelLauncher launcher = device.launcher("elementwise", ptx("elementwise"));
        int rows = 37, cols = 29, n = rows * cols;
        Random r = new Random(5);
        float[] a = new float[n], b = new float[cols];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        for (int j = 0; j < cols; j++) {
            b[j] = (float) r.nextGaussian();
        }
        long pa = upload(a), pb = upload(b), out = device.allocator().allocate("test", 4L * n);
        LaunchGeometry g = LaunchGeometry.forElements(n, 3); // capped: threads loop (grid stride)

        launcher.launch("fill", "[37, 29]", "fill_f32", KernelLauncher.Dim3.of(g.grid()), KernelLauncher.Dim3.of(g.block()), 0,
                KernelParams.of().ptr(out).struct(StridedDesc.pack(new int[] {rows, cols}, new long[] {cols, 1}, 0)).i64(n).f64(2.5));
        float[] filled = download(out, n);
        for (float v : filled) {
            assertEquals(2.5f, v);
        }

        // out = a * b, b broadcast along the rows by a stride of 0.
        launcher.launch("mul", "[37, 29] * [29]", "binary_f32", KernelLauncher.Dim3.of(g.grid()), KernelLauncher.Dim3.of(g.block()), 0,
                KernelParams.of().i32(BinaryOp.MUL.ordinal())
                        .ptr(pa).struct(StridedDesc.pack(new int[] {rows, cols}, new long[] {cols, 1}, 0))
                        .ptr(pb).struct(StridedDesc.pack(new int[] {rows, cols}, new long[] {0, 1}, 0))
                        .ptr(out).struct(StridedDesc.pack(new int[] {rows, cols}, new long[] {cols, 1}, 0)).i64(n));
        float[] got = download(out, n);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                assertEquals(a[i * cols + j] * b[j], got[i * cols + j], "[" + i + ", " + j + "]");
            }
        }
        assertEquals(2, launcher.launchCount());
        assertEquals(1, driver.profile().get("binary_f32")[0]);
    }

    @Test
    void threadedGemmMatchesATripleLoop() throws Exception {
        int m = 70, k = 19, n = 65;
        GemmGeometry g = GemmGeometry.forMatmul(m, n, 1);
        gemmMatchesATripleLoop(m, k, n, 9, false, g, "gemm_f32");
    }

    /** The 128 x 128 kernel through the emulated driver (fibers), B a transposed view: the entry the host picks. */
    @Test
    void largeTileGemmMatchesATripleLoop() throws Exception {
        int m = 130, k = 19, n = 129;
        GemmGeometry g = GemmGeometry.forTile(GemmGeometry.LARGE_TILE, m, n, 1);
        String kernel = g.kernel(DType.F32, 1, 1, k);
        assertEquals("gemm_f32_128_nt", kernel);
        gemmMatchesATripleLoop(m, k, n, 11, true, g, kernel);
    }

    /**
     * C = A·B for random A (m x k, row-major) and B (k x n): row-major, or (bTransposed) stored as
     * its n x k transpose and passed with row stride 1, column stride k. Checked against an F64 loop.
     */
    private void gemmMatchesATripleLoop(int m, int k, int n, long seed, boolean bTransposed, GemmGeometry g, String kernel)
            throws Exception {
        KernelLauncher launcher = device.launcher("gemm", ptx("gemm"));
        Random r = new Random(seed);
        float[] a = new float[m * k], b = new float[k * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian();
        }
        long pa = upload(a), pb = upload(b), pc = device.allocator().allocate("test", 4L * m * n);
        long bRs = bTransposed ? 1 : n, bCs = bTransposed ? k : 1;
        launcher.launch("matmul", "[" + m + ", " + k + "] @ [" + k + ", " + n + "]", kernel,
                new KernelLauncher.Dim3(g.gridX(), g.gridY(), g.gridZ()), KernelLauncher.Dim3.of(g.block()), 0,
                KernelParams.of().ptr(pa).i64(0).i64(0).i64(0).i64(k).i64(1).ptr(pb).i64(0).i64(0).i64(0).i64(bRs).i64(bCs)
                        .ptr(pc).i64(0).i32(m).i32(n).i32(k).i32(1).i32(0));
        float[] c = download(pc, m * n);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double ref = 0;
                for (int p = 0; p < k; p++) {
                    ref += (double) a[i * k + p] * b[(int) (p * bRs + j * bCs)];
                }
                assertEquals(ref, c[i * n + j], 1e-4 * (1 + Math.abs(ref)), "C[" + i + ", " + j + "]");
            }
        }
    }

    @Test
    void unknownKernelIsNotFound() throws Exception {
        KernelLauncher launcher = device.launcher("elementwise", ptx("elementwise"));
        CudaException e = assertThrows(CudaException.class, () -> launcher.launch("add", "[3]", "no_such_kernel",
                KernelLauncher.Dim3.of(1), KernelLauncher.Dim3.of(32), 0, KernelParams.of()));
        assertTrue(e.getMessage().contains("CUDA_ERROR_NOT_FOUND") && e.getMessage().contains("no_such_kernel"), e.getMessage());
        long[] module = new long[1];
        assertEquals(EmulatedDriver.INVALID_IMAGE, driver.moduleLoadData(module,
                ".version 9.0\n.target sm_75\n.address_size 64\n.visible .entry nowhere(\n.param .u64 p\n)\n{\nret;\n}\n".getBytes()));
        assertTrue(driver.errorString(EmulatedDriver.INVALID_IMAGE).contains("nowhere"));
    }

    @Test
    void argumentsThatDoNotMatchThePtxAreRejected() throws Exception {
        KernelLauncher launcher = device.launcher("elementwise", ptx("elementwise"));
        long out = device.allocator().allocate("test", 64);
        byte[] desc = StridedDesc.pack(new int[] {16}, new long[] {1}, 0);
        // n passed as an int: a GPU would read 4 bytes of garbage above it.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> launcher.launch("fill", "[16]", "fill_f32",
                KernelLauncher.Dim3.of(1), KernelLauncher.Dim3.of(32), 0, KernelParams.of().ptr(out).struct(desc).i32(16).f64(1)));
        assertTrue(e.getMessage().contains("fill_f32") && e.getMessage().contains("parameter 2") && e.getMessage().contains(".i64"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> launcher.launch("fill", "[16]", "fill_f32",
                KernelLauncher.Dim3.of(1), KernelLauncher.Dim3.of(32), 0, KernelParams.of().ptr(out).struct(desc).i64(16)));
    }

    @Test
    void aKernelWritingPastItsBlockFaultsTheContext() throws Exception {
        KernelLauncher launcher = device.launcher("elementwise", ptx("elementwise"));
        long[] p = new long[1];
        assertEquals(0, driver.memAlloc(p, 40)); // 10 floats, filled as if there were 12
        launcher.launch("fill", "[12]", "fill_f32", KernelLauncher.Dim3.of(1), KernelLauncher.Dim3.of(32), 0,
                KernelParams.of().ptr(p[0]).struct(StridedDesc.pack(new int[] {12}, new long[] {1}, 0)).i64(12).f64(1));
        CudaException e = assertThrows(CudaException.class, () -> device.stream().synchronize("fill", "[12]"));
        assertEquals(EmulatedDriver.ILLEGAL_ADDRESS, e.status());
        assertTrue(e.getMessage().contains("fill_f32") && e.getMessage().contains("40 B"), e.getMessage());
        assertEquals(EmulatedDriver.ILLEGAL_ADDRESS, driver.memAlloc(new long[1], 8), "sticky, as on a GPU");
        device = null; // the context is dead: closing would throw the fault again
    }
}
