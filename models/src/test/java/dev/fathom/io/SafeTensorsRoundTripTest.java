package dev.fathom.io;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Save then load gives back the same names, dtypes, shapes, bits and metadata. */
class SafeTensorsRoundTripTest {
    @TempDir
    Path dir;

    /** Every value of an array as raw bits (so -0.0 and NaN payloads count). */
    private static long[] bits(Tensor t) {
        return switch (t.dtype()) {
            case F32 -> {
                float[] f = t.toFloatArray();
                long[] b = new long[f.length];
                for (int i = 0; i < f.length; i++) {
                    b[i] = Float.floatToRawIntBits(f[i]);
                }
                yield b;
            }
            case F64 -> {
                double[] d = t.toDoubleArray();
                long[] b = new long[d.length];
                for (int i = 0; i < d.length; i++) {
                    b[i] = Double.doubleToRawLongBits(d[i]);
                }
                yield b;
            }
            case I64, BOOL -> t.toLongArray();
        };
    }

    private static void assertSame(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, e) -> {
            Tensor a = actual.get(name);
            assertEquals(e.dtype(), a.dtype(), name);
            assertArrayEquals(e.shape(), a.shape(), name);
            assertArrayEquals(bits(e), bits(a), name);
        });
    }

    @Test
    void everyDtypeIncludingZeroDimAndEmpty() throws IOException {
        try (Scope s = Scope.open()) {
            Map<String, Tensor> in = new LinkedHashMap<>();
            in.put("f32", Tensor.of(new float[] {1f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE, -Float.MAX_VALUE}, 2, 3));
            in.put("f64", Tensor.of(new double[] {Math.E, -0.0, Double.NaN, Double.NEGATIVE_INFINITY, Double.MIN_VALUE}, 5));
            in.put("i64", Tensor.of(new long[] {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE, 42}, 3, 1, 2));
            in.put("bool", Tensor.of(new boolean[] {true, false, false, true}, 2, 2));
            in.put("f32.scalar", Tensor.scalar(2.5f));
            in.put("f64.scalar", Tensor.scalar(-7.25));
            in.put("i64.scalar", Tensor.scalar(123456789012L));
            in.put("bool.scalar", Tensor.scalar(true));
            in.put("f32.empty", Tensor.of(new float[0], 0));
            in.put("f64.empty", Tensor.of(new double[0], 2, 0, 3));
            in.put("i64.empty", Tensor.of(new long[0], 0, 4));
            in.put("bool.empty", Tensor.of(new boolean[0], 0));
            Path file = dir.resolve("all.safetensors");
            Map<String, String> meta = Map.of("epoch", "3", "note", "ünïcödé ✓ \"quoted\"\n");
            SafeTensors.save(file, in, meta);
            SafeTensors.Contents out = SafeTensors.read(file, Device.cpu());
            assertSame(in, out.tensors());
            assertEquals(meta, out.metadata());
            assertEquals(meta, SafeTensors.metadata(file));
        }
    }

    @Test
    void largerThanOneChunkAndNonContiguous() throws IOException {
        try (Scope s = Scope.open()) {
            // 300k floats (1.2 MB) and 200k doubles cross the 1 MiB read/write chunk.
            SplittableRandom r = new SplittableRandom(5);
            float[] f = new float[300_001];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) r.nextGaussian();
            }
            double[] d = r.doubles(200_003).toArray();
            Tensor big = Tensor.of(f, 300_001);
            Tensor wide = Tensor.of(d, 200_003);
            Tensor base = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor transposed = base.t();
            Map<String, Tensor> in = Map.of("big", big, "wide", wide, "t", transposed);
            Path file = dir.resolve("big.safetensors");
            SafeTensors.save(file, in);
            Map<String, Tensor> out = SafeTensors.load(file);
            assertSame(in, out);
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, out.get("t").toFloatArray(), "a view is saved in row-major order of its shape");
            assertEquals(8 * 200_003L + 4 * 300_001L + 4 * 6, Files.size(file) - 8 - headerLength(file), "data packed without gaps");
        }
    }

    private static long headerLength(Path file) throws IOException {
        byte[] first = new byte[8];
        try (var in = Files.newInputStream(file)) {
            assertEquals(8, in.readNBytes(first, 0, 8));
        }
        return ByteBuffer.wrap(first).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Test
    void loadedTensorsLiveInTheCallersScope() throws IOException {
        Path file = dir.resolve("scoped.safetensors");
        try (Tensor t = Tensor.of(new float[] {1, 2}, 2)) {
            SafeTensors.save(file, Map.of("t", t));
        }
        Tensor loaded;
        try (Scope s = Scope.open()) {
            loaded = SafeTensors.load(file).get("t");
            assertArrayEquals(new float[] {1, 2}, loaded.toFloatArray());
        }
        assertTrue(loaded.isClosed());
    }

    @Test
    void overwritesAnExistingFile() throws IOException {
        Path file = dir.resolve("twice.safetensors");
        try (Scope s = Scope.open()) {
            SafeTensors.save(file, Map.of("a", Tensor.of(new float[] {1, 2, 3}, 3)));
            SafeTensors.save(file, Map.of("b", Tensor.scalar(4L)));
            Map<String, Tensor> out = SafeTensors.load(file);
            assertEquals(java.util.Set.of("b"), out.keySet());
            assertEquals(4L, out.get("b").itemLong());
        }
    }

    @Test
    void rejectsBadArgumentsBeforeWriting() {
        Path file = dir.resolve("bad.safetensors");
        try (Scope s = Scope.open()) {
            Tensor t = Tensor.scalar(1f);
            IllegalArgumentException reserved = assertThrows(IllegalArgumentException.class,
                    () -> SafeTensors.save(file, Map.of("__metadata__", t)));
            assertTrue(reserved.getMessage().contains("reserved"), reserved.getMessage());
            Map<String, Tensor> nullValue = new LinkedHashMap<>();
            nullValue.put("x", null);
            IllegalArgumentException nul = assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(file, nullValue));
            assertTrue(nul.getMessage().contains("'x'"), nul.getMessage());
            Map<String, String> nullMeta = new LinkedHashMap<>();
            nullMeta.put("k", null);
            assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(file, Map.of("t", t), nullMeta));
            Tensor gone = Tensor.ones(2);
            gone.close();
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> SafeTensors.save(file, Map.of("a", gone)));
            assertTrue(closed.getMessage().startsWith("SafeTensors.save(" + file + "): reading 'a' failed: toFloatArray: tensor of shape [2]"),
                    closed.getMessage());
        }
        assertTrue(Files.notExists(file));
    }

    @Test
    void loadsOntoTheGivenDeviceWithTheGivenDtype() throws IOException {
        Path file = dir.resolve("device.safetensors");
        try (Scope s = Scope.open()) {
            SafeTensors.save(file, Map.of("x", Tensor.of(new double[] {1, 2}, 2)));
            Tensor x = SafeTensors.load(file, Device.cpu()).get("x");
            assertEquals(Device.cpu(), x.device());
            assertEquals(DType.F64, x.dtype());
        }
    }
}
