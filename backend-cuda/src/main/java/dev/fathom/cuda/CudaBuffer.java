package dev.fathom.cuda;

import dev.fathom.spi.Buffer;
import dev.fathom.tensor.DType;

/**
 * Device memory behind a tensor: a block from the device's {@link CachingAllocator}, its dtype
 * and element count. BOOL is one byte per element (0 or 1), as the kernels read it ({@code u8}).
 *
 * <p>Only the {@link CudaKernels} that allocated a buffer uses it; {@link #of} rejects anything
 * else with a message naming the op, so a tensor from another device or backend never reaches a
 * kernel as a wild pointer.
 */
final class CudaBuffer implements Buffer {
    private final CudaKernels owner;
    private final long address;
    private final DType dtype;
    private final long numel;
    private volatile boolean freed;

    CudaBuffer(CudaKernels owner, long address, DType dtype, long numel) {
        this.owner = owner;
        this.address = address;
        this.dtype = dtype;
        this.numel = numel;
    }

    /** The buffer behind an SPI handle, checked to belong to {@code owner} and to be live. */
    static CudaBuffer of(Buffer buffer, CudaKernels owner, String op) {
        if (!(buffer instanceof CudaBuffer c) || c.owner != owner) {
            throw new IllegalArgumentException("cuda: " + op + ": buffer " + buffer + " does not belong to " + owner.device()
                    + "; move the tensor there first with .to(device)");
        }
        if (c.freed) {
            throw new IllegalStateException("cuda: " + op + ": " + c + " was already freed (a closed tensor was used)");
        }
        return c;
    }

    /** The PTX type suffix of a dtype in kernel names: {@code f32, f64, i64, u8}. */
    static String suffix(DType dtype) {
        return switch (dtype) {
            case F32 -> "f32";
            case F64 -> "f64";
            case I64 -> "i64";
            case BOOL -> "u8";
        };
    }

    /** The device address of element 0. */
    long address() {
        return address;
    }

    /** The device address of element {@code index}. */
    long address(long index) {
        return address + index * dtype.byteSize();
    }

    /** Bytes of {@code capacity()} elements. */
    long bytes() {
        return numel * dtype.byteSize();
    }

    /** Marks the buffer freed; false when it already was. */
    synchronized boolean markFreed() {
        if (freed) {
            return false;
        }
        freed = true;
        return true;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public long capacity() {
        return numel;
    }

    @Override
    public String toString() {
        return "CudaBuffer[" + dtype + " x " + numel + " at 0x" + Long.toHexString(address) + "]";
    }
}
