package dev.fathom.io;

import dev.fathom.Fathom;
import dev.fathom.io.SafeTensorsHeader.Entry;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Tensor;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Named tensors in Hugging Face's safetensors format
 * (<a href="https://github.com/huggingface/safetensors">github.com/huggingface/safetensors</a>),
 * which PyTorch, JAX, NumPy and Candle read and write:
 *
 * <pre>
 *   8 bytes   N, the header length (unsigned, little-endian)
 *   N bytes   UTF-8 JSON: {"__metadata__": {string: string},
 *                          "NAME": {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]}, ...}
 *             padded with spaces to a multiple of 8
 *   the rest  the data buffer: each tensor's elements, row-major, little-endian; offsets count from here
 * </pre>
 *
 * <p>{@link #save} writes what the reference implementation writes for the same tensors: tensors
 * ordered by dtype (I64, F64, F32, BOOL) and then by name, packed without gaps. Metadata is sorted
 * by key: the reference keeps it in a hash map, so any order reads the same, and sorting makes the
 * bytes independent of the map's iteration order. It writes {@linkplain AtomicFile atomically}: a
 * failed save leaves the previous file intact. {@link #load} checks the whole file before creating a tensor (dtype, shape against
 * byte length, offsets covering the data exactly, the file's length) and throws an
 * {@link IOException} that names the file and what is wrong. Fathom reads and writes F32, F64, I64
 * and BOOL; other safetensors dtypes (F16, BF16, I32, ...) are rejected by name.
 *
 * <p>Loaded tensors are created like any factory's: on the given device (the default one
 * otherwise), in the caller's current {@link dev.fathom.tensor.Scope}.
 */
public final class SafeTensors {
    /** Bytes moved per read or write call: large enough to be fast, small enough to bound the extra memory. */
    private static final int CHUNK = 1 << 20;

    private SafeTensors() {
    }

    /** Tensors by name, in the file's data order, and the file's metadata. Closing it closes the tensors. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) implements AutoCloseable {
        @Override
        public void close() {
            tensors.values().forEach(Tensor::close);
        }
    }

    /** Saves {@code tensors} without metadata. */
    public static void save(Path file, Map<String, Tensor> tensors) throws IOException {
        save(file, tensors, Map.of());
    }

    /**
     * Saves {@code tensors} (any device, any layout; they are read, not modified) and the string
     * {@code metadata} to {@code file}, replacing it atomically.
     */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Objects.requireNonNull(file, "SafeTensors.save: file is null");
        Objects.requireNonNull(tensors, "SafeTensors.save: tensors is null");
        Objects.requireNonNull(metadata, "SafeTensors.save: metadata is null");
        Map<String, Tensor> byName = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name == null || t == null) {
                throw new IllegalArgumentException("SafeTensors.save(" + file + "): null " + (name == null ? "name" : "tensor for '" + name + "'"));
            }
            if (name.equals(SafeTensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("SafeTensors.save(" + file + "): '" + name + "' is reserved for the metadata; rename the tensor");
            }
            byName.put(name, t);
            entries.add(new Entry(name, t.dtype(), t.shape(), 0, 0));
        }
        Map<String, String> meta = new java.util.TreeMap<>(SafeTensorsHeader.UTF8_ORDER);
        metadata.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new IllegalArgumentException("SafeTensors.save(" + file + "): metadata may not hold null (key " + k + ", value " + v + ")");
            }
            meta.put(k, v);
        });
        List<Entry> layout = SafeTensorsHeader.layout(entries);
        byte[] header = SafeTensorsHeader.encode(layout, meta);
        AtomicFile.write(file, channel -> {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
            writeFully(channel, length);
            writeFully(channel, ByteBuffer.wrap(header));
            for (Entry e : layout) {
                try {
                    writeData(channel, byName.get(e.name()));
                } catch (IllegalStateException failed) {
                    // A tensor closed or otherwise unreadable is found as it is read, the file untouched (AtomicFile).
                    throw new IllegalStateException("SafeTensors.save(" + file + "): reading '" + e.name() + "' failed: " + failed.getMessage(), failed);
                }
            }
        });
    }

    /** Loads every tensor of {@code file} onto the default device. */
    public static Map<String, Tensor> load(Path file) throws IOException {
        return read(file, Fathom.defaultDevice()).tensors();
    }

    /** Loads every tensor of {@code file} onto {@code device}. */
    public static Map<String, Tensor> load(Path file, Device device) throws IOException {
        return read(file, device).tensors();
    }

    /** The metadata of {@code file}, reading only the header (the file is still validated as a whole). */
    public static Map<String, String> metadata(Path file) throws IOException {
        IoErrors.requireReadableFile(file, ".safetensors");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, channel).parsed().metadata();
        }
    }

    /** Loads the tensors of {@code file} onto {@code device}, and its metadata. */
    public static Contents read(Path file, Device device) throws IOException {
        Objects.requireNonNull(file, "SafeTensors.read: file is null");
        Objects.requireNonNull(device, "SafeTensors.read: device is null");
        IoErrors.requireReadableFile(file, ".safetensors");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = readHeader(file, channel);
            Map<String, Tensor> out = new LinkedHashMap<>();
            try {
                for (Entry e : h.parsed().entries()) {
                    out.put(e.name(), readTensor(file, channel, h.dataStart(), e, device));
                }
            } catch (IOException | RuntimeException ex) {
                out.values().forEach(Tensor::close);
                throw ex;
            }
            return new Contents(Collections.unmodifiableMap(out), Collections.unmodifiableMap(h.parsed().metadata()));
        }
    }

    // ---- reading ----------------------------------------------------------------------------------

    private record Header(SafeTensorsHeader.Parsed parsed, long dataStart) {
    }

    private static Header readHeader(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw new IOException(file + " is " + size + " bytes long, too short for a safetensors file (it starts with an 8-byte header length)");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, channel, lengthBytes, 0);
        long n = lengthBytes.flip().getLong();
        // n is unsigned on disk: a negative long is a length above 2^63, surely larger than the file.
        if (n < 0 || n > size - 8) {
            throw new IOException("header length " + Long.toUnsignedString(n) + " of " + file + " is larger than the file (" + size
                    + " bytes): truncated or not a safetensors file");
        }
        if (n > SafeTensorsHeader.MAX_HEADER_BYTES) {
            throw new IOException("header length " + n + " of " + file + " exceeds the limit of " + SafeTensorsHeader.MAX_HEADER_BYTES
                    + " bytes: corrupt or not a safetensors file");
        }
        ByteBuffer header = ByteBuffer.allocate((int) n);
        readFully(file, channel, header, 8);
        return new Header(SafeTensorsHeader.decode(file.toString(), header.array(), size - 8 - n), 8 + n);
    }

    private static Tensor readTensor(Path file, FileChannel channel, long dataStart, Entry e, Device device) throws IOException {
        int n = e.numel();
        int elementSize = e.dtype().byteSize();
        Object host = switch (e.dtype()) {
            case F32 -> new float[n];
            case F64 -> new double[n];
            case I64 -> new long[n];
            case BOOL -> new boolean[n];
        };
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(e.byteLength(), elementSize))).order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = buf.capacity() / elementSize;
        for (int done = 0; done < n; ) {
            int count = Math.min(perChunk, n - done);
            buf.clear().limit(count * elementSize);
            readFully(file, channel, buf, dataStart + e.begin() + (long) done * elementSize);
            buf.flip();
            switch (host) {
                case float[] a -> buf.asFloatBuffer().get(a, done, count);
                case double[] a -> buf.asDoubleBuffer().get(a, done, count);
                case long[] a -> buf.asLongBuffer().get(a, done, count);
                case boolean[] a -> {
                    for (int i = 0; i < count; i++) {
                        byte b = buf.get(i);
                        if (b != 0 && b != 1) {
                            throw new IOException("tensor '" + e.name() + "' in " + file + " is BOOL but element " + (done + i)
                                    + " is the byte " + (b & 0xFF) + " (only 0 and 1 are booleans): corrupt file");
                        }
                        a[done + i] = b == 1;
                    }
                }
                default -> throw new AssertionError(host);
            }
            done += count;
        }
        Tensor t = create(host, e.shape());
        if (!t.device().equals(device)) {
            Tensor moved = t.to(device);
            t.close();
            t = moved;
        }
        return t;
    }

    /** A tensor of {@code shape} from a host array; {@code Tensor.of} reads an empty shape as 1-D, so 0-d goes through scalar. */
    private static Tensor create(Object host, int[] shape) {
        boolean scalar = shape.length == 0;
        return switch (host) {
            case float[] a -> scalar ? Tensor.scalar(a[0]) : Tensor.of(a, shape);
            case double[] a -> scalar ? Tensor.scalar(a[0]) : Tensor.of(a, shape);
            case long[] a -> scalar ? Tensor.scalar(a[0]) : Tensor.of(a, shape);
            case boolean[] a -> scalar ? Tensor.scalar(a[0]) : Tensor.of(a, shape);
            default -> throw new AssertionError(host);
        };
    }

    private static void readFully(Path file, FileChannel channel, ByteBuffer buf, long position) throws IOException {
        long p = position;
        while (buf.hasRemaining()) {
            int read = channel.read(buf, p);
            if (read < 0) {
                throw new EOFException(file + " ended at byte " + p + " while " + buf.remaining() + " more bytes were expected"
                        + " (was it truncated while being read?)");
            }
            p += read;
        }
    }

    // ---- writing ----------------------------------------------------------------------------------

    private static void writeData(FileChannel channel, Tensor t) throws IOException {
        Object host = switch (t.dtype()) {
            case F32 -> t.toFloatArray();
            case F64 -> t.toDoubleArray();
            case I64 -> t.toLongArray();
            case BOOL -> t.toBooleanArray();
        };
        int n = (int) t.numel();
        int elementSize = t.dtype().byteSize();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max((long) n * elementSize, elementSize))).order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = buf.capacity() / elementSize;
        for (int done = 0; done < n; ) {
            int count = Math.min(perChunk, n - done);
            buf.clear();
            switch (host) {
                case float[] a -> buf.asFloatBuffer().put(a, done, count);
                case double[] a -> buf.asDoubleBuffer().put(a, done, count);
                case long[] a -> buf.asLongBuffer().put(a, done, count);
                case boolean[] a -> {
                    for (int i = 0; i < count; i++) {
                        buf.put(i, (byte) (a[done + i] ? 1 : 0));
                    }
                }
                default -> throw new AssertionError(host);
            }
            buf.limit(count * elementSize);
            writeFully(channel, buf);
            done += count;
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }
}
