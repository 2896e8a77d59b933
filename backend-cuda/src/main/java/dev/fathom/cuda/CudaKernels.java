package dev.fathom.cuda;

import dev.fathom.spi.AdamUpdate;
import dev.fathom.spi.AttentionGeometry;
import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.Buffer;
import dev.fathom.spi.Conv2dGeometry;
import dev.fathom.spi.Kernels;
import dev.fathom.spi.MemoryStats;
import dev.fathom.spi.Pool2dGeometry;
import dev.fathom.spi.RandomOp;
import dev.fathom.spi.ReduceOp;
import dev.fathom.spi.SgdUpdate;
import dev.fathom.spi.Strided;
import dev.fathom.spi.UnaryOp;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;

import java.util.Objects;
import java.util.function.DoubleFunction;

/**
 * The kernel SPI on one GPU, over Fathom's own PTX kernels: everything is enqueued on the
 * device's one {@link ComputeStream} and returns at once, except {@link #download} and
 * {@link #synchronize}. Kernels that check their data (I64 division, gather, scatter-add) note a
 * bad element in {@link DeviceChecks}, whose error the next wait throws.
 *
 * <p>Each kernel family's launch plumbing is its own class ({@link ElementwiseLaunches},
 * {@link ReduceLaunches}, {@link GemmLaunches}, {@link IndexLaunches}, {@link RandomLaunches},
 * {@link CudaConvolutions}, and for the fused ops {@link CudaFusedOps}, {@link CudaAttention},
 * {@link CudaRecurrent}), each
 * loading its PTX module on first use. Convolution and batch norm go to {@link CudnnOps} first
 * when the plan routes them to cuDNN; it declines what it does not map and the own kernels serve that. Memory comes from the device's {@link CachingAllocator}, so
 * a repeated sequence of ops calls {@code cuMemAlloc} only the first time; {@link #memoryStats} are
 * its counters.
 *
 * <p>Threads: the primary context is made current on every thread that calls in (the first call
 * from a thread retains it there), so tensors may be used from any thread, one op at a time per
 * device as the stream orders them.
 */
final class CudaKernels implements Kernels, AutoCloseable {
    /** The kernels whose context is current on each thread, so a call from a new thread makes it current first. */
    private static final ThreadLocal<CudaKernels> CURRENT = new ThreadLocal<>();

    private final CudaDriver driver;
    private final CudaDevice gpu;
    private final Device device;
    private final Transfers transfers;
    private final ElementwiseLaunches elementwise;
    private final ReduceLaunches reduce;
    private final GemmLaunches gemm;
    private final IndexLaunches index;
    private final RandomLaunches random;
    private final CudaConvolutions convolutions;
    private final CudnnOps cudnn;
    private final DeviceChecks checks;
    private final CudaFusedOps fused;
    private final CudaAttention attention;
    private final CudaRecurrent recurrent;
    private boolean closed;

