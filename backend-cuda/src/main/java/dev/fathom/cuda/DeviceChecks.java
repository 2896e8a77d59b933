package dev.fathom.cuda;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * Checks that kernels make of their data as they run (an index out of range in gather or
 * scatter-add, an I64 division by zero), read by the host at its next wait instead of by a wait of
 * their own. A training step's cross-entropy gathers and scatters: a wait after each would stall
 * the host twice a step while the GPU drained its queue. So, as PyTorch's device-side asserts, the
 * error comes from the next read or synchronization; unlike them it names the op and the bad value
 * as the CPU's does, and the device stays usable. With {@code -Dfathom.cuda.sync=true} the launcher
 * waits after every launch, so the error comes from the op itself.
 *
 * <p>Each checked launch gets a slot: a device u64 that stays 0 while nothing is wrong. A kernel
 * that finds a bad element notes it there ({@code fathom_note_fault} in {@code fathom_kernels.cuh}:
 * {@code ~(position << 32 | value)} through atomicMax, so the first bad element in row-major order
 * wins); the division kernel just writes 1. At a wait ({@link ComputeStream#synchronize}, which
 * every read from the device goes through) the slots in use since the last wait come back in one
 * copy queued before the wait itself, and the earliest launch's fault is thrown. Slots that stayed
 * 0 need no reset, so a wait with nothing wrong enqueues one 8-byte-per-check copy and nothing
 * else; after a fault the slots are zeroed in stream order.
 *
 * <p>{@value #SLOTS} slots and the {@link #unchecked} word: 2 KiB, one {@link ZeroedBlock} (zeroed
 * before its first use, as the reduction tickets). A program that makes more checked launches than
 * that without waiting waits once when they run out. Guarded by the stream's lock: a slot is taken
 * and its kernel enqueued under it, so no wait on another thread can read a slot whose kernel is
 * not yet in the queue.
 */
final class DeviceChecks {
    /** Checked launches between two waits before {@link #launch} forces a wait (with {@link #unchecked}, 2 KiB). */
    static final int SLOTS = 255;

    /**
     * The exception for a fault a checked launch noted: the first bad element's position in
     * row-major order and its value (clamped to an int).
     */
    interface Failure {
        RuntimeException error(long position, int value);
    }

    /** {@code message} as a failure's exception says it: with where the error was found and how to pin it to its op. */
    static String reported(String message) {
        return message + " (found by the GPU and reported at the first wait after the op; -Dfathom.cuda.sync=true waits "
                + "after every op)";
    }

    private final CudaDevice device;
    private final ComputeStream stream;
    private final ZeroedBlock slots;
    private final Failure[] pending = new Failure[SLOTS];
    private int used;
    private boolean detached;

    DeviceChecks(CudaDevice device, ElementwiseLaunches elementwise) {
        this.device = device;
        this.stream = device.stream();
        this.slots = new ZeroedBlock(device, elementwise, "device checks", (SLOTS + 1) * Long.BYTES);
        stream.attach(this);
    }

    /**
     * Enqueues a checked launch: {@code launch} gets the address of a zeroed slot for its kernel's
     * fault argument, and a fault the kernel notes there is thrown as {@code failure}'s exception at
     * the next wait.
     */
    void launch(String op, Failure failure, LongConsumer launch) {
        synchronized (stream) {
            long base = slots.address(op);  // before a slot is taken: the first call launches the zeroing
            if (used == SLOTS) {
                stream.synchronize(op, "a wait for the " + SLOTS + " device checks enqueued since the last one");
            }
            int slot = used++;
            pending[slot] = failure;
            launch.accept(base + (long) slot * Long.BYTES);
        }
    }

    /**
     * The word past the slots, for a kernel that takes a fault argument but cannot fault in this
     * launch (binary_i64 for any op but a division): it is never read, and such a launch never
     * writes it.
     */
    long unchecked() {
        return slots.address("device checks") + (long) SLOTS * Long.BYTES;
    }

    /**
     * Called by the stream, under its lock, before it waits: enqueues the copy of the slots in use
     * and returns the host buffer it lands in, or null when no checked launch is pending.
     */
    ByteBuffer beforeWait(String op) {
        if (used == 0 || detached) {
            return null;
        }
        ByteBuffer host = device.pinned().acquire(op, (long) used * Long.BYTES);
        try {
            stream.enqueueCopyToHost(op + " (device checks)", host, slots.address(op));
        } catch (RuntimeException e) {
            device.pinned().release(host);
            forget();
            throw e;
        }
        return host;
    }

    /**
     * Called by the stream, under its lock, after a successful wait with what {@link #beforeWait}
     * returned: frees every slot, and throws the earliest launch's fault if one noted any.
     */
    void afterWait(ByteBuffer host) {
        if (host == null) {
            return;
        }
        int n = used;
        Failure[] failures = Arrays.copyOf(pending, n);
        long[] found = new long[n];
        try {
            for (int i = 0; i < n; i++) {
                found[i] = host.getLong(i * Long.BYTES);
            }
        } finally {
            device.pinned().release(host);
        }
        used = 0;
        Arrays.fill(pending, 0, n, null);
        for (int i = 0; i < n; i++) {
            if (found[i] != 0) {
                slots.rezero("device checks", n * Long.BYTES);
                long key = ~found[i];
                throw failures[i].error(key >>> 32, (int) key);
            }
        }
    }

    /**
     * Called by the stream, under its lock, when a wait failed: the driver's error is the one to
     * report (a context that faulted is gone, and with it whatever the slots held).
     */
    void afterFailedWait(ByteBuffer host) {
        if (host != null) {
            device.pinned().release(host);
        }
        forget();
    }

    private void forget() {
        Arrays.fill(pending, 0, used, null);
        used = 0;
    }

    /** Stops reporting (a closing device drops what no one read) and frees the slots in stream order. */
    void free() {
        synchronized (stream) {
            detached = true;
            forget();
            stream.attach(null);
        }
        slots.free();
    }
}
