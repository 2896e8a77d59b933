package dev.fathom.cuda;

import dev.fathom.spi.Buffer;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * matmul routed to cuBLAS: the fake driver's cuBLAS is a reference column-major GEMM with cuBLAS's
 * indexing and leading-dimension checks, so a wrong transpose flag, leading dimension, batch
 * stride or byte offset shows as a wrong number against a naive row-major loop.
 */
class CudaKernelsCublasTest {
    private final Random rng = new Random(11);

    private float[] randoms(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Math.round(rng.nextGaussian() * 8) / 4f;
        }
        return v;
    }

    private static CudaKernels open(FakeDriver d) {
        return CudaKernels.open(d, 0, 0, KernelImages.shipped(), true);
    }

    @Test
    void batchedTransposedAndOffsetProductsMatchNaiveLoops() {
        FakeDriver d = new FakeDriver();
        try (CudaKernels k = open(d)) {
            int batch = 3, m = 5, kk = 4, n = 6, offset = 7;
            float[] ah = randoms(offset + batch * m * kk), bh = randoms(batch * n * kk);
            Buffer a = k.allocate(DType.F32, ah.length), b = k.allocate(DType.F32, bh.length), c = k.allocate(DType.F32, batch * m * n);
            k.upload(ah, 0, a, 0, ah.length);
            k.upload(bh, 0, b, 0, bh.length);
            // a: contiguous [batch, m, k] starting at element 7; b: stored [batch, n, k], used transposed as [batch, k, n].
            Strided av = new Strided(a, new int[] {batch, m, kk}, new long[] {m * kk, kk, 1}, offset);
            Strided bv = new Strided(b, new int[] {batch, kk, n}, new long[] {n * kk, 1, kk}, 0);
            k.matmul(av, bv, Strided.contiguous(c, batch, m, n));
            float[] got = new float[batch * m * n];
            k.download(c, 0, got, 0, got.length);
            float[] want = new float[batch * m * n];
            for (int p = 0; p < batch; p++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int l = 0; l < kk; l++) {
                            s += ah[offset + p * m * kk + i * kk + l] * bh[p * n * kk + j * kk + l];
                        }
                        want[p * m * n + i * n + j] = (float) s;
                    }
                }
            }
            assertArrayEquals(want, got, 1e-5f);
            assertEquals(1, d.blasCalls().size(), "one strided-batched call for the whole batch");
            assertEquals(batch, d.blasCalls().getFirst().batch());
            assertTrue(d.launches("gemm_f32").isEmpty(), "the own GEMM kernel is not used");
            assertEquals(1, d.calls("cublasCreate"));
        }
        assertEquals(1, d.calls("cublasDestroy"), "the handle goes with the device");
    }

    @Test
    void layoutsBlasCannotReadAndI64StayOnTheOwnKernel() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = open(d)) {
            Buffer a = k.allocate(DType.F32, 8), b = k.allocate(DType.F32, 8), c = k.allocate(DType.F32, 16);
            // a's rows broadcast (row stride 0): no leading dimension fits.
            k.matmul(new Strided(a, new int[] {4, 2}, new long[] {0, 1}, 0), Strided.contiguous(b, 2, 4), Strided.contiguous(c, 4, 4));
            Buffer ai = k.allocate(DType.I64, 4), bi = k.allocate(DType.I64, 4), ci = k.allocate(DType.I64, 4);
            k.matmul(Strided.contiguous(ai, 2, 2), Strided.contiguous(bi, 2, 2), Strided.contiguous(ci, 2, 2));
            k.synchronize();
            assertTrue(d.blasCalls().isEmpty());
            assertEquals(1, d.launches("gemm_f32").size());
            assertEquals(1, d.launches("gemm_i64").size());
        }
    }

    @Test
    void aFailingCublasCallNamesTheOpAndTheWayOut() {
        FakeDriver d = new FakeDriver() {
            @Override
            public synchronized int blasGemmStridedBatched(long handle, boolean f64, boolean transA, boolean transB, int m, int n,
                    int k, long a, int lda, long strideA, long b, int ldb, long strideB, long c, int ldc, long strideC, int batch) {
                return 13;
            }
        };
        try (CudaKernels k = open(d)) {
            Buffer a = k.allocate(DType.F64, 4), b = k.allocate(DType.F64, 4), c = k.allocate(DType.F64, 4);
            CudaException e = assertThrows(CudaException.class,
                    () -> k.matmul(Strided.contiguous(a, 2, 2), Strided.contiguous(b, 2, 2), Strided.contiguous(c, 2, 2)));
            assertTrue(e.getMessage().startsWith("cuda: matmul [2, 2] @ [2, 2] -> [2, 2] F64 failed in cublasDgemmStridedBatched: "
                    + "CUBLAS_STATUS_EXECUTION_FAILED (13)"), e.getMessage());
            assertTrue(e.getMessage().contains("-Dfathom.cuda.cublas=false"), e.getMessage());
        }
    }

    @Test
    void syncWaitsAfterTheCublasCall() {
        FakeDriver d = new FakeDriver();
        try (CudaKernels k = CudaKernels.open(d, 0, 0, KernelImages.shipped(), true, false, true)) {
            Buffer a = k.allocate(DType.F32, 4), b = k.allocate(DType.F32, 4), c = k.allocate(DType.F32, 4);
            k.upload(new float[] {1, 2, 3, 4}, 0, a, 0, 4);
            k.upload(new float[] {1, 0, 0, 1}, 0, b, 0, 4);
            int waits = d.calls("cuStreamSynchronize");
            k.matmul(Strided.contiguous(a, 2, 2), Strided.contiguous(b, 2, 2), Strided.contiguous(c, 2, 2));
            assertEquals(waits + 1, d.calls("cuStreamSynchronize"), "-Dfathom.cuda.sync=true waits after cuBLAS too");
            assertTrue(d.executed().getLast().endsWith("cublasGemmStridedBatched"), d.executed().toString());
            float[] got = new float[4];
            k.download(c, 0, got, 0, 4);
            assertArrayEquals(new float[] {1, 2, 3, 4}, got);
        }
    }
}
