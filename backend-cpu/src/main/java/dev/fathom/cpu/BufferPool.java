package dev.fathom.cpu;

import dev.fathom.tensor.DType;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Freed arrays kept by size class for reuse, so that a training step after the first allocates no
 * new arrays (no zeroing, no garbage). Sizes round up to 64 elements or to one of four classes per
 * power of two (at most 25% slack). The pool holds at most {@code fathom.cpu.poolBytes} (default:
 * a quarter of the maximum heap, capped at 2 GiB); beyond that, freed arrays go to the collector.
 * Thread-safe: buffers may be freed by the Cleaner thread.
 */
final class BufferPool {
    private final Map<Long, ConcurrentLinkedDeque<CpuBuffer>> free = new ConcurrentHashMap<>();
    private final AtomicLong pooledBytes = new AtomicLong();
    private final long limitBytes;

    BufferPool() {
        this.limitBytes = configuredLimit();
    }

    /** {@code -Dfathom.cpu.poolBytes}, else a quarter of the maximum heap, at most 2 GiB; anything but a count of bytes is refused. */
    static long configuredLimit() {
        String s = System.getProperty("fathom.cpu.poolBytes");
        if (s == null || s.isBlank()) {
            return Math.min(Runtime.getRuntime().maxMemory() / 4, 2L << 30);
        }
        try {
            long bytes = Long.parseLong(s.trim());
            if (bytes >= 0) {
                return bytes;
            }
        } catch (NumberFormatException ignored) {
            // refused below, as a negative count is
        }
        throw new IllegalArgumentException("fathom.cpu.poolBytes must be a number of bytes >= 0 (0 keeps no freed buffers), got \"" + s + "\"");
    }

    /** The element count actually allocated for a request of {@code n}. */
    static long sizeClass(long n) {
        if (n <= 64) {
            return 64;
        }
        int e = 63 - Long.numberOfLeadingZeros(n - 1);   // 2^e < n <= 2^(e+1)
        long quarter = 1L << (e - 2);                      // classes 2^e·{1.25, 1.5, 1.75, 2}
        return ((n + quarter - 1) / quarter) * quarter;
    }

    private static long key(DType dtype, long size) {
        return size << 2 | dtype.ordinal();
    }

    /** A pooled buffer of the class of {@code numel}, or null. */
    CpuBuffer take(DType dtype, long numel) {
        var q = free.get(key(dtype, sizeClass(numel)));
        CpuBuffer b = q == null ? null : q.pollLast();
        if (b != null) {
            pooledBytes.addAndGet(-bytes(b));
        }
        return b;
    }

    /** Keeps {@code b} for reuse if the pool has room; returns whether it did. */
    boolean give(CpuBuffer b) {
        long size = bytes(b);
        if (pooledBytes.addAndGet(size) > limitBytes) {
            pooledBytes.addAndGet(-size);
            return false;
        }
        free.computeIfAbsent(key(b.dtype, b.length), k -> new ConcurrentLinkedDeque<>()).addLast(b);
        return true;
    }

    private static long bytes(CpuBuffer b) {
        return (long) b.length * b.dtype.byteSize();
    }
}
