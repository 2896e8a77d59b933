package dev.fathom.cuda;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;

/**
 * A device's one compute stream: launches and copies are enqueued on it in program order and the
 * host waits only when it reads data ({@link #copyToHost}) or asks to ({@link #synchronize}).
 *
 * <p>Because work runs asynchronously, a kernel that faults is reported by the driver at the next
 * point the host waits, not by its launch. This class therefore remembers the launches enqueued
 * since the last successful wait and names them in the error, so that the failure can be traced
 * even without {@code -Dfathom.cuda.sync=true} (which pins it exactly: see {@link KernelLauncher}).
 */
final class ComputeStream implements AutoCloseable {
    /** How many unsynchronized launches an error message lists (the most recent ones). */
    static final int PENDING_SHOWN = 8;

    private final CudaDriver driver;
    private final CudaCheck check;
    private final long handle;
    /** A launch as an error message would name it; kept in parts, so the hot path concatenates nothing. */
    private record Pending(String op, String kernel, Object shapes) {
        @Override
        public String toString() {
            return op + "/" + kernel + " " + shapes;
        }
    }

    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private long pendingCount;
    private boolean closed;
    /** The device's data checks, read at every wait; null before the kernels open and after they close. */
    private DeviceChecks checks;

    ComputeStream(CudaDriver driver, CudaCheck check) {
        this.driver = Objects.requireNonNull(driver, "driver");
        this.check = Objects.requireNonNull(check, "check");
        long[] out = new long[1];
        check.check("cuStreamCreate", "", driver.streamCreate(out));
        this.handle = out[0];
    }

    /** The driver's stream handle. */
    long handle() {
        return handle;
    }

    /** Has every wait read {@code checks}' slots (null: no longer). */
    synchronized void attach(DeviceChecks checks) {
        this.checks = checks;
    }

    /** Called by the launcher after each successful enqueue. */
    synchronized void noteLaunch(String op, String kernel, Object shapes) {
        pendingCount++;
        pending.addLast(new Pending(op, kernel, shapes));
        if (pending.size() > PENDING_SHOWN) {
            pending.removeFirst();
        }
    }

    /** The most recent launches not yet known to have completed, oldest first. */
    synchronized List<String> pendingLaunches() {
        return pending.stream().map(Pending::toString).toList();
    }

    /** Enqueues a copy of {@code src}'s remaining bytes (a direct buffer) to device address {@code dst}. */
    synchronized void copyToDevice(String op, long dst, ByteBuffer src) {
        ensureOpen(op);
        requireDirect(op, src);
        long bytes = src.remaining();
        check.check(op + ": cuMemcpyHtoDAsync", bytes + " bytes to 0x" + Long.toHexString(dst),
                driver.memcpyHtoDAsync(dst, src, bytes, handle));
    }

    /**
     * Copies {@code dst.remaining()} bytes from device address {@code src} into {@code dst} (a
     * direct buffer) after all work enqueued before it, and waits: the host is about to read.
     */
    synchronized void copyToHost(String op, ByteBuffer dst, long src) {
        String what = enqueueCopyToHost(op, dst, src);
        synchronize(op, what);
    }

    /** The first half of {@link #copyToHost}: enqueues the copy without waiting; returns what it copies, for messages. */
    synchronized String enqueueCopyToHost(String op, ByteBuffer dst, long src) {
        ensureOpen(op);
        requireDirect(op, dst);
        long bytes = dst.remaining();
        String what = bytes + " bytes from 0x" + Long.toHexString(src);
        checkWait(op + ": cuMemcpyDtoHAsync", what, driver.memcpyDtoHAsync(dst, src, bytes, handle));
        return what;
    }

    /**
     * Waits for everything enqueued so far; a failure names {@code op} and the launches it may come
     * from. Then throws the first fault that a checked launch since the last wait noted ({@link DeviceChecks}).
     */
    synchronized void synchronize(String op, Object shapes) {
        ensureOpen(op);
        DeviceChecks c = checks;
        ByteBuffer found = c == null ? null : c.beforeWait(op);
        try {
            checkWait(op + ": cuStreamSynchronize", shapes, driver.streamSynchronize(handle));
        } catch (RuntimeException e) {
            if (c != null) {
                c.afterFailedWait(found);
            }
            throw e;
        }
        pending.clear();
        pendingCount = 0;
        if (c != null) {
            c.afterWait(found);
        }
    }

    /** Records an event after the work enqueued so far; the caller destroys it with {@link #destroyEvent}. */
    synchronized long recordEvent(String op) {
        ensureOpen(op);
        long[] out = new long[1];
        check.check(op + ": cuEventCreate", "", driver.eventCreate(out));
        int status = driver.eventRecord(out[0], handle);
        if (status != CudaCheck.SUCCESS) {
            driver.eventDestroy(out[0]); // a second error would hide the first
            check.check(op + ": cuEventRecord", "", status);
        }
        return out[0];
    }

    /** Whether the work before {@code event} has finished, without waiting. */
    synchronized boolean isDone(String op, long event) {
        int status = driver.eventQuery(event);
        if (status == CudaCheck.NOT_READY) {
            return false;
        }
        checkWait(op + ": cuEventQuery", "", status);
        return true;
    }

    /** Waits for the work before {@code event}. */
    synchronized void await(String op, long event) {
        checkWait(op + ": cuEventSynchronize", "", driver.eventSynchronize(event));
    }

    synchronized void destroyEvent(long event) {
        check.check("cuEventDestroy", "", driver.eventDestroy(event));
    }

    /** Waits for the stream's work, then destroys it. */
    @Override
    public synchronized void close() {
        if (!closed) {
            try {
                synchronize("close", "");
            } finally {
                closed = true;
                check.check("cuStreamDestroy", "", driver.streamDestroy(handle));
            }
        }
    }

    /** Like {@link CudaCheck#check}, plus the launches that may have caused an asynchronous error. */
    private void checkWait(String op, Object shapes, int status) {
        if (status == CudaCheck.SUCCESS) {
            return;
        }
        String message = check.message(op, shapes, status);
        if (pendingCount > 0) {
            message += "; the error may come from a kernel launched earlier and not yet synchronized ("
                    + pendingCount + " launch(es) since the last sync, the last " + pending.size() + ": "
                    + String.join(", ", pendingLaunches()) + ")";
        }
        throw new CudaException(message, op, status);
    }

    private static void requireDirect(String op, ByteBuffer b) {
        if (!b.isDirect()) {
            throw new IllegalArgumentException("cuda: " + op + ": host buffer must be direct (ByteBuffer.allocateDirect "
                    + "or a pinned buffer) so the driver can copy asynchronously; got a heap buffer");
        }
    }

    private void ensureOpen(String op) {
        if (closed) {
            throw new IllegalStateException("cuda: " + op + " on a closed compute stream");
        }
    }
}
