package dev.fathom.cuda;

import java.nio.ByteBuffer;

/**
 * The device {@code int} through which kernels report a data-dependent error (an I64 division by
 * zero, an index out of range): the host zeroes it in stream order before the launch, the kernel
 * sets it, and the host reads it back, which waits for the launch. One per device, allocated when
 * the kernels open (it shows in {@code memoryStats} as one live 512-byte block). Callers hold this
 * object's lock from the reset to the read, so two threads' checks never see each other's flag.
 */
final class StatusWord {
    private final CudaDevice device;
    private final ElementwiseLaunches elementwise;
    private final long address;

    StatusWord(CudaDevice device, ElementwiseLaunches elementwise) {
        this.device = device;
        this.elementwise = elementwise;
        this.address = device.allocator().allocate("status word", Integer.BYTES);
    }

    long address() {
        return address;
    }

    /** Enqueues the reset to 0. */
    void reset(String op) {
        elementwise.zeroBytes(op, address, Integer.BYTES);
    }

    /** Waits for the work enqueued so far and returns the word. */
    int read(String op) {
        ByteBuffer b = device.pinned().acquire(op, Integer.BYTES);
        try {
            device.stream().copyToHost(op + " (status)", b, address);
            return b.getInt(0);
        } finally {
            device.pinned().release(b);
        }
    }

    void free() {
        device.allocator().free(address);
    }
}
