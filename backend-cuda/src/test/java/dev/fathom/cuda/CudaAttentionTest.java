package dev.fathom.cuda;

import dev.fathom.spi.AttentionGeometry;
import dev.fathom.spi.Buffer;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CudaAttention} against the fake driver: which kernels run in which order, with the
 * geometry of {@link CudaAttention#plan} and the operands' addresses and offsets (the kernels' math
 * is {@code AttentionKernelEmulationTest}'s), and the input rules enforced before any launch.
 */
class CudaAttentionTest {
    private static final byte[] PTX = ".version 9.0\n.target sm_75\n".getBytes(StandardCharsets.US_ASCII);

    private record Buf(DType dtype, long capacity, long address) implements Buffer {
    }

    private final FakeDriver driver = new FakeDriver();
    private final CudaDevice device;
    private final List<String> modulesAsked = new ArrayList<>();
    private final CudaAttention ops;
    private long nextAddress = 0x1000;

    CudaAttentionTest() {
        for (String t : List.of("f32", "f64")) {
            for (String k : List.of("attention_forward_", "attention_backward_dq_", "attention_backward_dkdv_")) {
                driver.kernel(k + t, (d, l) -> { });
            }
        }
        device = CudaDevice.open(driver, 0, false, new KernelImages(CudaPlan.KernelSource.NVRTC, 7, 5, (name, source, headers, options) -> {
            modulesAsked.add(name.substring(0, name.length() - ".cu".length()));
            return PTX;
        }), false);
        ops = new CudaAttention(device, (s, op) -> ((Buf) s.buffer()).address());
    }

    @AfterEach
    void close() {
        device.close();
    }

    private Strided t(DType dt, long offset, int... shape) {
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        Buf b = new Buf(dt, offset + n, nextAddress);
        nextAddress += 0x1000;
        return new Strided(b, shape, Strided.contiguousStrides(shape), offset);
    }

    private static long addr(Strided s) {
        return ((Buf) s.buffer()).address();
    }

    @Test
    void forwardLaunchesOneKernelWithThePlanAndTheSizes() {
        AttentionGeometry g = new AttentionGeometry(6, 70, 33, 5, 3, 0.25, true, DType.F64);
        Strided q = t(DType.F64, 3, g.queryShape()), k = t(DType.F64, 0, g.keyShape()), v = t(DType.F64, 1, g.valueShape());
        Strided out = t(DType.F64, 2, g.outputShape()), lse = t(DType.F64, 5, g.logsumexpShape());
        ops.forward(g, q, k, v, out, lse);
        List<FakeDriver.Launch> ls = driver.launches();
        assertEquals(1, ls.size());
        FakeDriver.Launch l = ls.getFirst();
        CudaAttention.Plan p = CudaAttention.plan(CudaAttention.Kernel.FORWARD, g, LaunchGeometry.MAX_GRID);
        assertEquals(new CudaAttention.Plan(64, 6 * 2, 64 * (2 * 5 + 2 * 3 + 2) * 8), p);
        assertEquals("attention_forward_f64", l.kernel());
        assertEquals(p.grid(), l.grid()[0]);
        assertEquals(p.tile(), l.block()[0]);
        assertEquals(p.sharedBytes(), l.sharedBytes());
        assertEquals(List.of(addr(q), 3L, addr(k), 0L, addr(v), 1L, addr(out), 2L, addr(lse), 5L, 6, 70, 33, 5, 3, 0.25, 1), values(l));
        assertEquals(List.of("attention"), modulesAsked);
    }

    @Test
    void backwardRunsDkDvThenDqAndNoKeysLaunchOnlyDq() {
        AttentionGeometry g = new AttentionGeometry(2, 9, 4, 3, 2, 0.5, false, DType.F32);
        Strided[] in = {t(DType.F32, 0, g.queryShape()), t(DType.F32, 0, g.keyShape()), t(DType.F32, 0, g.valueShape()),
                t(DType.F32, 0, g.outputShape()), t(DType.F32, 0, g.outputShape()), t(DType.F32, 0, g.logsumexpShape())};
        Strided gq = t(DType.F32, 1, g.queryShape()), gk = t(DType.F32, 2, g.keyShape()), gv = t(DType.F32, 3, g.valueShape());
        ops.backward(g, in[0], in[1], in[2], in[3], in[4], in[5], gq, gk, gv);
        List<FakeDriver.Launch> ls = driver.launches();
        assertEquals(List.of("attention_backward_dkdv_f32", "attention_backward_dq_f32"), ls.stream().map(FakeDriver.Launch::kernel).toList());
        assertEquals(4, ls.get(0).block()[0], "dk/dv: a thread per key, 4 keys");
        assertEquals(16, ls.get(1).block()[0], "dq: a thread per query, 9 rounded up");
        List<Object> dkdv = values(ls.get(0));
        assertEquals(List.of(addr(gk), 2L, addr(gv), 3L, 2, 9, 4, 3, 2, 0.5, 0), dkdv.subList(12, dkdv.size()));
        List<Object> dq = values(ls.get(1));
        assertEquals(List.of(addr(gq), 1L), dq.subList(12, 14));

        AttentionGeometry none = new AttentionGeometry(2, 3, 0, 3, 2, 0.5, false, DType.F32);
        ops.backward(none, t(DType.F32, 0, none.queryShape()), t(DType.F32, 0, none.keyShape()), t(DType.F32, 0, none.valueShape()),
                t(DType.F32, 0, none.outputShape()), t(DType.F32, 0, none.outputShape()), t(DType.F32, 0, none.logsumexpShape()),
                t(DType.F32, 0, none.queryShape()), t(DType.F32, 0, none.keyShape()), t(DType.F32, 0, none.valueShape()));
        assertEquals("attention_backward_dq_f32", driver.launches().getLast().kernel(), "no keys: dq (zeros) only");
        assertEquals(3, driver.launches().size());
    }

    @Test
    void badInputIsRejectedBeforeAnyLaunch() {
        AttentionGeometry g = new AttentionGeometry(2, 3, 4, 5, 6, 1, true, DType.F32);
        Map<String, Runnable> cases = new LinkedHashMap<>();
        cases.put("cuda attentionForward: v must be [2, 4, 6]", () -> ops.forward(g, t(DType.F32, 0, g.queryShape()), t(DType.F32, 0, g.keyShape()),
                t(DType.F32, 0, 2, 4, 5), t(DType.F32, 0, g.outputShape()), t(DType.F32, 0, g.logsumexpShape())));
        cases.put("operands are F64 but the geometry says F32", () -> ops.forward(g, t(DType.F64, 0, g.queryShape()),
                t(DType.F64, 0, g.keyShape()), t(DType.F64, 0, g.valueShape()), t(DType.F64, 0, g.outputShape()), t(DType.F64, 0, g.logsumexpShape())));
        cases.put("cuda attentionForward: logsumexp is required", () -> ops.forward(g, t(DType.F32, 0, g.queryShape()),
                t(DType.F32, 0, g.keyShape()), t(DType.F32, 0, g.valueShape()), t(DType.F32, 0, g.outputShape()), null));
        cases.put("one dtype, got q F32 and gradK F64", () -> ops.backward(g, t(DType.F32, 0, g.queryShape()), t(DType.F32, 0, g.keyShape()),
                t(DType.F32, 0, g.valueShape()), t(DType.F32, 0, g.outputShape()), t(DType.F32, 0, g.outputShape()),
                t(DType.F32, 0, g.logsumexpShape()), t(DType.F32, 0, g.queryShape()), t(DType.F64, 0, g.keyShape()), t(DType.F32, 0, g.valueShape())));
        for (Map.Entry<String, Runnable> c : cases.entrySet()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c.getValue()::run, c.getKey());
            assertTrue(e.getMessage().contains(c.getKey()), "want '" + c.getKey() + "' in: " + e.getMessage());
        }
        AttentionGeometry huge = new AttentionGeometry(1, 1, 1, 4096, 4096, 1, false, DType.F64);
        UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class, () -> ops.backward(huge,
                t(DType.F64, 0, huge.queryShape()), t(DType.F64, 0, huge.keyShape()), t(DType.F64, 0, huge.valueShape()),
                t(DType.F64, 0, huge.outputShape()), t(DType.F64, 0, huge.outputShape()), t(DType.F64, 0, huge.logsumexpShape()),
                t(DType.F64, 0, huge.queryShape()), t(DType.F64, 0, huge.keyShape()), t(DType.F64, 0, huge.valueShape())));
        assertTrue(u.getMessage().contains("head dims 4096 and 4096"), u.getMessage());
        assertEquals(0, driver.launches().size());
    }

    @Test
    void cudaKernelsDelegatesWithItsBuffersAddresses() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            AttentionGeometry g = new AttentionGeometry(1, 2, 3, 4, 4, 0.5, true, DType.F32);
            Buffer q = k.allocate(DType.F32, 8), kk = k.allocate(DType.F32, 12), v = k.allocate(DType.F32, 12);
            Buffer o = k.allocate(DType.F32, 8), l = k.allocate(DType.F32, 2);
            k.attentionForward(g, Strided.contiguous(q, 1, 2, 4), Strided.contiguous(kk, 1, 3, 4), Strided.contiguous(v, 1, 3, 4),
                    Strided.contiguous(o, 1, 2, 4), Strided.contiguous(l, 1, 2));
            FakeDriver.Launch f = d.launches().getLast();
            assertEquals("attention_forward_f32", f.kernel());
            assertEquals(((CudaBuffer) q).address(), f.ptr(0));
            assertEquals(((CudaBuffer) l).address(), f.ptr(8));
        }
    }

    private static List<Object> values(FakeDriver.Launch l) {
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
}
