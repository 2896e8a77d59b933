package dev.fathom.cuda;

/**
 * Device memory that lives as long as the kernels and reads as zeros from its first use: counters
 * that the kernels using them leave at zero again (the split reductions' tickets, the device
 * checks' fault slots). Allocated when the kernels open and zeroed in stream order just before its
 * first use, so opening launches nothing; freed when they close.
 */
final class ZeroedBlock {
    private final CudaDevice device;
    private final ElementwiseLaunches elementwise;
    private final long address;
    private final int bytes;
    private boolean zeroed;

    ZeroedBlock(CudaDevice device, ElementwiseLaunches elementwise, String what, int bytes) {
        this.device = device;
        this.elementwise = elementwise;
        this.bytes = bytes;
        this.address = device.allocator().allocate(what, bytes);
    }

    /** The block's address; the first call enqueues its zeroing, ahead of whatever {@code op} launches next. */
    long address(String op) {
        synchronized (device.stream()) {  // the lock every launch takes first (KernelLauncher#launch)
            if (!zeroed) {
                // First, so that a call from within the zeroing's own launch (a wait after it, with
                // -Dfathom.cuda.sync=true) does not zero again: in stream order it is zeroed by then.
                zeroed = true;
                elementwise.zeroBytes(op, address, bytes);
            }
            return address;
        }
    }

    /** Zeroes the block's first {@code n} bytes again, in stream order, after kernels wrote them. */
    void rezero(String op, int n) {
        elementwise.zeroBytes(op, address, n);
    }

    void free() {
        device.allocator().free(address);
    }
}
