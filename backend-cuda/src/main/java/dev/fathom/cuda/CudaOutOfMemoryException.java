package dev.fathom.cuda;

/**
 * The GPU has no room for an allocation even after the {@link CachingAllocator} freed its cache
 * and retried. The message names the op, the bytes asked for and what is in use (live, cached,
 * peak, and the driver's free/total), and suggests a smaller batch.
 */
public final class CudaOutOfMemoryException extends CudaException {
    private static final long serialVersionUID = 1L;
    private final long requestedBytes;

    CudaOutOfMemoryException(String message, String op, long requestedBytes) {
        super(message, op, CudaCheck.OUT_OF_MEMORY);
        this.requestedBytes = requestedBytes;
    }

    /** The bytes the op asked for (before rounding to a size class). */
    public long requestedBytes() {
        return requestedBytes;
    }
}
