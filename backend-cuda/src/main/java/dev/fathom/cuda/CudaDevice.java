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
 * <p>{@link #close()} waits for the stream, destroys it, and gives the allocator's and the pinned
 * pool's caches back;
 * blocks still owned by tensors are freed as those tensors close.
 */
final class CudaDevice implements AutoCloseable {
    private final CudaDriver driver;
    private final CudaCheck check;
    private final int ordinal;
    private final boolean sync;
    private final ComputeStream stream;
    private final CachingAllocator allocator;
    private final PinnedBufferPool pinned;
    private final Map<String, KernelLauncher> launchers = new HashMap<>();
    private boolean closed;

    private CudaDevice(CudaDriver driver, int ordinal, boolean sync) {
        this.driver = driver;
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
        Objects.requireNonNull(driver, "driver");
        if (ordinal < 0) {
            throw new IllegalArgumentException("cuda: device index " + ordinal + " is negative; use 0 for the first GPU");
        }
        return new CudaDevice(driver, ordinal, sync);
    }

    int ordinal() {
        return ordinal;
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

    CudaCheck check() {
        return check;
    }

    /** The launcher for module {@code name}, loading {@code ptx} the first time the name is asked for. */
    synchronized KernelLauncher launcher(String name, byte[] ptx) {
        ensureOpen(name);
        KernelLauncher l = launchers.get(name);
        if (l == null) {
            long module = KernelLauncher.loadModule(driver, check, name, ptx);
            l = new KernelLauncher(driver, check, stream, module, sync);
            launchers.put(name, l);
        }
        return l;
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
