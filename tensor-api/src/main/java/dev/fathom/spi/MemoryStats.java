package dev.fathom.spi;

/**
 * A backend's memory counters, for tests that count and for {@code fathom devices}.
 *
 * @param liveBuffers buffers allocated and not yet freed
 * @param liveBytes   bytes in those buffers
 * @param peakBytes   the largest {@code liveBytes} seen
 * @param allocations buffers handed out since start
 * @param cacheHits   allocations served from the backend's pool
 */
public record MemoryStats(long liveBuffers, long liveBytes, long peakBytes, long allocations, long cacheHits) {
}
