package dev.fathom.cuda;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One GPU as the runtime uses it: its primary context made current, its one
 * {@link ComputeStream}, its {@link CachingAllocator}, its {@link PinnedBufferPool} for
 * transfers, and a {@link KernelLauncher} per loaded
 * PTX module. {@link CudaKernels} sits on it.
 *
 * <p>Out of memory while loading a module or creating the cuBLAS or cuDNN handle is handled as
 * the {@link CachingAllocator} handles it for tensors: the cache is given back and the call
 * retried once.
 *
 * <p>{@link #close()} waits for the stream, destroys it, and gives the allocator's and the pinned
 * pool's caches back;
 * blocks still owned by tensors are freed as those tensors close.
 */
final class CudaDevice implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.fathom");

    /** {@code CUBLAS_STATUS_ALLOC_FAILED}. */
    static final int CUBLAS_STATUS_ALLOC_FAILED = 3;
    /** {@code CUDNN_STATUS_ALLOC_FAILED} of cuDNN 9, and of cuDNN 8. */
    static final int CUDNN_STATUS_ALLOC_FAILED = 4001;
    static final int CUDNN8_STATUS_ALLOC_FAILED = 2;

    private final CudaDriver driver;
    private final CudaCheck check;
    private final int ordinal;
    private final boolean sync;
    private final ComputeStream stream;
    private final CachingAllocator allocator;
    private final PinnedBufferPool pinned;
    private final Map<String, KernelLauncher> launchers = new HashMap<>();
    private final KernelImages images;
    private int sassModules;
    private final boolean cublas;
    private final boolean cudnn;
    /** Whether launchers load with programmatic dependent launch allowed ({@link KernelLauncher#PDL_PROPERTY}). */
    private boolean pdl = KernelLauncher.PDL_PROPERTY;
    private long blasHandle;
    private long dnnHandle;
    private boolean closed;

    private CudaDevice(CudaDriver driver, int ordinal, boolean sync, KernelImages images, boolean cublas, boolean cudnn) {
        this.driver = driver;
        this.images = images;
        this.cublas = cublas;
        this.cudnn = cudnn;
        this.check = new CudaCheck(driver);
        this.ordinal = ordinal;
        this.sync = sync;
        check.check("open cuda:" + ordinal + ": cuDevicePrimaryCtxRetain", "", driver.ctxRetainPrimary(ordinal));
        this.stream = new ComputeStream(driver, check);
        this.allocator = new CachingAllocator(driver, check);
        this.pinned = new PinnedBufferPool(driver, check);
    }

    /** Opens device {@code ordinal}; launches synchronize when {@code -Dfathom.cuda.sync=true}. */
    static CudaDevice open(CudaDriver driver, int ordinal) {
        return open(driver, ordinal, KernelLauncher.SYNC_PROPERTY);
    }

    static CudaDevice open(CudaDriver driver, int ordinal, boolean sync) {
        return open(driver, ordinal, sync, KernelImages.shipped(), false);
    }

    /**
     * Opens device {@code ordinal} with its kernels' modules from {@code images} and, when
     * {@code cublas}, GEMM through cuBLAS (a handle created on first use).
     */
    static CudaDevice open(CudaDriver driver, int ordinal, boolean sync, KernelImages images, boolean cublas) {
        return open(driver, ordinal, sync, images, cublas, false);
    }

    /** As {@link #open(CudaDriver, int, boolean, KernelImages, boolean)}, with convolution and batch norm through cuDNN when {@code cudnn}. */
    static CudaDevice open(CudaDriver driver, int ordinal, boolean sync, KernelImages images, boolean cublas, boolean cudnn) {
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(images, "images");
        if (ordinal < 0) {
            throw new IllegalArgumentException("cuda: device index " + ordinal + " is negative; use 0 for the first GPU");
        }
        return new CudaDevice(driver, ordinal, sync, images, cublas, cudnn);
    }

    int ordinal() {
        return ordinal;
    }

    /** The driver, for calls outside the launch path (cuBLAS). */
    CudaDriver driver() {
        return driver;
    }

    ComputeStream stream() {
        return stream;
    }

    CachingAllocator allocator() {
        return allocator;
    }

    PinnedBufferPool pinned() {
        return pinned;
    }

    /** Whether every launch and library call waits for the GPU ({@code -Dfathom.cuda.sync=true}). */
    boolean sync() {
        return sync;
    }

    CudaCheck check() {
        return check;
    }

    /** Where the own kernels' module images come from (shipped PTX, or NVRTC). */
    KernelImages images() {
        return images;
    }

    /**
     * The cuBLAS handle on this device's stream, created on first use; 0 when GEMM does not go to
     * cuBLAS here ({@link CudaPlan#cublas()}).
     */
    synchronized long blas() {
        ensureOpen("cuBLAS");
        if (!cublas) {
            return 0;
        }
        if (blasHandle == 0) {
            long[] h = new long[1];
            int status = driver.blasCreate(h, stream.handle());
            if (status == CUBLAS_STATUS_ALLOC_FAILED) {
                allocator.emptyCache(); // the handle's workspace may fit once the cache is given back
                status = driver.blasCreate(h, stream.handle());
            }
            if (status != 0) {
                throw new CudaException("cuda:" + ordinal + ": cublasCreate failed: " + CudaDriver.blasStatusName(status)
                        + "; run with -Dfathom.cuda.cublas=false to use the own GEMM kernels", "cublasCreate", status);
            }
            blasHandle = h[0];
        }
        return blasHandle;
    }

    /**
     * The cuDNN handle on this device's stream, created on first use; 0 when convolution and batch
     * norm do not go to cuDNN here ({@link CudaPlan#cudnn()}).
     */
    synchronized long dnn() {
        ensureOpen("cuDNN");
        if (!cudnn) {
            return 0;
        }
        if (dnnHandle == 0) {
            long[] h = new long[1];
            int status = driver.cudnnCreate(h, stream.handle());
            if (status == CUDNN_STATUS_ALLOC_FAILED || status == CUDNN8_STATUS_ALLOC_FAILED) {
                allocator.emptyCache();
                status = driver.cudnnCreate(h, stream.handle());
            }
            if (status != 0) {
                throw new CudaException("cuda:" + ordinal + ": cudnnCreate failed: " + driver.cudnnErrorString(status) + " ("
                        + status + "); run with -D" + CudaPlan.CUDNN_PROPERTY + "=false to use the own kernels", "cudnnCreate",
                        status);
            }
            dnnHandle = h[0];
        }
        return dnnHandle;
    }

    /** The launcher for module {@code name}, loading {@code ptx} the first time the name is asked for. */
    synchronized KernelLauncher launcher(String name, byte[] ptx) {
        return launcher(name, null, () -> ptx);
    }

    /**
     * The launcher for module {@code name}, loaded the first time the name is asked for: from
     * {@code sass} (machine code for this GPU) when it is not null and the driver takes it, else
     * from the PTX {@code ptx} gives, which the driver compiles. A refused fatbin (a driver older
     * than the toolkit that built it, say) costs only that compile, as if none had been shipped.
     */
    synchronized KernelLauncher launcher(String name, byte[] sass, java.util.function.Supplier<byte[]> ptx) {
        ensureOpen(name);
        KernelLauncher l = launchers.get(name);
        if (l == null) {
            long module = 0;
            boolean fromSass = false;
            if (sass != null) {
                long[] out = new long[1];
                int first = driver.moduleLoadData(out, sass);
                if (first == CudaCheck.OUT_OF_MEMORY) {
                    allocator.emptyCache();
                }
                int status = first == CudaCheck.OUT_OF_MEMORY ? driver.moduleLoadData(out, sass) : first;
                if (status == 0) {
                    module = out[0];
                    fromSass = true;
                    sassModules++;
                } else {
                    // Not an error: the PTX serves. At DEBUG, for whoever wonders why start-up took long.
                    LOG.log(System.Logger.Level.DEBUG, () -> "cuda:" + ordinal + ": " + name + ": the driver refused the shipped"
                            + " machine code (" + driver.errorString(status) + ", " + status + "); compiling the PTX");
                }
            }
            if (module == 0) {
                module = KernelLauncher.loadModule(driver, check, name, ptx.get(), allocator::emptyCache);
            }
            l = new KernelLauncher(driver, check, stream, module, sync, pdl && images.waitsForPredecessor(fromSass));
            launchers.put(name, l);
        }
        return l;
    }

    /**
     * Whether the launchers loaded from now on may launch programmatically where their code waits
     * for its predecessor (for tests; {@code -Dfathom.cuda.pdl} sets it when the device opens).
     */
    synchronized void programmaticLaunch(boolean on) {
        pdl = on;
    }

    /** Modules loaded from shipped machine code rather than compiled from PTX (for tests). */
    synchronized int sassModules() {
        return sassModules;
    }

    /** {@code {free, total}} bytes of device memory as the driver sees it (the cache counts as used). */
    long[] memoryInfo() {
        long[] info = new long[2];
        check.check("memoryInfo: cuMemGetInfo", "", driver.memGetInfo(info));
        return info;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (blasHandle != 0) {
                driver.blasDestroy(blasHandle);
            }
            if (dnnHandle != 0) {
                driver.cudnnDestroy(dnnHandle);
            }
            stream.close();
        } finally {
            try {
                allocator.close();
            } finally {
                pinned.close();
            }
        }
    }

    private void ensureOpen(String what) {
        if (closed) {
            throw new IllegalStateException("cuda:" + ordinal + ": " + what + " after close()");
        }
    }
}
