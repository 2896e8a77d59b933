package dev.fathom.io;

import dev.fathom.LiveBuffers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static dev.fathom.io.SafeTensorsBytesTest.assemble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every way a safetensors file can be broken gives an IOException naming the file and the problem. */
class SafeTensorsCorruptTest {
    @TempDir
    Path dir;

    /** a: F32 [2] at [0, 8); b: I64 [1] at [8, 16). */
    private static String header(String a, String b) {
        return "{\"a\":" + a + ",\"b\":" + b + "}";
    }

    private static final String A = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    private static final String B = "{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}";
    private static final byte[] DATA = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putLong(3).array();

    /** Loads {@code bytes} from a file and returns the failure's message, checking that it names the file. */
    private String failure(byte[] bytes) throws IOException {
        Path file = dir.resolve("broken.safetensors");
        Files.write(file, bytes);
        long before = LiveBuffers.settled();
        String message = assertThrows(IOException.class, () -> SafeTensors.load(file)).getMessage();
        assertTrue(message.contains(file.toString()), "message must name the file: " + message);
        assertEquals(before, LiveBuffers.now(), "a failed load leaks no tensor");
        return message;
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "expected \"" + p + "\" in: " + message);
        }
    }

    @Test
    void theValidBaseFileLoads() throws IOException {
        Path file = dir.resolve("ok.safetensors");
        Files.write(file, assemble(header(A, B), DATA));
        assertEquals(2, SafeTensors.load(file).size());
    }

    @Test
    void shorterThanTheLengthField() throws IOException {
        assertContains(failure(new byte[] {8, 0, 0}), "3 bytes long", "8-byte header length");
    }

    @Test
    void headerLengthLargerThanTheFile() throws IOException {
        byte[] bytes = assemble(header(A, B), DATA);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
        assertContains(failure(bytes), "header length 1000", "larger than the file (" + bytes.length + " bytes)");
        // An unsigned length beyond 2^63 (negative as a Java long) is printed as the unsigned number.
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1);
        assertContains(failure(bytes), "header length 18446744073709551615", "larger than the file");
    }

    @Test
    void invalidJson() throws IOException {
        assertContains(failure(assemble("{\"a\":{\"dtype\":", new byte[0])), "not valid JSON");
        assertContains(failure(assemble("{\"a\":" + A + "} trailing", new byte[8])), "not valid JSON");
        assertContains(failure(assemble("", new byte[0])), "must be a JSON object, found nothing");
        assertContains(failure(assemble("[1, 2]", new byte[0])), "must be a JSON object, found array");
    }

    @Test
    void duplicateTensorName() throws IOException {
        assertContains(failure(assemble("{\"a\":" + A + ",\"a\":" + A + "}", new byte[8])), "not valid JSON", "Duplicate field 'a'");
    }

    @Test
    void headerThatIsNotUtf8() throws IOException {
        byte[] bytes = assemble("{\"a\":" + A + "}", new byte[8]);
        bytes[10] = (byte) 0xC3; // a lead byte followed by an ASCII byte: malformed UTF-8
        assertContains(failure(bytes), "not valid UTF-8");
    }

    @Test
    void unsupportedDtype() throws IOException {
        Path file = dir.resolve("f16.safetensors");
        Files.write(file, assemble("{\"x\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]));
        String message = assertThrows(IOException.class, () -> SafeTensors.load(file)).getMessage();
        assertEquals("unsupported dtype F16 for tensor 'x' in " + file + "; Fathom reads F32, F64, I64, BOOL", message);
        assertContains(failure(assemble(header(A.replace("F32", "BF16"), B), DATA)), "unsupported dtype BF16 for tensor 'a'");
        assertContains(failure(assemble(header(A.replace("\"F32\"", "32"), B), DATA)), "tensor 'a'", "not a string");
    }

    @Test
    void badShapes() throws IOException {
        assertContains(failure(assemble(header(A.replace("[2]", "[-2]"), B), DATA)), "tensor 'a'", "invalid shape [-2]");
        assertContains(failure(assemble(header(A.replace("[2]", "[2.0]"), B), DATA)), "tensor 'a'", "invalid shape [2.0]");
        assertContains(failure(assemble(header(A.replace("[2]", "[4294967296]"), B), DATA)), "invalid shape");
        assertContains(failure(assemble(header(A.replace("[2]", "2"), B), DATA)), "tensor 'a'", "not an array");
        assertContains(failure(assemble(header(A.replace("\"shape\":[2],", ""), B), DATA)), "tensor 'a'", "no shape");
        assertContains(failure(assemble(header(A.replace("[2]", "[65536,65536]"), B), DATA)), "more than", "elements");
    }

    @Test
    void shapeAndDtypeDisagreeWithTheByteLength() throws IOException {
        // [3] of F32 is 12 bytes, but the offsets hold 8.
        assertContains(failure(assemble(header(A.replace("[2]", "[3]"), B), DATA)),
                "tensor 'a'", "shape [3] of F32 needs 3 x 4 = 12 bytes", "data_offsets [0,8] hold 8");
        // The same 8 bytes declared F64 [2] would need 16.
        assertContains(failure(assemble(header(A.replace("F32", "F64"), B), DATA)), "needs 2 x 8 = 16 bytes");
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        assertContains(failure(assemble(header(A.replace("[0,8]", "[8,0]"), B), DATA)), "tensor 'a'", "data_offsets [8,0] out of range");
        assertContains(failure(assemble(header(A.replace("[0,8]", "[-8,0]"), B), DATA)), "out of range");
        assertContains(failure(assemble(header(A.replace("[0,8]", "[0,8,16]"), B), DATA)), "needs data_offsets [begin, end]");
        assertContains(failure(assemble(header(A.replace("[0,8]", "[0,\"8\"]"), B), DATA)), "out of range");
    }

    @Test
    void overlappingTensors() throws IOException {
        // b claims bytes [4, 12), which a's [0, 8) already holds.
        assertContains(failure(assemble(header(A, B.replace("[8,16]", "[4,12]")), DATA)), "'a' [2] F32 at [0, 8)", "'b' [1] I64 at [4, 12)", "overlap");
    }

    @Test
    void gapBetweenTensors() throws IOException {
        byte[] data = Arrays.copyOf(DATA, 20);
        assertContains(failure(assemble(header(A, B.replace("[8,16]", "[12,20]")), data)), "bytes [8, 12)", "belong to no tensor");
        assertContains(failure(assemble(header(A.replace("[0,8]", "[4,12]"), B.replace("[8,16]", "[12,20]")), data)),
                "bytes [0, 4)", "before the first tensor");
    }

    @Test
    void bytesAfterTheLastTensor() throws IOException {
        assertContains(failure(assemble(header(A, B), Arrays.copyOf(DATA, 24))), "8 bytes after the last tensor's data", "belong to no tensor");
    }

    @Test
    void truncatedData() throws IOException {
        byte[] whole = assemble(header(A, B), DATA);
        assertContains(failure(Arrays.copyOf(whole, whole.length - 3)), "is truncated", "describes 16 bytes of tensor data", "only 13");
    }

    @Test
    void truncatedInsideTheHeader() throws IOException {
        byte[] whole = assemble(header(A, B), DATA);
        assertContains(failure(Arrays.copyOf(whole, 20)), "larger than the file (20 bytes)");
    }

    @Test
    void metadataMustBeStrings() throws IOException {
        assertContains(failure(assemble("{\"__metadata__\":{\"epoch\":3}}", new byte[0])), "__metadata__ entry 'epoch'", "must be a string");
        assertContains(failure(assemble("{\"__metadata__\":[1]}", new byte[0])), "__metadata__", "must be an object of strings");
    }

    @Test
    void booleanBytesOtherThanZeroAndOne() throws IOException {
        byte[] bytes = assemble("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}", new byte[] {1, 0, 2});
        assertContains(failure(bytes), "tensor 'm'", "element 2 is the byte 2");
    }

    @Test
    void tensorEntryThatIsNotAnObject() throws IOException {
        assertContains(failure(assemble("{\"a\":[0,8]}", new byte[8])), "tensor 'a'", "must be an object");
    }

    @Test
    void notASafetensorsFileAtAll() throws IOException {
        byte[] text = "Hello, this is a plain text file and not tensors.\n".getBytes(StandardCharsets.US_ASCII);
        assertContains(failure(text), "header length", "larger than the file");
    }
}
