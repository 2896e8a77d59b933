package dev.fathom.spi;

import dev.fathom.tensor.DType;

/**
 * Storage owned by a backend: {@code capacity} elements of one dtype, in host or device memory.
 * Only the backend that allocated a buffer reads or writes it; the tensor layer sees it through
 * {@link Strided} layouts and frees it with {@link Kernels#free(Buffer)} exactly once.
 */
public interface Buffer {
    DType dtype();

    /** Number of elements. */
    long capacity();
}
