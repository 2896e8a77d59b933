package dev.fathom.cuda;

import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Chunked host-device copies ({@link Transfers}) against {@link FakeDriver}, with 1 MiB chunks so
 * that a few MiB stand for the tensors of 2 GiB and more that one staging buffer cannot hold.
 */
class TransfersTest {
    private static final long CHUNK = 1L << 20;
    /** The pool's size class of a chunk, in which its stats count. */
    private static final long CLASS = CachingAllocator.sizeClass(CHUNK);

    /** Records the largest pinned block asked for. */
    private static class SizedDriver extends FakeDriver {
        long largestPin;

        @Override
        public synchronized int memAllocHost(ByteBuffer[] out, long bytes) {
            largestPin = Math.max(largestPin, bytes);
            return super.memAllocHost(out, bytes);
        }
    }

    private static CudaBuffer buffer(CudaDevice gpu, DType t, long n) {
        return new CudaBuffer(null, gpu.allocator().allocate("test", n * t.byteSize()), t, n);
    }

    @Test
    void transfersLargerThanAChunkGoThroughChunkSizedBuffersAndEndMidChunk() {
        SizedDriver d = new SizedDriver();
        CudaDevice gpu = CudaDevice.open(d, 0, false);
        Transfers t = new Transfers(gpu, CHUNK, 2 * CHUNK);
        int n = 3 * (1 << 18) + 12_345; // 3.05 chunks of F32, 6.1 of F64
        float[] f = new float[n + 7];
        double[] g = new double[n];
        long[] l = new long[n];
        boolean[] b = new boolean[5 * (1 << 20) + 3];
        for (int i = 0; i < f.length; i++) {
            f[i] = i * 0.5f - 7;
        }
        for (int i = 0; i < n; i++) {
            g[i] = Math.sqrt(i);
            l[i] = Long.MAX_VALUE - 3L * i;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = i % 3 == 0;
        }
        CudaBuffer fd = buffer(gpu, DType.F32, n + 10), gd = buffer(gpu, DType.F64, n), ld = buffer(gpu, DType.I64, n),
                bd = buffer(gpu, DType.BOOL, b.length);
        t.upload(f, 7, fd, 10, n);
        assertTrue(t.pendingUploads() <= 3, "at most 2 MiB (+ the new chunk) in flight: " + t.pendingUploads());
        t.upload(g, 0, gd, 0, n);
        t.upload(l, 0, ld, 0, n);
        t.upload(b, 0, bd, 0, b.length);
        assertTrue(t.pendingUploads() <= 3, "at most 2 MiB (+ the new chunk) in flight: " + t.pendingUploads());
        assertTrue(gpu.pinned().stats().liveBytes() <= 3 * CLASS, gpu.pinned().stats().toString());

        float[] fo = new float[n + 1];
        t.download(fd, 10, fo, 1, n);
        float[] fw = new float[n + 1];
        System.arraycopy(f, 7, fw, 1, n);
        assertArrayEquals(fw, fo);
        assertEquals(0, t.pendingUploads(), "a download waits, so every staging buffer is back");
        double[] go = new double[n];
        t.download(gd, 0, go, 0, n);
        assertArrayEquals(g, go);
        long[] lo = new long[n];
        t.download(ld, 0, lo, 0, n);
        assertArrayEquals(l, lo);
        boolean[] bo = new boolean[b.length];
        t.download(bd, 0, bo, 0, b.length);
        assertArrayEquals(b, bo);

        assertEquals(CLASS, d.largestPin, "no staging buffer is larger than a chunk (its size class)");
        assertEquals(d.calls("cuEventCreate"), d.calls("cuEventDestroy"), "every chunk's event is destroyed");
        assertEquals(0, gpu.pinned().stats().liveBytes());
        assertTrue(d.calls("cuMemAllocHost") <= 4, "chunk buffers are reused: " + d.calls("cuMemAllocHost"));
        gpu.close();
    }

    @Test
    void defaultChunksAre64MiB() {
        assertEquals(64L << 20, Transfers.CHUNK_BYTES);
        assertThrows(IllegalArgumentException.class, () -> new Transfers(null, 12, CHUNK));
    }

    @Test
    void aFailedWaitForAnOldUploadStillDestroysItsEventAndReleasesItsBuffer() {
        FakeDriver d = new FakeDriver() {
            private boolean failed;

            @Override
            public synchronized int eventSynchronize(long event) {
                if (!failed) {
                    failed = true;
                    return 700;
                }
                return super.eventSynchronize(event);
            }
        };
        CudaDevice gpu = CudaDevice.open(d, 0, false);
        Transfers t = new Transfers(gpu, CHUNK, CHUNK);
        int n = 3 << 18; // three chunks: the third waits for the first
        CudaBuffer x = buffer(gpu, DType.F32, n);
        CudaException e = assertThrows(CudaException.class, () -> t.upload(new float[n], 0, x, 0, n));
        assertTrue(e.getMessage().contains("cuEventSynchronize"), e.getMessage());
        assertEquals(1, t.pendingUploads(), "the second chunk is still in flight, the third never staged");
        assertEquals(CLASS, gpu.pinned().stats().liveBytes(), "the first chunk's buffer is back");
        assertEquals(d.calls("cuEventCreate") - 1, d.calls("cuEventDestroy"), "only the pending chunk's event lives");
        t.synchronize("test");
        assertEquals(0, gpu.pinned().stats().liveBytes());
        gpu.close();
    }

    @Test
    void aFailedEventRecordWaitsForTheCopyBeforeItsBufferIsReused() {
        FakeDriver d = new FakeDriver() {
            @Override
            public synchronized int eventRecord(long event, long stream) {
                return 999;
            }
        };
        CudaDevice gpu = CudaDevice.open(d, 0, false);
        Transfers t = new Transfers(gpu);
        CudaBuffer x = buffer(gpu, DType.F32, 3);
        assertThrows(CudaException.class, () -> t.upload(new float[] {1, 2, 3}, 0, x, 0, 3));
        assertTrue(d.executed().stream().anyMatch(s -> s.contains("HtoD 12 B")),
                "the copy ran before its buffer went back: " + d.executed());
        assertEquals(0, gpu.pinned().stats().liveBytes());
        assertEquals(d.calls("cuEventCreate"), d.calls("cuEventDestroy"), "the unrecorded event is destroyed");
        float[] back = new float[3];
        t.download(x, 0, back, 0, 3);
        assertArrayEquals(new float[] {1, 2, 3}, back);
        gpu.close();
    }
}