    private CudaKernels(CudaDriver driver, int ordinal, Device device, KernelImages images, boolean cublas, boolean cudnn,
            boolean sync) {
        this.driver = driver;
        this.gpu = CudaDevice.open(driver, ordinal, sync, images, cublas, cudnn);
        try {
            CURRENT.set(this);
            this.device = device;
            this.transfers = new Transfers(gpu);
            this.elementwise = new ElementwiseLaunches(this, gpu);
            this.reduce = new ReduceLaunches(this, gpu);
            this.gemm = new GemmLaunches(this, gpu);
            this.index = new IndexLaunches(this, gpu);
            this.random = new RandomLaunches(this, gpu);
            this.convolutions = new CudaConvolutions(this, gpu);
            this.cudnn = new CudnnOps(this, gpu);
            this.checks = new DeviceChecks(gpu, elementwise);
            this.fused = new CudaFusedOps(gpu, (s, op) -> buffer(s, op).address());
            this.attention = new CudaAttention(gpu, (s, op) -> buffer(s, op).address());
            this.recurrent = new CudaRecurrent(gpu, (s, op) -> buffer(s, op).address());
        } catch (RuntimeException | Error e) {
            // Nothing will close a half-built instance: give its stream and caches back here.
            if (CURRENT.get() == this) {
                CURRENT.remove();
            }
            try {
                gpu.close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** Opens GPU {@code ordinal} (as the driver counts) as Fathom device {@code cuda:ordinal}. */
    static CudaKernels open(CudaDriver driver, int ordinal) {
        return open(driver, ordinal, ordinal);
    }

    /** Opens GPU {@code ordinal} as Fathom device {@code cuda:index} (they differ when unusable GPUs are skipped). */
    static CudaKernels open(CudaDriver driver, int ordinal, int index) {
        return open(driver, ordinal, index, KernelImages.shipped(), false);
    }

    /**
     * Opens GPU {@code ordinal} as {@code cuda:index} with its modules from {@code images} and GEMM
     * through cuBLAS when {@code cublas} ({@link CudaPlan}).
     */
    static CudaKernels open(CudaDriver driver, int ordinal, int index, KernelImages images, boolean cublas) {
        return open(driver, ordinal, index, images, cublas, false);
    }

    /** As {@link #open(CudaDriver, int, int, KernelImages, boolean)}, with conv2d and batch norm through cuDNN when {@code cudnn}. */
    static CudaKernels open(CudaDriver driver, int ordinal, int index, KernelImages images, boolean cublas, boolean cudnn) {
        return open(driver, ordinal, index, images, cublas, cudnn, KernelLauncher.SYNC_PROPERTY);
    }

    /**
     * As {@link #open(CudaDriver, int, int, KernelImages, boolean, boolean)}, waiting after every
     * launch when {@code sync}: what {@code -Dfathom.cuda.sync=true} does, for tests.
     */
    static CudaKernels open(CudaDriver driver, int ordinal, int index, KernelImages images, boolean cublas, boolean cudnn,
            boolean sync) {
        Objects.requireNonNull(driver, "driver");
        if (ordinal < 0 || index < 0) {
            throw new IllegalArgumentException("cuda: device ordinal " + ordinal + " / index " + index
                    + " is negative; use 0 for the first GPU");
        }
        return new CudaKernels(driver, ordinal, new Device("cuda", index), images, cublas, cudnn, sync);
    }

    @Override
    public Device device() {
        return device;
    }

    /** The GPU's runtime (stream, allocator, launchers), for kernels that live in other classes. */
    CudaDevice gpu() {
        return gpu;
    }

    DeviceChecks checks() {
        return checks;
    }

    ElementwiseLaunches elementwise() {
        return elementwise;
    }

    /** The live buffer of {@code s}, after making the context current on this thread. */
    CudaBuffer buffer(Strided s, String op) {
        Objects.requireNonNull(s, op);
        makeCurrent();
        return CudaBuffer.of(s.buffer(), this, op);
    }

    private void makeCurrent() {
        if (CURRENT.get() != this) {
            gpu.check().check("cuda:" + gpu.ordinal() + ": cuDevicePrimaryCtxRetain (new thread)", "",
                    driver.ctxRetainPrimary(gpu.ordinal()));
            CURRENT.set(this);
        }
    }

    // ---- memory

    /** The op an allocation's out-of-memory error names, per dtype (its bytes are in the message): no string built per call. */
    private static final String[] ALLOCATE_OP = java.util.Arrays.stream(DType.values()).map(t -> "allocate " + t).toArray(String[]::new);

    @Override
    public Buffer allocate(DType dtype, long numel) {
        Objects.requireNonNull(dtype, "dtype");
        if (numel < 0 || numel > Long.MAX_VALUE / dtype.byteSize()) {
            throw new IllegalArgumentException("cuda: allocate: " + numel + " elements of " + dtype
                    + " is not a valid size; sizes are >= 0");
        }
        makeCurrent();
        long bytes = numel * dtype.byteSize();
        return new CudaBuffer(this, gpu.allocator().allocate(ALLOCATE_OP[dtype.ordinal()], bytes), dtype, numel);
    }

    @Override
    public void free(Buffer buffer) {
        CudaBuffer b = CudaBuffer.of(buffer, this, "free");
        if (!b.markFreed()) {
            throw new IllegalStateException("cuda: free: " + b + " was freed twice");
        }
        makeCurrent();
        gpu.allocator().free(b.address());
    }

    /** The allocator's counters; they include the device checks' slots and the reduction tickets (one block each). */
    @Override
    public MemoryStats memoryStats() {
        CachingAllocator.Stats s = gpu.allocator().stats();
        return new MemoryStats(s.liveBlocks(), s.liveBytes(), s.peakBytes(), s.allocations(), s.cacheHits());
    }

    @Override
    public void fill(Strided dst, double value) {
        elementwise.fill(dst, value);
    }

    @Override
    public void copy(Strided src, Strided dst) {
        elementwise.copy(src, dst);
    }

    @Override
    public void upload(Object hostArray, int hostOffset, Buffer dst, long dstOffset, int count) {
        makeCurrent();
        transfers.upload(hostArray, hostOffset, CudaBuffer.of(dst, this, "upload"), dstOffset, count);
    }

    @Override
    public void download(Buffer src, long srcOffset, Object hostArray, int hostOffset, int count) {
        makeCurrent();
        transfers.download(CudaBuffer.of(src, this, "download"), srcOffset, hostArray, hostOffset, count);
    }

    @Override
    public void synchronize() {
        makeCurrent();
        transfers.synchronize("synchronize");
    }

    /** Uploads whose staging buffer is still in flight (for tests). */
    int pendingUploads() {
        return transfers.pendingUploads();
    }

    // ---- compute

    @Override
    public void unary(UnaryOp op, Strided x, Strided out) {
        elementwise.unary(op, x, out);
    }

    @Override
    public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
        elementwise.binary(op, a, b, out);
    }

    @Override
    public void where(Strided cond, Strided a, Strided b, Strided out) {
        elementwise.where(cond, a, b, out);
    }

    @Override
    public void activationBackward(UnaryOp op, Strided x, Strided gradOut, Strided gradIn) {
        elementwise.activationBackward(op, x, gradOut, gradIn);
    }

    @Override
    public void reduce(ReduceOp op, Strided x, int[] axes, Strided out) {
        reduce.reduce(op, x, axes, out);
    }

    @Override
    public void matmul(Strided a, Strided b, Strided out) {
        gemm.matmul(a, b, out);
    }

    @Override
    public void gather(Strided x, int dim, Strided index, Strided out) {
        this.index.gather(x, dim, index, out);
    }

    @Override
    public void scatterAdd(Strided src, int dim, Strided index, Strided out) {
        this.index.scatterAdd(src, dim, index, out);
    }

    /** On the GPU, without waiting: a value out of range is thrown by the next wait ({@link DeviceChecks}). */
    @Override
    public void checkRange(String op, Strided x, double lo, double hi, double allowed, DoubleFunction<RuntimeException> failure) {
        this.index.checkRange(op, x, lo, hi, allowed, failure);
    }

    @Override
    public void random(RandomOp op, Strided out, long seed, long counter, double a, double b) {
        random.random(op, out, seed, counter, a, b);
    }

    @Override
    public void conv2dForward(Conv2dGeometry g, Strided x, Strided w, Strided out) {
        if (!cudnn.conv2dForward(g, x, w, out)) {
            convolutions.conv2dForward(g, x, w, out);
        }
    }

    @Override
    public void conv2dBackwardData(Conv2dGeometry g, Strided gradOut, Strided w, Strided gradIn) {
        if (!cudnn.conv2dBackwardData(g, gradOut, w, gradIn)) {
            convolutions.conv2dBackwardData(g, gradOut, w, gradIn);
        }
    }

    @Override
    public void conv2dBackwardWeight(Conv2dGeometry g, Strided x, Strided gradOut, Strided gradW) {
        if (!cudnn.conv2dBackwardWeight(g, x, gradOut, gradW)) {
            convolutions.conv2dBackwardWeight(g, x, gradOut, gradW);
        }
    }

    @Override
    public void maxPool2dForward(Pool2dGeometry g, Strided x, Strided out, Strided indices) {
        convolutions.maxPool2dForward(g, x, out, indices);
    }

    @Override
    public void maxPool2dBackward(Pool2dGeometry g, Strided gradOut, Strided indices, Strided gradIn) {
        convolutions.maxPool2dBackward(g, gradOut, indices, gradIn);
    }

    @Override
    public void avgPool2dForward(Pool2dGeometry g, boolean countIncludePad, Strided x, Strided out) {
        convolutions.avgPool2dForward(g, countIncludePad, x, out);
    }

    @Override
    public void avgPool2dBackward(Pool2dGeometry g, boolean countIncludePad, Strided gradOut, Strided gradIn) {
        convolutions.avgPool2dBackward(g, countIncludePad, gradOut, gradIn);
    }

    // ---- fused ops (CudaFusedOps)

    @Override
    public void softmax(Strided x, int axis, boolean log, Strided out) {
        fused.softmax(x, axis, log, out);
    }

    @Override
    public void softmaxBackward(Strided y, Strided gradY, int axis, boolean log, Strided gradX) {
        fused.softmaxBackward(y, gradY, axis, log, gradX);
    }

    @Override
    public void layerNorm(Strided x, long normalized, Strided weight, Strided bias, double eps, Strided out, Strided mean, Strided rstd) {
        fused.layerNorm(x, normalized, weight, bias, eps, out, mean, rstd);
    }

    @Override
    public void layerNormBackward(Strided gradOut, Strided x, Strided mean, Strided rstd, Strided weight, Strided gradX,
                                  Strided gradWeight, Strided gradBias) {
        fused.layerNormBackward(gradOut, x, mean, rstd, weight, gradX, gradWeight, gradBias);
    }

    @Override
    public void batchNorm(Strided x, Strided weight, Strided bias, double eps, Strided out, Strided mean, Strided invstd) {
        if (!cudnn.batchNorm(x, weight, bias, eps, out, mean, invstd)) {
            fused.batchNorm(x, weight, bias, eps, out, mean, invstd);
        }
    }

    @Override
    public void batchNormBackward(Strided gradOut, Strided x, Strided mean, Strided invstd, Strided weight, Strided gradX,
                                  Strided gradWeight, Strided gradBias) {
        if (!cudnn.batchNormBackward(gradOut, x, mean, invstd, weight, gradX, gradWeight, gradBias)) {
            fused.batchNormBackward(gradOut, x, mean, invstd, weight, gradX, gradWeight, gradBias);
        }
    }

    @Override
    public void sgdUpdate(Strided param, Strided grad, Strided momentumBuffer, SgdUpdate hyper) {
        fused.sgdUpdate(param, grad, momentumBuffer, hyper);
    }

    @Override
    public void adamUpdate(Strided param, Strided grad, Strided expAvg, Strided expAvgSq, Strided maxExpAvgSq, AdamUpdate hyper) {
        fused.adamUpdate(param, grad, expAvg, expAvgSq, maxExpAvgSq, hyper);
    }

    @Override
    public void attentionForward(AttentionGeometry g, Strided q, Strided k, Strided v, Strided out, Strided logsumexp) {
        attention.forward(g, q, k, v, out, logsumexp);
    }

    @Override
    public void attentionBackward(AttentionGeometry g, Strided q, Strided k, Strided v, Strided out, Strided gradOut, Strided logsumexp,
                                  Strided gradQ, Strided gradK, Strided gradV) {
        attention.backward(g, q, k, v, out, gradOut, logsumexp, gradQ, gradK, gradV);
    }

    // ---- recurrent cells (CudaRecurrent)

    @Override
    public void lstmCell(Strided gates, Strided inputGates, Strided c, Strided out, Strided acts) {
        recurrent.lstmCell(gates, inputGates, c, out, acts);
    }

    @Override
    public void lstmCellBackward(Strided acts, Strided c, Strided gradOut, Strided gradH, Strided gradGates, Strided gradC) {
        recurrent.lstmCellBackward(acts, c, gradOut, gradH, gradGates, gradC);
    }

    /**
     * Waits for the GPU, frees the device checks' slots and the reduction tickets and gives the
     * device's caches back. A fault that a checked launch noted and no wait has read is dropped:
     * closing does not throw for it. A second call does nothing.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return; // a second close would free the checks' slots and the tickets again
            }
            closed = true;
        }
        makeCurrent();
        try {
            checks.free();
            transfers.synchronize("close");
            reduce.free();
        } finally {
            try {
                cudnn.close();
            } finally {
                gpu.close();
                if (CURRENT.get() == this) {
                    CURRENT.remove();
                }
            }
        }
    }
}
