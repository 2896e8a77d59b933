package dev.fathom.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Page-locked host buffers for host-device copies, cached by the {@link CachingAllocator}'s size
 * classes: pinning memory is far slower than allocating it, so a buffer is pinned once and reused
 * by every later transfer of its class, up to {@link #MAX_CACHED_BYTES} in all (a buffer released
 * beyond that is unpinned, so one odd-sized transfer does not stay pinned forever). Copies from pinned memory run at full PCIe bandwidth and
 * without a staging copy by the driver.
 *
 * <p>Pinned memory is taken from the OS's physical memory, so the driver may refuse it; then the
 * cache is given back and the request retried once, and if that fails too the transfer uses an
 * ordinary direct buffer (slower, never wrong) and {@link Stats#fallbacks()} counts it.
 *
 * <p>Buffers are little-endian views limited to the bytes asked for. Thread-safe.
 */
final class PinnedBufferPool implements AutoCloseable {

    /** Counters: bytes are size-class bytes of pinned memory. */
    record Stats(long liveBytes, long cachedBytes, long hostAllocs, long cacheHits, long fallbacks) {
    }

    private record Block(ByteBuffer base, long size) {
    }

    /** Pinned bytes the cache keeps for reuse; a buffer released beyond them is unpinned at once. */
    static final long MAX_CACHED_BYTES = 256L << 20;
    /** The largest size class a {@link ByteBuffer} can view (2 GiB less one large granule). */
    static final long MAX_BUFFER_BYTES = Integer.MAX_VALUE / CachingAllocator.LARGE_GRANULE * CachingAllocator.LARGE_GRANULE;

    private final CudaDriver driver;
    private final CudaCheck check;
    private final long maxCachedBytes;
    private final Map<Long, ArrayDeque<ByteBuffer>> free = new TreeMap<>();
    /** What each handed-out view is backed by; null blocks are unpinned fallbacks. */
    private final Map<ByteBuffer, Block> live = new IdentityHashMap<>();
    private long liveBytes;
    private long cachedBytes;
    private long hostAllocs;
    private long cacheHits;
    private long fallbacks;
    private boolean closed;

    PinnedBufferPool(CudaDriver driver, CudaCheck check) {
        this(driver, check, MAX_CACHED_BYTES);
    }

    /** A pool whose cache keeps at most {@code maxCachedBytes} of size-class bytes (for tests). */
    PinnedBufferPool(CudaDriver driver, CudaCheck check, long maxCachedBytes) {
        this.driver = Objects.requireNonNull(driver, "driver");
        this.check = Objects.requireNonNull(check, "check");
        this.maxCachedBytes = maxCachedBytes;
    }

    /** A buffer with {@code bytes} remaining, for {@code op}'s transfer; give it back with {@link #release}. */
    synchronized ByteBuffer acquire(String op, long bytes) {
        if (bytes < 0 || bytes > MAX_BUFFER_BYTES) {
            throw new IllegalArgumentException("cuda: " + op + ": a host transfer buffer holds 0.." + MAX_BUFFER_BYTES
                    + " bytes; got " + bytes + " (copy large tensors in chunks)");
        }
        if (closed) {
            throw new IllegalStateException("PinnedBufferPool: " + op + " after close(); the device was shut down");
        }
        long size = CachingAllocator.sizeClass(bytes);
        ArrayDeque<ByteBuffer> list = free.get(size);
        ByteBuffer base;
        if (list != null && !list.isEmpty()) {
            base = list.pop();
            cachedBytes -= size;
            cacheHits++;
        } else {
            base = pin(op, size);
        }
        ByteBuffer view;
        if (base == null) {
            fallbacks++;
            view = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
            live.put(view, new Block(null, 0));
        } else {
            view = base.duplicate().clear().limit((int) bytes).slice().order(ByteOrder.LITTLE_ENDIAN);
            live.put(view, new Block(base, size));
            liveBytes += size;
        }
        return view;
    }

    /** Pins {@code size} bytes; null when the driver has no pinned memory left even after the cache was freed. */
    private ByteBuffer pin(String op, long size) {
        ByteBuffer[] out = new ByteBuffer[1];
        int status = driver.memAllocHost(out, size);
        if (status == CudaCheck.OUT_OF_MEMORY) {
            emptyCache();
            status = driver.memAllocHost(out, size);
            if (status == CudaCheck.OUT_OF_MEMORY) {
                return null;
            }
        }
        check.check(op + ": cuMemAllocHost", size + " bytes", status);
        hostAllocs++;
        return out[0];
    }

    /**
     * Returns a buffer from {@link #acquire}. The caller must have waited for any copy that uses
     * it ({@link ComputeStream#copyToHost} does), or the next user could overwrite data in flight.
     */
    synchronized void release(ByteBuffer buffer) {
        Block b = live.remove(buffer);
        if (b == null) {
            throw new IllegalArgumentException("PinnedBufferPool.release: not a buffer this pool handed out, or released twice");
        }
        if (b.base() == null) {
            return; // an unpinned fallback: the GC takes it
        }
        liveBytes -= b.size();
        if (closed || cachedBytes + b.size() > maxCachedBytes) {
            check.check("cuMemFreeHost", b.size() + " bytes", driver.memFreeHost(b.base()));
            return;
        }
        free.computeIfAbsent(b.size(), s -> new ArrayDeque<>()).push(b.base());
        cachedBytes += b.size();
    }

    /** Unpins every cached buffer. */
    synchronized void emptyCache() {
        for (Map.Entry<Long, ArrayDeque<ByteBuffer>> e : free.entrySet()) {
            for (ByteBuffer b : e.getValue()) {
                check.check("cuMemFreeHost", e.getKey() + " bytes", driver.memFreeHost(b));
                cachedBytes -= e.getKey();
            }
        }
        free.clear();
    }

    synchronized Stats stats() {
        return new Stats(liveBytes, cachedBytes, hostAllocs, cacheHits, fallbacks);
    }

    /** Unpins the cache; a buffer still out is unpinned when it is released, and acquiring fails. */
    @Override
    public synchronized void close() {
        emptyCache();
        closed = true;
    }
}
