package dev.fathom.cuda;

import dev.fathom.cuda.KernelLauncher.Dim3;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-GPU composition: context, stream, allocator, launchers, close order. */
class CudaDeviceTest {
    private static final byte[] PTX = ".version 9.0\n.target sm_75\n".getBytes(StandardCharsets.US_ASCII);

    /** {@code axpy(float* y, const float* x, int n, float a)}: y += a * x. */
    private static final FakeDriver.Kernel AXPY = (dev, l) -> {
        int n = l.i32(2);
        float[] y = dev.readFloats(l.ptr(0), n);
        float[] x = dev.readFloats(l.ptr(1), n);
        for (int i = 0; i < n; i++) {
            y[i] += l.f32(3) * x[i];
        }
        dev.writeFloats(l.ptr(0), y);
    };

    private static ByteBuffer floats(float... v) {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b;
    }

    @Test
    void aStepUploadsLaunchesAndReadsBackThenCloseReleasesEverything() {
        FakeDriver d = new FakeDriver().kernel("axpy", AXPY);
        CudaDevice gpu = CudaDevice.open(d, 0, false);
        assertEquals(1, d.calls("cuDevicePrimaryCtxRetain"));
        KernelLauncher k = gpu.launcher("elementwise", PTX);
        assertSame(k, gpu.launcher("elementwise", PTX));
        assertEquals(1, d.calls("cuModuleLoadData"));

        float[] result = null;
        for (int step = 0; step < 2; step++) {
            long y = gpu.allocator().allocate("axpy", 12);
            long x = gpu.allocator().allocate("axpy", 12);
            gpu.stream().copyToDevice("axpy", y, floats(1, 2, 3));
            gpu.stream().copyToDevice("axpy", x, floats(10, 20, 30));
            k.launch("axpy", "[3] += 0.5 * [3]", "axpy", Dim3.of(1), Dim3.of(128), 0, KernelParams.of().ptr(y).ptr(x).i32(3).f32(0.5f));
            ByteBuffer out = gpu.pinned().acquire("toFloatArray", 12);
            gpu.stream().copyToHost("toFloatArray", out, y);
            result = new float[3];
            out.asFloatBuffer().get(result);
            gpu.pinned().release(out);
            gpu.allocator().free(x);
            gpu.allocator().free(y);
        }
        assertArrayEquals(new float[] {6f, 12f, 18f}, result);
        assertEquals(2, d.calls("cuMemAlloc"), "the second step reuses the first step's blocks");
        assertEquals(1024, d.usedBytes());
        long[] info = gpu.memoryInfo();
        assertEquals((1L << 30) - 1024, info[0]);

        gpu.close();
        assertEquals(0, d.usedBytes(), "close gives the cache back");
        assertEquals(0, d.pinnedBytes());
        assertEquals(1, d.calls("cuMemAllocHost"));
        assertEquals(1, d.calls("cuStreamDestroy"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> gpu.launcher("reduce", PTX));
        assertTrue(e.getMessage().contains("cuda:0: reduce after close()"), e.getMessage());
        gpu.close(); // idempotent
        assertEquals(1, d.calls("cuStreamDestroy"));
    }

    @Test
    void shippedMachineCodeLoadsWithoutThePtxAndARefusedFatbinFallsBackToIt() {
        byte[] sass = KernelImages.forPlan(CudaPlan.ownKernels(), 9, 0).sass("elementwise");
        FakeDriver d = new FakeDriver();
        CudaDevice gpu = CudaDevice.open(d, 0, false);
        gpu.launcher("elementwise", sass, () -> {
            throw new AssertionError("the PTX is not read when the machine code loads");
        });
        assertEquals(1, gpu.sassModules());
        assertEquals(1, d.calls("cuModuleLoadData"));
        gpu.close();

        // A driver that refuses the fatbin (CUDA_ERROR_NO_BINARY_FOR_GPU, 209) gets the PTX instead.
        FakeDriver old = new FakeDriver().fatbinLoadStatus(209);
        CudaDevice other = CudaDevice.open(old, 0, false);
        other.launcher("elementwise", sass, () -> PTX);
        assertEquals(0, other.sassModules());
        assertEquals(2, old.calls("cuModuleLoadData"), "the fatbin, then the PTX");
        assertEquals(1, old.calls("cuModuleLoadData(fatbin)"));
        other.close();
    }

    @Test
    void programmaticLaunchNeedsItsSwitchOnAndCodeCompiledForHopper() {
        KernelImages hopper = KernelImages.forPlan(CudaPlan.ownKernels(), 9, 0), ampere = KernelImages.forPlan(CudaPlan.ownKernels(), 8, 6);
        assertTrue(hopper.waitsForPredecessor(true), "sm_90 machine code has fm_grid_dependency");
        assertFalse(hopper.waitsForPredecessor(false), "the shipped PTX is compute_75, where it is empty");
        assertFalse(ampere.waitsForPredecessor(true), "sm_80 machine code has none");

        FakeDriver d = new FakeDriver();
        CudaDevice gpu = CudaDevice.open(d, 0, false, hopper, false);
        assertEquals(CudaProperties.PDL_DEFAULT, KernelLauncher.PDL_PROPERTY, "-Dfathom.cuda.pdl unset in the tests: the default");
        assertTrue(gpu.launcher("reduce", hopper.sass("reduce"), () -> PTX).programmatic(), "on by default, with sm_90 machine code");
        gpu.programmaticLaunch(false);
        assertFalse(gpu.launcher("softmax", hopper.sass("softmax"), () -> PTX).programmatic(), "-Dfathom.cuda.pdl=false");
        gpu.programmaticLaunch(true);
        assertTrue(gpu.launcher("elementwise", hopper.sass("elementwise"), () -> PTX).programmatic(), "flag and sm_90 machine code");
        gpu.close();

        FakeDriver old = new FakeDriver().fatbinLoadStatus(209);
        CudaDevice refused = CudaDevice.open(old, 0, false, hopper, false);
        refused.programmaticLaunch(true);
        assertFalse(refused.launcher("reduce", hopper.sass("reduce"), () -> PTX).programmatic(), "the PTX serves: no wait in its code");
        refused.close();

        CudaDevice a100 = CudaDevice.open(new FakeDriver(), 0, false, ampere, false);
        a100.programmaticLaunch(true);
        assertFalse(a100.launcher("reduce", ampere.sass("reduce"), () -> PTX).programmatic(), "sm_80 code has no wait");
        a100.close();
    }

    @Test
    void aMissingDeviceNamesTheIndex() {
        FakeDriver d = new FakeDriver().gpus(1);
        CudaException e = assertThrows(CudaException.class, () -> CudaDevice.open(d, 3, false));
        assertEquals("cuda: open cuda:3: cuDevicePrimaryCtxRetain failed: CUDA_ERROR_INVALID_DEVICE (101)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CudaDevice.open(d, -1, false));
        assertEquals(0, d.calls("cuStreamCreate"));
    }

    @Test
    void outOfMemoryLoadingAModuleOrCreatingAHandleGivesTheCacheBackAndRetriesOnce() {
        java.util.Set<String> failed = new java.util.HashSet<>();
        FakeCudnnDriver d = new FakeCudnnDriver() {
            @Override
            public synchronized int moduleLoadData(long[] module, byte[] image) {
                return failed.add("module") ? CudaCheck.OUT_OF_MEMORY : super.moduleLoadData(module, image);
            }

            @Override
            public synchronized int blasCreate(long[] handle, long stream) {
                return failed.add("blas") ? CudaDevice.CUBLAS_STATUS_ALLOC_FAILED : super.blasCreate(handle, stream);
            }

            @Override
            public synchronized int cudnnCreate(long[] handle, long stream) {
                return failed.add("dnn") ? CudaDevice.CUDNN_STATUS_ALLOC_FAILED : super.cudnnCreate(handle, stream);
            }
        };
        CudaDevice gpu = CudaDevice.open(d, 0, false, KernelImages.shipped(), true, true);
        gpu.allocator().free(gpu.allocator().allocate("cached", 4096));
        gpu.launcher("elementwise", PTX);
        assertEquals(0, gpu.allocator().stats().cachedBytes(), "the cache went back before the retry");
        gpu.allocator().free(gpu.allocator().allocate("cached", 4096));
        assertTrue(gpu.blas() != 0);
        assertEquals(0, gpu.allocator().stats().cachedBytes());
        gpu.allocator().free(gpu.allocator().allocate("cached", 4096));
        assertTrue(gpu.dnn() != 0);
        assertEquals(0, gpu.allocator().stats().cachedBytes());
        assertEquals(java.util.Set.of("module", "blas", "dnn"), failed);
        gpu.close();
    }
}
