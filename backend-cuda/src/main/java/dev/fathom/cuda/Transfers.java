package dev.fathom.cuda;

import dev.fathom.tensor.DType;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Host-device copies through pinned buffers ({@link PinnedBufferPool}). An upload is staged into a
 * pinned buffer and enqueued without waiting; the buffer goes back to the pool once an event
 * recorded after the copy has passed (checked on later transfers and at every wait), because the
 * GPU reads it asynchronously. A download waits: the host is about to read.
 *
 * <p>Host arrays are {@code float[]}, {@code double[]}, {@code long[]} or {@code boolean[]}
 * matching the buffer's dtype (BOOL is one byte, 0 or 1, on the device). Thread-safe.
 */
final class Transfers {
    private record Pending(long event, ByteBuffer buffer) {
    }

    private final CudaDevice device;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();

    Transfers(CudaDevice device) {
        this.device = device;
    }

    synchronized void upload(Object host, int hostOffset, CudaBuffer dst, long dstOffset, int count) {
        checkHost("upload", host, dst, hostOffset, dstOffset, count);
        if (count == 0) {
            return;
        }
        reap(false);
        DType t = dst.dtype();
        ByteBuffer b = device.pinned().acquire("upload", (long) count * t.byteSize());
        switch (t) {
            case F32 -> b.asFloatBuffer().put((float[]) host, hostOffset, count);
            case F64 -> b.asDoubleBuffer().put((double[]) host, hostOffset, count);
            case I64 -> b.asLongBuffer().put((long[]) host, hostOffset, count);
            case BOOL -> {
                boolean[] h = (boolean[]) host;
                for (int i = 0; i < count; i++) {
                    b.put(i, (byte) (h[hostOffset + i] ? 1 : 0));
                }
            }
        }
        try {
            device.stream().copyToDevice("upload", dst.address(dstOffset), b);
            pending.addLast(new Pending(device.stream().recordEvent("upload"), b));
        } catch (RuntimeException e) {
            device.pinned().release(b);
            throw e;
        }
    }

    synchronized void download(CudaBuffer src, long srcOffset, Object host, int hostOffset, int count) {
        checkHost("download", host, src, hostOffset, srcOffset, count);
        if (count == 0) {
            synchronize("download");
            return;
        }
        DType t = src.dtype();
        ByteBuffer b = device.pinned().acquire("download", (long) count * t.byteSize());
        try {
            device.stream().copyToHost("download", b, src.address(srcOffset));
            switch (t) {
                case F32 -> b.asFloatBuffer().get((float[]) host, hostOffset, count);
                case F64 -> b.asDoubleBuffer().get((double[]) host, hostOffset, count);
                case I64 -> b.asLongBuffer().get((long[]) host, hostOffset, count);
                case BOOL -> {
                    boolean[] h = (boolean[]) host;
                    for (int i = 0; i < count; i++) {
                        h[hostOffset + i] = b.get(i) != 0;
                    }
                }
            }
        } finally {
            device.pinned().release(b);
        }
        reap(true);
    }

    /** Waits for all enqueued work, then gives every staged upload buffer back. */
    synchronized void synchronize(String op) {
        device.stream().synchronize(op, "");
        reap(true);
    }

    /** Uploads still holding a pinned buffer (for tests). */
    synchronized int pendingUploads() {
        return pending.size();
    }

    /** Releases the buffers of finished uploads; {@code waited}: the stream is known idle. */
    private void reap(boolean waited) {
        while (!pending.isEmpty()) {
            Pending p = pending.peekFirst();
            if (!waited && !device.stream().isDone("upload", p.event())) {
                return; // uploads finish in order: the later ones are not done either
            }
            pending.removeFirst();
            device.stream().destroyEvent(p.event());
            device.pinned().release(p.buffer());
        }
    }

    /** Checks the host array's type and both ranges; returns the host array's length. */
    private static int checkHost(String op, Object host, CudaBuffer buffer, int hostOffset, long offset, int count) {
        DType t = buffer.dtype();
        int length = switch (host) {
            case float[] a when t == DType.F32 -> a.length;
            case double[] a when t == DType.F64 -> a.length;
            case long[] a when t == DType.I64 -> a.length;
            case boolean[] a when t == DType.BOOL -> a.length;
            case null -> throw new IllegalArgumentException("cuda: " + op + ": the host array is null");
            default -> throw new IllegalArgumentException("cuda: " + op + ": host array " + host.getClass().getSimpleName()
                    + " does not match dtype " + t + "; use " + switch (t) {
                        case F32 -> "float[]";
                        case F64 -> "double[]";
                        case I64 -> "long[]";
                        case BOOL -> "boolean[]";
                    });
        };
        if (count < 0 || hostOffset < 0 || (long) hostOffset + count > length || offset < 0 || offset + count > buffer.capacity()) {
            throw new IllegalArgumentException("cuda: " + op + ": " + count + " elements at host offset " + hostOffset
                    + " (array of " + length + ") and buffer offset " + offset + " (" + buffer + ") are out of range");
        }
        return length;
    }
}
