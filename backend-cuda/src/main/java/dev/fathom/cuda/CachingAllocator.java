package dev.fathom.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Device memory for one device, cached by size class so that a training step after the first
 * calls {@code cuMemAlloc} zero times (the same idea as PyTorch's CUDA caching allocator).
 *
 * <p>Size classes ({@link #sizeClass}): a request is rounded up to a multiple of 512 bytes below
 * 1 MiB and to a multiple of 2 MiB from 1 MiB on; a freed block goes on its class's free list and
 * is handed out again only for a request of exactly that class, so nothing is split or merged.
 * Rounding wastes at most 511 bytes per small block and under 2 MiB per large one (under half of
 * any large request), and an identical step asks for identical classes, so the second step is
 * served from the free lists alone.
 *
 * <p>Freed blocks are reused without waiting for the GPU: the backend has one compute stream per
 * device, and a block freed after the launches that use it was enqueued can only be written by
 * launches enqueued later on the same stream, so stream order keeps the reuse safe.
 *
 * <p>Out of memory: when {@code cuMemAlloc} returns {@code CUDA_ERROR_OUT_OF_MEMORY}, the whole
 * cache is given back to the driver ({@link #emptyCache()}) and the allocation retried once;
 * if it fails again a {@link CudaOutOfMemoryException} names the op, the request and the usage.
 *
 * <p>Thread-safe: every method holds the allocator's lock; the driver calls are short.
 */
final class CachingAllocator implements AutoCloseable {
    static final long SMALL_GRANULE = 512;
    static final long SMALL_LIMIT = 1L << 20;
    static final long LARGE_GRANULE = 2L << 20;

    /**
     * The allocator's counters at one moment. Bytes are size-class bytes (what the GPU holds):
     * {@code liveBytes} handed out, {@code peakBytes} the most live at once (since
     * {@link #resetPeak}), {@code cachedBytes} on the free lists; {@code allocations} successful
     * {@link #allocate} calls, of which {@code cacheHits} came from a free list and
     * {@code driverAllocs} from {@code cuMemAlloc}; {@code driverFrees} {@code cuMemFree} calls.
     */
    record Stats(long liveBytes, long peakBytes, long cachedBytes, long liveBlocks, long allocations,
            long driverAllocs, long driverFrees, long cacheHits) {
    }

    private final CudaDriver driver;
    private final CudaCheck check;
    /** Free blocks by size class; a TreeMap so that emptyCache frees in a stable order. */
    private final Map<Long, ArrayDeque<Long>> free = new TreeMap<>();
    /** Size class of every block handed out and not yet returned, by address. */
    private final Map<Long, Long> live = new HashMap<>();
    private long liveBytes;
    private long peakBytes;
    private long cachedBytes;
    private long allocations;
    private long driverAllocs;
    private long driverFrees;
    private long cacheHits;
    private boolean closed;

    CachingAllocator(CudaDriver driver, CudaCheck check) {
        this.driver = Objects.requireNonNull(driver, "driver");
        this.check = Objects.requireNonNull(check, "check");
    }

    /** The size class of a request of {@code bytes} (at least 1 byte is allocated, so 0 gets 512). */
    static long sizeClass(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("CachingAllocator: cannot allocate " + bytes + " bytes; sizes are >= 0");
        }
        long b = Math.max(bytes, 1);
        long granule = b < SMALL_LIMIT ? SMALL_GRANULE : LARGE_GRANULE;
        return Math.ceilDiv(b, granule) * granule;
    }

    /**
     * A device block of at least {@code bytes} for {@code op} (named in any error).
     *
     * @throws CudaOutOfMemoryException when the GPU has no room even after the cache was emptied
     */
    synchronized long allocate(String op, long bytes) {
        ensureOpen(op);
        long size = sizeClass(bytes);
        ArrayDeque<Long> list = free.get(size);
        long ptr;
        if (list != null && !list.isEmpty()) {
            ptr = list.pop();
            cachedBytes -= size;
            cacheHits++;
        } else {
            ptr = allocateFromDriver(op, bytes, size);
        }
        allocations++;
        live.put(ptr, size);
        liveBytes += size;
        peakBytes = Math.max(peakBytes, liveBytes);
        return ptr;
    }

    private long allocateFromDriver(String op, long bytes, long size) {
        long[] out = new long[1];
        int status = driver.memAlloc(out, size);
        if (status == CudaCheck.OUT_OF_MEMORY) {
            long cachedBefore = cachedBytes;
            emptyCache();
            status = driver.memAlloc(out, size);
            if (status == CudaCheck.OUT_OF_MEMORY) {
                throw outOfMemory(op, bytes, size, cachedBefore);
            }
        }
        check.check(op + ": cuMemAlloc", bytes + " bytes (size class " + size + ")", status);
        driverAllocs++;
        return out[0];
    }

    private CudaOutOfMemoryException outOfMemory(String op, long bytes, long size, long cachedBefore) {
        long[] info = new long[2];
        String device = driver.memGetInfo(info) == CudaCheck.SUCCESS
                ? "; the driver reports " + mib(info[0]) + " free of " + mib(info[1])
                : "";
        String message = "cuda: " + op + ": out of GPU memory allocating " + bytes + " bytes (" + mib(size)
                + " size class): " + mib(liveBytes) + " live in " + live.size() + " blocks, " + mib(cachedBefore)
                + " cached (freed and retried), peak " + mib(peakBytes) + device
                + "; use a smaller batch size or model, or free tensors you no longer need (close them or use a Scope)";
        return new CudaOutOfMemoryException(message, op, bytes);
    }

    /** Returns a block to its size class's free list; the GPU memory stays allocated for reuse. */
    synchronized void free(long ptr) {
        Long size = live.remove(ptr);
        if (size == null) {
            throw new IllegalArgumentException("CachingAllocator.free: 0x" + Long.toHexString(ptr)
                    + " is not a live block of this allocator (freed twice, or allocated elsewhere)");
        }
        liveBytes -= size;
        if (closed) {
            // After close() nothing is cached: a late free goes straight back to the driver.
            driverFree(ptr, size);
            return;
        }
        free.computeIfAbsent(size, s -> new ArrayDeque<>()).push(ptr);
        cachedBytes += size;
    }

    /**
     * Gives every cached block back to the driver. Waits for the context first: {@code cuMemFree}
     * of a block that queued work still touches would be a use-after-free on the GPU.
     */
    synchronized void emptyCache() {
        if (cachedBytes == 0) {
            return;
        }
        check.check("emptyCache: cuCtxSynchronize", "", driver.ctxSynchronize());
        for (Map.Entry<Long, ArrayDeque<Long>> e : free.entrySet()) {
            ArrayDeque<Long> list = e.getValue();
            while (!list.isEmpty()) {
                long ptr = list.pop();
                cachedBytes -= e.getKey();
                driverFree(ptr, e.getKey());
            }
        }
        free.clear();
    }

    private void driverFree(long ptr, long size) {
        check.check("cuMemFree", "0x" + Long.toHexString(ptr) + " (" + size + " bytes)", driver.memFree(ptr));
        driverFrees++;
    }

    synchronized Stats stats() {
        return new Stats(liveBytes, peakBytes, cachedBytes, live.size(), allocations, driverAllocs, driverFrees, cacheHits);
    }

    /** Resets the peak to the current live bytes (e.g. per training step). */
    synchronized void resetPeak() {
        peakBytes = liveBytes;
    }

    /**
     * Frees the cache; later allocations fail. Live blocks stay with their owners, and a later
     * {@link #free} of one goes straight to the driver.
     */
    @Override
    public synchronized void close() {
        if (!closed) {
            emptyCache();
            closed = true;
        }
    }

    private void ensureOpen(String op) {
        if (closed) {
            throw new IllegalStateException("CachingAllocator: " + op + " after close(); the device was shut down");
        }
    }

    /** {@code "1.5 KiB"} below 1 MiB, {@code "6.0 MiB"} from there. */
    private static String mib(long bytes) {
        return bytes < SMALL_LIMIT ? String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0)
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
}
