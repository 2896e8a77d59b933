package dev.fathom.cuda;

import dev.fathom.cuda.KernelLauncher.Dim3;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The host side of {@code gemm.cu}: {@code out[..., m, n] = Σ_k a[..., m, k]·b[..., k, n]} with the
 * tiled GEMM ({@code gemm_f32}, {@code gemm_f64}, {@code gemm_i64}, and for large F32 products
 * {@code gemm_f32_128_*}), transposed and broadcast operands passed as strides (no copies).
 *
 * <p>Batch dims: size-1 dims are dropped and neighbours merged where both a and b step through them
 * as one (out is contiguous, so it always does). Up to two remaining dims and at most 65535
 * products go in one launch (the kernel's outer and inner batch levels, {@code gridDim.z}); more
 * dims are walked on the host, one launch per index of all but the last dim, and a last dim over
 * 65535 is split into chunks. An M over 65535 tiles (gridDim.y's limit) is split into row chunks,
 * one product at a time. {@link GemmGeometry} chooses each launch's kernel and grid, from that
 * launch's M, N and batch; {@value #MIN_LARGE_BLOCKS_PROPERTY} sets its threshold for the large
 * F32 tile (default {@value GemmGeometry#DEFAULT_MIN_LARGE_BLOCKS} blocks; 0 takes the large tile
 * wherever its edge waste allows, a huge value never), to compare the two kernels on a GPU.
 *
 * <p>Split K: one F32 or F64 product whose C has so few tiles that most of the GPU would idle, or
 * that falls just short of the large tile's threshold ({@link #splitK(DType, int, int, int, int)}),
 * is computed as products over slices of K, launched as one batch into a temporary, which
 * {@code gemm_splitk_sum_*} then adds into C.
 */
final class GemmLaunches {
    private static final int MAX_Z = GemmGeometry.MAX_GRID_YZ;
    // Row chunks sized for the small tile, so that either tile's grid fits.
    private static final long MAX_ROWS = (long) GemmGeometry.MAX_GRID_YZ * GemmGeometry.SMALL_TILE;
    static final String MIN_LARGE_BLOCKS_PROPERTY = "fathom.cuda.gemm128MinBlocks";

    private final CudaKernels kernels;
    private final CudaDevice device;
    private final KernelModule module;
    private final int minLargeBlocks;

    GemmLaunches(CudaKernels kernels, CudaDevice device) {
        this.kernels = kernels;
        this.device = device;
        this.module = new KernelModule(device, "gemm");
        this.minLargeBlocks = minLargeBlocks(System.getProperty(MIN_LARGE_BLOCKS_PROPERTY));
    }

    /** Blocks a split-K product aims for: about one per SM of an H100 or H200. */
    static final long SPLIT_K_TARGET_BLOCKS = 128;
    /** The shortest slice of K worth its own block (16 slices of the small kernel's BK). */
    static final int MIN_SPLIT_K = 256;

    /**
     * Into how many slices of K to cut one product of {@code blocks} small tiles: 1 when the tiles
     * alone give half the target or K is shorter than two slices, else as many as reach
     * {@link #SPLIT_K_TARGET_BLOCKS} without a slice under {@link #MIN_SPLIT_K}.
     */
    static int splitK(long blocks, int k) {
        return (int) LaunchGeometry.splits(blocks, k, SPLIT_K_TARGET_BLOCKS, MIN_SPLIT_K);
    }

    /**
     * The slices of K for one m × n product: {@link #splitK(long, int)} over its small tiles, or, for
     * an F32 product with too few large tiles for the large kernel ({@code minLargeBlocks}), as
     * many slices as give it enough, when {@link GemmGeometry#choose} then takes the large tile for
     * the batch of slices and no slice is under {@link #MIN_SPLIT_K}. (N = 1024: 64 tiles of 128,
     * 2 slices; the small kernel ran that product at 0.45x cuBLAS on an H200.)
     */
    static int splitK(DType dtype, int m, int n, int k, int minLargeBlocks) {
        long small = tiles(m, n, GemmGeometry.SMALL_TILE);
        int splits = splitK(small, k);
        if (splits > 1 || dtype != DType.F32 || minLargeBlocks == 0) {
            return splits;
        }
        long large = tiles(m, n, GemmGeometry.LARGE_TILE);
        if (large >= minLargeBlocks) {
            return 1;
        }
        int s = (int) Math.min((minLargeBlocks + large - 1) / large, k / MIN_SPLIT_K);
        return s > 1 && GemmGeometry.choose(dtype, m, n, s, minLargeBlocks).tile() == GemmGeometry.LARGE_TILE ? s : 1;
    }

    private static long tiles(long m, long n, int tile) {
        return (m + tile - 1) / tile * ((n + tile - 1) / tile);
    }

    /** The value of {@value #MIN_LARGE_BLOCKS_PROPERTY}: the default when unset, else an integer >= 0. */
    static int minLargeBlocks(String value) {
        if (value == null) {
            return GemmGeometry.DEFAULT_MIN_LARGE_BLOCKS;
        }
        try {
            int v = Integer.parseInt(value.strip());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + MIN_LARGE_BLOCKS_PROPERTY + "=" + value + " is not a block count; give an"
                + " integer >= 0 (default " + GemmGeometry.DEFAULT_MIN_LARGE_BLOCKS + "; 0 prefers the 128 x 128 F32 kernel,"
                + " 2147483647 never uses it)");
    }

    /** One batch dim after dropping and merging: its size and the step of a and b through it. */
    record BatchDim(long size, long a, long b) {
    }

    /** What every launch of one matmul shares. */
    private record Product(Object shapes, DType dtype, long a, long aRs, long aCs, long b, long bRs, long bCs, long c,
            int m, int n, int k) {
        /** The same operands, into {@code c} over {@code k} of their inner size (a slice of K). */
        Product slice(long c, int k) {
            return new Product(shapes, dtype, a, aRs, aCs, b, bRs, bCs, c, m, n, k);
        }
    }

    void matmul(Strided a, Strided b, Strided out) {
        CudaBuffer ab = kernels.buffer(a, "matmul"), bb = kernels.buffer(b, "matmul"), ob = kernels.buffer(out, "matmul");
        Object shapes = LazyText.of(() -> Shape.format(a.shape()) + " @ " + Shape.format(b.shape()) + " -> "
                + Shape.format(out.shape()) + " " + ab.dtype());
        check(a, b, out, ab.dtype(), bb.dtype(), ob.dtype(), shapes);
        int r = out.rank();
        int m = out.shape()[r - 2], n = out.shape()[r - 1], k = a.shape()[r - 1];
        List<BatchDim> dims = batchDims(a, b, out);
        long batch = dims.stream().mapToLong(BatchDim::size).reduce(1, (x, y) -> x * y);
        if (m == 0 || n == 0 || batch == 0) {
            return;
        }
        Product p = new Product(shapes, ab.dtype(), ab.address(), a.strides()[r - 2],
                a.strides()[r - 1], bb.address(), b.strides()[r - 2], b.strides()[r - 1], ob.address(), m, n, k);
        long mn = (long) m * n;
        if (ab.dtype() != DType.I64 && cublas(p, dims, a.offset(), b.offset(), out.offset(), ab.dtype())) {
            return;
        }
        if (m > MAX_ROWS) {
            // Too many row tiles for gridDim.y: one product at a time, in row chunks.
            forEachIndex(dims, dims.size(), a.offset(), b.offset(), out.offset(), mn, (ao, bo, co) -> {
                for (long r0 = 0; r0 < m; r0 += MAX_ROWS) {
                    int rows = (int) Math.min(MAX_ROWS, m - r0);
                    launch(p, ao + r0 * p.aRs(), 0, 0, bo, 0, 0, co + r0 * n, rows, 1, 1);
                }
            });
            return;
        }
        if (batch == 1 && ab.dtype() != DType.I64) {
            int splits = splitK(ab.dtype(), m, n, k, minLargeBlocks);
            if (splits > 1) {
                launchSplitK(p, splits, a.offset(), b.offset(), out.offset());
                return;
            }
        }
        if (dims.size() <= 2 && batch <= MAX_Z) {
            BatchDim outer = dims.size() == 2 ? dims.get(0) : new BatchDim(1, 0, 0);
            BatchDim inner = dims.isEmpty() ? new BatchDim(1, 0, 0) : dims.getLast();
            launch(p, a.offset(), outer.a(), inner.a(), b.offset(), outer.b(), inner.b(), out.offset(), m, (int) inner.size(),
                    batch);
            return;
        }
        BatchDim last = dims.getLast();
        forEachIndex(dims, dims.size() - 1, a.offset(), b.offset(), out.offset(), mn * last.size(), (ao, bo, co) -> {
            for (long z0 = 0; z0 < last.size(); z0 += MAX_Z) {
                int count = (int) Math.min(MAX_Z, last.size() - z0);
                launch(p, ao + z0 * last.a(), 0, last.a(), bo + z0 * last.b(), 0, last.b(), co + z0 * mn, m, count, count);
            }
        });
    }

    private void launch(Product p, long aOff, long aOuter, long aInner, long bOff, long bOuter, long bInner, long cOff, int m,
            int batchInner, long batch) {
        GemmGeometry g = GemmGeometry.choose(p.dtype(), m, p.n(), batch, minLargeBlocks);
        KernelParams params = KernelParams.of().ptr(p.a()).i64(aOff).i64(aOuter).i64(aInner).i64(p.aRs()).i64(p.aCs())
                .ptr(p.b()).i64(bOff).i64(bOuter).i64(bInner).i64(p.bRs()).i64(p.bCs())
                .ptr(p.c()).i64(cOff).i32(m).i32(p.n()).i32(p.k()).i32(batchInner).i32(0);
        String kernel = g.kernel(p.dtype(), p.aCs(), p.bRs(), p.bCs());
        module.launch("matmul", p.shapes(), kernel, new Dim3(g.gridX(), g.gridY(), g.gridZ()), Dim3.of(g.block()), params);
    }

    /**
     * C = A·B as {@code splits} products over slices of K: slice s (K from s·kc, kc a multiple of
     * 16) is batch index s of a launch whose inner batch strides step A's columns and B's rows by kc,
     * into a temporary [splits, M, N]; a shorter last slice is its own launch. Then
     * {@code gemm_splitk_sum} adds the slices into C, and the temporary goes back to the cache.
     */
    private void launchSplitK(Product p, int splits, long aOff, long bOff, long cOff) {
        int k = p.k();
        int kc = ((k + splits - 1) / splits + 15) / 16 * 16;
        int full = k / kc, last = k - full * kc;
        int parts = full + (last > 0 ? 1 : 0);
        long mn = (long) p.m() * p.n();
        CudaBuffer tmp = (CudaBuffer) kernels.allocate(p.dtype(), parts * mn);
        try {
            launch(p.slice(tmp.address(), kc), aOff, 0, kc * p.aCs(), bOff, 0, kc * p.bRs(), 0, p.m(), full, full);
            if (last > 0) {
                launch(p.slice(tmp.address(), last), aOff + full * kc * p.aCs(), 0, 0, bOff + full * kc * p.bRs(), 0, 0,
                        full * mn, p.m(), 1, 1);
            }
            module.launchElements("matmul", p.shapes(), "gemm_splitk_sum_" + CudaBuffer.suffix(p.dtype()), mn,
                    KernelParams.of().ptr(tmp.address()).i64(parts).i64(mn).ptr(p.c()).i64(cOff).i32(0));
        } finally {
            kernels.free(tmp);
        }
    }

    /**
     * The product through cuBLAS when this device routes GEMM there and the operands' layouts fit
     * BLAS ({@link BlasGemm}): the last batch dim as cuBLAS's batch, any others walked on the host.
     * False (nothing done) otherwise.
     */
    private boolean cublas(Product p, List<BatchDim> dims, long aOff, long bOff, long cOff, DType dtype) {
        long handle = device.blas();
        BlasGemm call = handle == 0 ? null : BlasGemm.of(p.m(), p.n(), p.k(), p.aRs(), p.aCs(), p.bRs(), p.bCs());
        if (call == null) {
            return false;
        }
        long mn = (long) p.m() * p.n();
        BatchDim last = dims.isEmpty() ? new BatchDim(1, 0, 0) : dims.getLast();
        int outer = Math.max(0, dims.size() - 1);
        long size = dtype.byteSize();
        forEachIndex(dims, outer, aOff, bOff, cOff, mn * last.size(), (ao, bo, co) -> {
            for (long z0 = 0; z0 < last.size(); z0 += Integer.MAX_VALUE) {
                int count = (int) Math.min(Integer.MAX_VALUE, last.size() - z0);
                String name = dtype == DType.F64 ? "cublasDgemmStridedBatched" : "cublasSgemmStridedBatched";
                int status = device.driver().blasGemmStridedBatched(handle, dtype == DType.F64, call.transFirst(),
                        call.transSecond(), call.rows(), call.cols(), call.inner(),
                        p.b() + (bo + z0 * last.b()) * size, call.ldFirst(), last.b(),
                        p.a() + (ao + z0 * last.a()) * size, call.ldSecond(), last.a(),
                        p.c() + (co + z0 * mn) * size, call.ldOut(), mn, count);
                if (status != 0) {
                    throw new CudaException("cuda: matmul " + p.shapes() + " failed in " + name + ": "
                            + CudaDriver.blasStatusName(status) + " (" + status + "); -D" + CudaPlan.CUBLAS_PROPERTY
                            + "=false uses the own GEMM kernels instead", "matmul", status);
                }
                if (device.sync()) {
                    // As KernelLauncher after a launch and CudnnOps after a cuDNN call: a fault names this call.
                    device.stream().synchronize("matmul (" + name + ")", p.shapes());
                }
            }
        });
        return true;
    }

    private interface Offsets {
        void at(long a, long b, long c);
    }

    /** Calls {@code body} for every index of the first {@code count} dims (row-major), with the three offsets there. */
    private static void forEachIndex(List<BatchDim> dims, int count, long a, long b, long c, long cStep, Offsets body) {
        long total = 1;
        for (int d = 0; d < count; d++) {
            total *= dims.get(d).size();
        }
        long[] idx = new long[count];
        for (long i = 0; i < total; i++) {
            long ao = a, bo = b;
            for (int d = 0; d < count; d++) {
                ao += idx[d] * dims.get(d).a();
                bo += idx[d] * dims.get(d).b();
            }
            body.at(ao, bo, c + i * cStep);
            for (int d = count - 1; d >= 0 && ++idx[d] == dims.get(d).size(); d--) {
                idx[d] = 0;
            }
        }
    }

    /** The batch dims without size-1 ones, neighbours merged where a and b both step through them as one. */
    static List<BatchDim> batchDims(Strided a, Strided b, Strided out) {
        List<BatchDim> dims = new ArrayList<>();
        for (int d = 0; d < out.rank() - 2; d++) {
            int size = out.shape()[d];
            if (size == 1) {
                continue;
            }
            BatchDim cur = new BatchDim(size, a.strides()[d], b.strides()[d]);
            if (!dims.isEmpty()) {
                BatchDim prev = dims.getLast();
                if (prev.a() == cur.a() * cur.size() && prev.b() == cur.b() * cur.size()) {
                    dims.set(dims.size() - 1, new BatchDim(prev.size() * cur.size(), cur.a(), cur.b()));
                    continue;
                }
            }
            dims.add(cur);
        }
        return dims;
    }

    private static void check(Strided a, Strided b, Strided out, DType ta, DType tb, DType to, Object shapes) {
        if (ta != tb || ta != to) {
            throw new IllegalArgumentException("cuda: matmul: operands and output must have one dtype, got " + ta + ", " + tb
                    + " and " + to + " (" + shapes + "); convert with .to(dtype)");
        }
        if (ta == DType.BOOL) {
            throw new IllegalArgumentException("cuda: matmul is not defined for BOOL (" + shapes + "); convert with .to(DType.F32)");
        }
        int r = out.rank();
        boolean ok = r >= 2 && a.rank() == r && b.rank() == r && a.shape()[r - 2] == out.shape()[r - 2]
                && b.shape()[r - 1] == out.shape()[r - 1] && a.shape()[r - 1] == b.shape()[r - 2]
                && Arrays.equals(Arrays.copyOf(a.shape(), r - 2), Arrays.copyOf(out.shape(), r - 2))
                && Arrays.equals(Arrays.copyOf(b.shape(), r - 2), Arrays.copyOf(out.shape(), r - 2));
        if (!ok) {
            throw new IllegalArgumentException("cuda: matmul: shapes must be [..., m, k] @ [..., k, n] -> [..., m, n] with one rank "
                    + ">= 2 and equal batch sizes (broadcast by stride 0), got " + shapes);
        }
        if (out.numel() > 0 && !out.isContiguous()) {
            throw new IllegalArgumentException("cuda: matmul: the output must be contiguous, got " + out);
        }
    }
}
