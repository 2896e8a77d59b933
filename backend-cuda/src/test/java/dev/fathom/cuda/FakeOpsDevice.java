package dev.fathom.cuda;

import dev.fathom.spi.Buffer;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A {@link CudaDevice} on the {@link FakeDriver} for the host-side tests of the fused-op launchers
 * ({@link CudaFusedOps}, {@link CudaAttention}, {@link CudaRecurrent}): the F32 and F64 entries
 * of the given kernels registered as no-ops, module images from a counting compiler (which
 * modules an op loads is part of what is checked), and operands that are only an address, 4 KB
 * apart, and a size.
 */
final class FakeOpsDevice implements AutoCloseable {
    private static final byte[] PTX = ".version 9.0\n.target sm_75\n".getBytes(StandardCharsets.US_ASCII);

    /** A device buffer of the fake: dtype, capacity and the address the ops must pass. */
    record Buf(DType dtype, long capacity, long address) implements Buffer {
    }

    final FakeDriver driver = new FakeDriver();
    final CudaDevice device;
    /** The modules compiled so far, by name. */
    final List<String> modulesAsked = new ArrayList<>();
    private long nextAddress = 0x1000;

    /** Kernels {@code prefix + "f32"} and {@code prefix + "f64"} for each prefix. */
    FakeOpsDevice(List<String> kernelPrefixes) {
        for (String t : List.of("f32", "f64")) {
            for (String k : kernelPrefixes) {
                driver.kernel(k + t, (d, l) -> { });
            }
        }
        device = CudaDevice.open(driver, 0, false, new KernelImages(CudaPlan.KernelSource.NVRTC, 7, 5, (name, source, headers, options) -> {
            modulesAsked.add(name.substring(0, name.length() - ".cu".length()));
            return PTX;
        }), false);
    }

    /** The ops' view of an operand's address. */
    static final CudaFusedOps.Addresses ADDRESSES = (s, op) -> address(s);

    static long address(Strided s) {
        return ((Buf) s.buffer()).address();
    }

    /** A contiguous operand of {@code shape} at element {@code offset} of a buffer of its own. */
    Strided operand(DType dt, long offset, int... shape) {
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        Buf b = new Buf(dt, offset + n, nextAddress);
        nextAddress += 0x1000;
        return new Strided(b, shape, Strided.contiguousStrides(shape), offset);
    }

    /** The one launch so far. */
    FakeDriver.Launch only() {
        List<FakeDriver.Launch> ls = driver.launches();
        assertEquals(1, ls.size(), "launches: " + ls);
        return ls.getFirst();
    }

    /** A launch's arguments as plain values (addresses as longs, descriptors as their structs). */
    static List<Object> values(FakeDriver.Launch l) {
        List<Object> v = new ArrayList<>();
        for (KernelParams.Arg a : l.args()) {
            v.add(switch (a) {
                case KernelParams.Ptr p -> p.address();
                case KernelParams.I32 i -> i.value();
                case KernelParams.I64 i -> i.value();
                case KernelParams.F32 f -> f.value();
                case KernelParams.F64 f -> f.value();
                case KernelParams.Struct s -> s;
            });
        }
        return v;
    }

    static void assertGeometry(LaunchGeometry g, FakeDriver.Launch l) {
        assertEquals(g.grid(), l.grid()[0], "grid");
        assertEquals(g.block(), l.block()[0], "block");
    }

    @Override
    public void close() {
        device.close();
    }
}
