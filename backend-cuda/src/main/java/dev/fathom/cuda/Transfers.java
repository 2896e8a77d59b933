package dev.fathom.cuda;

import dev.fathom.tensor.DType;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Host-device copies through pinned buffers ({@link PinnedBufferPool}). An upload is staged into a
 * pinned buffer and enqueued without waiting; the buffer goes back to the pool once an event
 * recorded after the copy has passed (checked on later transfers and at every wait), because the
 * GPU reads it asynchronously. A download waits: the host is about to read. So that a long run of
 * uploads with no wait (loading a dataset) cannot pin unbounded host memory, an upload waits for
 * the oldest ones while more than {@link #MAX_IN_FLIGHT_BYTES} are in flight.
 *
 * <p>A transfer larger than {@link #CHUNK_BYTES} goes through chunk-sized staging buffers, one copy
 * and (for uploads) one event per chunk, so no pinned buffer is larger than a chunk, the pool
 * reuses the same size class for every chunk, and a tensor of 2 GiB or more (beyond one
 * {@link ByteBuffer}) moves like any other. A large upload thus has at most
 * {@code MAX_IN_FLIGHT_BYTES} plus one chunk in flight: the next chunk is staged while the last
 * one is copied.
 *
 * <p>Host arrays are {@code float[]}, {@code double[]}, {@code long[]} or {@code boolean[]}
 * matching the buffer's dtype (BOOL is one byte, 0 or 1, on the device). Thread-safe.
 */
final class Transfers {
    private record Pending(long event, ByteBuffer buffer) {
    }

    /** Pinned bytes that uploads may hold before an upload waits for the oldest ones. */
    static final long MAX_IN_FLIGHT_BYTES = 64L << 20;
    /** The largest staging buffer: bigger transfers are copied in chunks of this many bytes. */
    static final long CHUNK_BYTES = 64L << 20;

    private final CudaDevice device;
    private final long chunkBytes;
    private final long maxInFlightBytes;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();

    Transfers(CudaDevice device) {
        this(device, CHUNK_BYTES, MAX_IN_FLIGHT_BYTES);
    }

    /** With {@code chunkBytes} per staging buffer (a multiple of 8) and {@code maxInFlightBytes} of uploads in flight (for tests). */
    Transfers(CudaDevice device, long chunkBytes, long maxInFlightBytes) {
        if (chunkBytes < Long.BYTES || chunkBytes % Long.BYTES != 0 || chunkBytes > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("Transfers: chunk of " + chunkBytes + " bytes; use a multiple of 8 up to 1 GiB");
        }
        this.device = device;
        this.chunkBytes = chunkBytes;
        this.maxInFlightBytes = maxInFlightBytes;
    }

    synchronized void upload(Object host, int hostOffset, CudaBuffer dst, long dstOffset, int count) {
        checkHost("upload", host, dst, hostOffset, dstOffset, count);
        if (count == 0) {
            return;
        }
        DType t = dst.dtype();
        int perChunk = (int) (chunkBytes / t.byteSize());
        long staged = (long) Math.min(count, perChunk) * t.byteSize(); // every chunk's buffer: one size class
        for (int done = 0; done < count; done += perChunk) {
            int n = Math.min(perChunk, count - done);
            reap(false);
            while (!pending.isEmpty() && inFlightBytes() > maxInFlightBytes) {
                retire(pending.removeFirst(), true);
            }
            ByteBuffer b = device.pinned().acquire("upload", staged);
            b.limit(n * t.byteSize());
            int from = hostOffset + done;
            switch (t) {
                case F32 -> b.asFloatBuffer().put((float[]) host, from, n);
                case F64 -> b.asDoubleBuffer().put((double[]) host, from, n);
                case I64 -> b.asLongBuffer().put((long[]) host, from, n);
                case BOOL -> {
                    boolean[] h = (boolean[]) host;
                    for (int i = 0; i < n; i++) {
                        b.put(i, (byte) (h[from + i] ? 1 : 0));
                    }
                }
            }
            enqueueUpload(b, dst.address(dstOffset + done));
        }
    }

    /** Enqueues the copy of staged {@code b} and records the event after which {@code b} may be reused. */
    private void enqueueUpload(ByteBuffer b, long dst) {
        try {
            device.stream().copyToDevice("upload", dst, b);
        } catch (RuntimeException e) {
            device.pinned().release(b); // not enqueued: nothing reads it
            throw e;
        }
        long event;
        try {
            event = device.stream().recordEvent("upload");
        } catch (RuntimeException e) {
            // The copy is enqueued and may still read b: without an event, only a full wait says when it is done.
            try {
                device.stream().synchronize("upload", "");
            } catch (RuntimeException waited) {
                e.addSuppressed(waited); // a failed wait is a sticky context error: nothing runs any more
            }
            device.pinned().release(b);
            throw e;
        }
        pending.addLast(new Pending(event, b));
    }

    synchronized void download(CudaBuffer src, long srcOffset, Object host, int hostOffset, int count) {
        checkHost("download", host, src, hostOffset, srcOffset, count);
        if (count == 0) {
            synchronize("download");
            return;
        }
        DType t = src.dtype();
        int perChunk = (int) (chunkBytes / t.byteSize());
        ByteBuffer b = device.pinned().acquire("download", (long) Math.min(count, perChunk) * t.byteSize());
        try {
            for (int done = 0; done < count; done += perChunk) {
                int n = Math.min(perChunk, count - done);
                b.clear().limit(n * t.byteSize());
                device.stream().copyToHost("download", b, src.address(srcOffset + done));
                int to = hostOffset + done;
                switch (t) {
                    case F32 -> b.asFloatBuffer().get((float[]) host, to, n);
                    case F64 -> b.asDoubleBuffer().get((double[]) host, to, n);
                    case I64 -> b.asLongBuffer().get((long[]) host, to, n);
                    case BOOL -> {
                        boolean[] h = (boolean[]) host;
                        for (int i = 0; i < n; i++) {
                            h[to + i] = b.get(i) != 0;
                        }
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

    private long inFlightBytes() {
        long bytes = 0;
        for (Pending p : pending) {
            bytes += p.buffer().capacity();
        }
        return bytes;
    }

    /** Uploads (chunks) still holding a pinned buffer (for tests). */
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
            retire(pending.removeFirst(), false);
        }
    }

    /**
     * Destroys {@code p}'s event and gives its buffer back, after waiting for the event when
     * {@code await}. Both happen even when the wait fails: a failed wait is a sticky context error,
     * after which no copy runs, and the event and pinned buffer would otherwise leak.
     */
    private void retire(Pending p, boolean await) {
        RuntimeException failure = null;
        try {
            if (await) {
                device.stream().await("upload", p.event());
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            device.stream().destroyEvent(p.event());
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        device.pinned().release(p.buffer());
        if (failure != null) {
            throw failure;
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
