package dev.fathom.io;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The safetensors format at the byte level: files assembled by hand in this test are read, and
 * {@link SafeTensors#save} must produce exactly the hand-assembled bytes, and the bytes of a file
 * written by the reference implementation itself (a test resource). The expected header
 * lengths of the last cases are those of the reference implementation's own tests
 * ({@code safetensors/src/tensor.rs}: {@code test_serialization}, {@code test_empty},
 * {@code test_serialization_forced_alignement}).
 */
class SafeTensorsBytesTest {
    @TempDir
    Path dir;

    /** The 8-byte little-endian length, the header text as given (padding included), then the data. */
    static byte[] assemble(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data).array();
    }

    /**
     * ids: I64 [3] = {7, -1, 2^40}; w: F32 [2, 2] = {1.5, -2, 0.25, 3e38}; mask: BOOL [2] = {true, false}.
     * The reference orders I64 before F32 before BOOL, so that is the data order. 204 bytes of JSON
     * plus 4 spaces make the header 208 bytes, a multiple of 8.
     */
    static final String HEADER = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"ids\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,24]},"
            + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[24,40]},"
            + "\"mask\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[40,42]}}"
            + "    ";

    static byte[] handData() {
        return ByteBuffer.allocate(42).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(7).putLong(-1).putLong(1L << 40)
                .putFloat(1.5f).putFloat(-2f).putFloat(0.25f).putFloat(3e38f)
                .put((byte) 1).put((byte) 0)
                .array();
    }

    @Test
    void headerOfTheHandFileIsAMultipleOfEight() {
        assertEquals(208, HEADER.length());
    }

    @Test
    void readsAFileWrittenByHand() throws IOException {
        Path file = dir.resolve("hand.safetensors");
        Files.write(file, assemble(HEADER, handData()));
        try (SafeTensors.Contents c = SafeTensors.read(file, dev.fathom.Fathom.defaultDevice())) {
            assertEquals(List.of("ids", "w", "mask"), List.copyOf(c.tensors().keySet()), "data order");
            assertEquals(Map.of("format", "pt"), c.metadata());
            Tensor ids = c.tensors().get("ids");
            assertEquals(DType.I64, ids.dtype());
            assertArrayEquals(new int[] {3}, ids.shape());
            assertArrayEquals(new long[] {7, -1, 1L << 40}, ids.toLongArray());
            Tensor w = c.tensors().get("w");
            assertEquals(DType.F32, w.dtype());
            assertArrayEquals(new int[] {2, 2}, w.shape());
            assertArrayEquals(new float[] {1.5f, -2f, 0.25f, 3e38f}, w.toFloatArray());
            Tensor mask = c.tensors().get("mask");
            assertEquals(DType.BOOL, mask.dtype());
            assertArrayEquals(new boolean[] {true, false}, mask.toBooleanArray());
        }
    }

    @Test
    void savesExactlyTheHandAssembledBytes() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        // Given in an order unlike the file's: save must sort as the reference does.
        tensors.put("w", Tensor.of(new float[] {1.5f, -2f, 0.25f, 3e38f}, 2, 2));
        tensors.put("mask", Tensor.of(new boolean[] {true, false}, 2));
        tensors.put("ids", Tensor.of(new long[] {7, -1, 1L << 40}, 3));
        Path file = dir.resolve("saved.safetensors");
        SafeTensors.save(file, tensors, Map.of("format", "pt"));
        assertArrayEquals(assemble(HEADER, handData()), Files.readAllBytes(file));
        tensors.values().forEach(Tensor::close);
    }

    @Test
    void metadataIsSortedSoTheMapOrderDoesNotMatter() throws IOException {
        Map<String, String> ba = new LinkedHashMap<>();
        ba.put("b", "1");
        ba.put("a", "2");
        Path file = dir.resolve("meta.safetensors");
        SafeTensors.save(file, Map.of(), ba);
        assertArrayEquals(assemble("{\"__metadata__\":{\"a\":\"2\",\"b\":\"1\"}}      ", new byte[0]), Files.readAllBytes(file));
    }

    @Test
    void readsHeadersInAnyOrderAndLayout() throws IOException {
        // Another writer may list tensors out of data order and pretty-print its JSON.
        String header = "{\n  \"b\": {\"shape\": [], \"dtype\": \"F64\", \"data_offsets\": [8, 16]},\n"
                + "  \"a\": {\"data_offsets\": [0, 8], \"dtype\": \"F64\", \"shape\": [1]}\n}";
        byte[] data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(Math.PI).putDouble(-0.0).array();
        Path file = dir.resolve("pretty.safetensors");
        Files.write(file, assemble(header, data));
        Map<String, Tensor> t = SafeTensors.load(file);
        assertEquals(List.of("a", "b"), List.copyOf(t.keySet()));
        assertArrayEquals(new double[] {Math.PI}, t.get("a").toDoubleArray());
        assertArrayEquals(new int[0], t.get("b").shape());
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(t.get("b").toDoubleArray()[0]));
        assertEquals(Map.of(), SafeTensors.metadata(file));
        t.values().forEach(Tensor::close);
    }

    @Test
    void matchesTheReferenceSerializationTest() throws IOException {
        Tensor attn = Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 1, 2, 3);
        byte[] floats = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(0).putFloat(1).putFloat(2).putFloat(3).putFloat(4).putFloat(5).array();
        // 64 bytes of JSON: no padding.
        assertSaves(Map.of("attn.0", attn), Map.of(),
                assemble("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", floats), 64);
        // 65 bytes of JSON: 7 spaces so that the data starts 8-aligned.
        Tensor attn4 = attn.reshape(1, 1, 2, 3);
        assertSaves(Map.of("attn0", attn4), Map.of(),
                assemble("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ", floats), 72);
        attn4.close();
        attn.close();
    }

    @Test
    void matchesTheReferenceEmptyFiles() throws IOException {
        assertSaves(Map.of(), Map.of(), assemble("{}      ", new byte[0]), 8);
        assertSaves(Map.of(), Map.of("framework", "pt"), assemble("{\"__metadata__\":{\"framework\":\"pt\"}}     ", new byte[0]), 40);
    }

    /** Written by Hugging Face's safetensors 0.8.0 (the script beside it in the test resources). */
    private Path referenceFile() throws IOException {
        Path file = dir.resolve("reference.safetensors");
        try (var in = SafeTensorsBytesTest.class.getResourceAsStream("reference.safetensors")) {
            Files.write(file, in.readAllBytes());
        }
        return file;
    }

    private static Map<String, Tensor> referenceTensors() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a", Tensor.of(new float[] {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}, 2, 3));
        t.put("z", Tensor.scalar(true));
        t.put("i", Tensor.of(new long[] {1, -2}, 1, 2));
        t.put("e", Tensor.of(new double[0], 0, 3));
        t.put("pi", Tensor.of(new double[] {Math.PI, -0.0}, 2));
        return t;
    }

    @Test
    void readsAFileWrittenByTheReferenceImplementation() throws IOException {
        Map<String, Tensor> expected = referenceTensors();
        try (SafeTensors.Contents c = SafeTensors.read(referenceFile(), dev.fathom.Fathom.defaultDevice())) {
            assertEquals(List.of("i", "e", "pi", "a", "z"), List.copyOf(c.tensors().keySet()), "I64, then F64 and F32 by name, then BOOL");
            assertEquals(Map.of("format", "np"), c.metadata());
            expected.forEach((name, e) -> {
                Tensor a = c.tensors().get(name);
                assertEquals(e.dtype(), a.dtype(), name);
                assertArrayEquals(e.shape(), a.shape(), name);
                assertArrayEquals(e.toDoubleArray(), a.toDoubleArray(), name);
            });
            assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(c.tensors().get("pi").toDoubleArray()[1]));
        }
        expected.values().forEach(Tensor::close);
    }

    @Test
    void writesTheSameBytesAsTheReferenceImplementation() throws IOException {
        Map<String, Tensor> tensors = referenceTensors();
        Path file = dir.resolve("fathom.safetensors");
        SafeTensors.save(file, tensors, Map.of("format", "np"));
        assertArrayEquals(Files.readAllBytes(referenceFile()), Files.readAllBytes(file));
        tensors.values().forEach(Tensor::close);
    }

    private void assertSaves(Map<String, Tensor> tensors, Map<String, String> metadata, byte[] expected, long headerLength) throws IOException {
        Path file = dir.resolve("ref.safetensors");
        SafeTensors.save(file, tensors, metadata);
        byte[] actual = Files.readAllBytes(file);
        assertEquals(headerLength, ByteBuffer.wrap(actual).order(ByteOrder.LITTLE_ENDIAN).getLong(0), "header length");
        assertArrayEquals(expected, actual);
        // And back.
        try (SafeTensors.Contents c = SafeTensors.read(file, dev.fathom.Fathom.defaultDevice())) {
            assertEquals(metadata, c.metadata());
            assertEquals(tensors.keySet(), c.tensors().keySet());
        }
    }
}
