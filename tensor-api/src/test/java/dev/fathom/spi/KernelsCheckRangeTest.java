package dev.fathom.spi;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Kernels#checkRange}'s default (download, then a host loop), which the CPU and any backend
 * without a device-side check use, on a minimal backend whose buffers are Java arrays (the
 * conformance suite runs it through the CPU; CUDA overrides it).
 */
class KernelsCheckRangeTest {

    private record ArrayBuffer(DType dtype, Object array, long capacity) implements Buffer {
    }

    private static final List<String> CALLS = new ArrayList<>();

    /** Kernels that answer device() and download() and run every default method; anything else is a test error. */
    private static Kernels kernels() {
        InvocationHandler h = (proxy, m, args) -> {
            CALLS.add(m.getName());
            return switch (m.getName()) {
                case "device" -> new Device("test", 0);
                case "download" -> {
                    ArrayBuffer b = (ArrayBuffer) args[0];
                    System.arraycopy(b.array(), (int) (long) args[1], args[2], (int) args[3], (int) args[4]);
                    yield null;
                }
                default -> {
                    if (m.isDefault()) {
                        yield InvocationHandler.invokeDefault(proxy, m, args);
                    }
                    throw new UnsupportedOperationException(m.getName());
                }
            };
        };
        return (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class}, h);
    }

    private static Strided of(DType t, Object array, int offset, int n) {
        return new Strided(new ArrayBuffer(t, array, java.lang.reflect.Array.getLength(array)), new int[] {n}, new long[] {1}, offset);
    }

    @Test
    void theFirstValueOutsideTheRangeThrowsTheCallersException() {
        Kernels k = kernels();
        java.util.function.DoubleFunction<RuntimeException> failure = v -> new IllegalArgumentException("bad " + v);
        // I64 targets in [0, 9] with the ignore index -100 allowed; the offset skips a bad 99.
        long[] targets = {99, 3, -100, 9, 0};
        k.checkRange("crossEntropy", of(DType.I64, targets, 1, 4), 0, 9, -100, failure);
        targets[3] = 10;
        targets[4] = -1;
        assertEquals("bad 10.0", assertThrows(IllegalArgumentException.class,
                () -> k.checkRange("crossEntropy", of(DType.I64, targets, 1, 4), 0, 9, -100, failure)).getMessage(), "the first of two");
        // F32 probabilities in [0, 1]: NaN is never in range, nor allowed by a NaN `allowed`.
        float[] p = {0f, 1f, Float.NaN, 2f};
        assertEquals("bad NaN", assertThrows(IllegalArgumentException.class,
                () -> k.checkRange("bce", of(DType.F32, p, 0, 4), 0, 1, Double.NaN, failure)).getMessage());
        k.checkRange("bce", of(DType.F64, new double[] {0.5, 1, 0}, 0, 3), 0, 1, Double.NaN, failure);
        assertTrue(CALLS.contains("download"), "the default reads the data back");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.checkRange("bce",
                new Strided(new ArrayBuffer(DType.F32, p, 4), new int[] {2}, new long[] {2}, 0), 0, 1, Double.NaN, failure));
        assertTrue(e.getMessage().startsWith("test:0: bce: checkRange takes a contiguous operand"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> k.checkRange("bce", of(DType.BOOL, new boolean[2], 0, 2), 0, 1,
                Double.NaN, failure));
        assertEquals("test:0: bce: checkRange takes F32, F64 or I64, got BOOL", e.getMessage());
    }
}
