package dev.fathom.cuda;

import dev.fathom.spi.AttentionGeometry;
import dev.fathom.spi.Buffer;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
    private final FakeOpsDevice fake = new FakeOpsDevice(List.of("attention_forward_", "attention_backward_dq_", "attention_backward_dkdv_"));
    private final FakeDriver driver = fake.driver;
    private final List<String> modulesAsked = fake.modulesAsked;
    private final CudaAttention ops = new CudaAttention(fake.device, FakeOpsDevice.ADDRESSES);

    @AfterEach
    void close() {
        fake.close();
    }

    private Strided t(DType dt, long offset, int... shape) {
        return fake.operand(dt, offset, shape);
    }

    @Test
    void forwardLaunchesOneKernelWithThePlanAndTheSizes() {
        AttentionGeometry g = new AttentionGeometry(2, 3, 70, 33, 5, 3, 0.25, true, DType.F64);
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
        // Each of q, k, v and out: address, offset, batch, head and row strides (contiguous here).
        assertEquals(List.of(FakeOpsDevice.address(q), 3L, 3 * 70 * 5L, 70 * 5L, 5L, FakeOpsDevice.address(k), 0L, 3 * 33 * 5L, 33 * 5L, 5L,
                FakeOpsDevice.address(v), 1L, 3 * 33 * 3L, 33 * 3L, 3L, FakeOpsDevice.address(out), 2L, 3 * 70 * 3L, 70 * 3L, 3L,
                FakeOpsDevice.address(lse), 5L, 6, 3, 70, 33, 5, 3, 0.25, 1), FakeOpsDevice.values(l));
        assertEquals(List.of("attention"), modulesAsked);
    }

    @Test
    void backwardRunsDkDvThenDqAndNoKeysLaunchOnlyDq() {
        AttentionGeometry g = new AttentionGeometry(1, 2, 9, 4, 3, 2, 0.5, false, DType.F32);
        Strided[] in = {t(DType.F32, 0, g.queryShape()), t(DType.F32, 0, g.keyShape()), t(DType.F32, 0, g.valueShape()),
                t(DType.F32, 0, g.outputShape()), t(DType.F32, 0, g.outputShape()), t(DType.F32, 0, g.logsumexpShape())};
        Strided gq = t(DType.F32, 1, g.queryShape()), gk = t(DType.F32, 2, g.keyShape()), gv = t(DType.F32, 3, g.valueShape());
        ops.backward(g, in[0], in[1], in[2], in[3], in[4], in[5], gq, gk, gv);
        List<FakeDriver.Launch> ls = driver.launches();
        assertEquals(List.of("attention_backward_dkdv_f32", "attention_backward_dq_f32"), ls.stream().map(FakeDriver.Launch::kernel).toList());
        assertEquals(4, ls.get(0).block()[0], "dk/dv: a thread per key, 4 keys");
        assertEquals(16, ls.get(1).block()[0], "dq: a thread per query, 9 rounded up");
        // Five inputs of five parameters and the logsumexp's two come first.
        List<Object> dkdv = FakeOpsDevice.values(ls.get(0));
        assertEquals(List.of(FakeOpsDevice.address(gk), 2L, 2 * 4 * 3L, 4 * 3L, 3L, FakeOpsDevice.address(gv), 3L, 2 * 4 * 2L, 4 * 2L, 2L, 2, 2, 9, 4,
                3, 2, 0.5, 0), dkdv.subList(27, dkdv.size()));
        List<Object> dq = FakeOpsDevice.values(ls.get(1));
        assertEquals(List.of(FakeOpsDevice.address(gq), 1L, 2 * 9 * 3L, 9 * 3L, 3L), dq.subList(27, 32));

        AttentionGeometry none = new AttentionGeometry(1, 2, 3, 0, 3, 2, 0.5, false, DType.F32);
        ops.backward(none, t(DType.F32, 0, none.queryShape()), t(DType.F32, 0, none.keyShape()), t(DType.F32, 0, none.valueShape()),
                t(DType.F32, 0, none.outputShape()), t(DType.F32, 0, none.outputShape()), t(DType.F32, 0, none.logsumexpShape()),
                t(DType.F32, 0, none.queryShape()), t(DType.F32, 0, none.keyShape()), t(DType.F32, 0, none.valueShape()));
        assertEquals("attention_backward_dq_f32", driver.launches().getLast().kernel(), "no keys: dq (zeros) only");
        assertEquals(3, driver.launches().size());
    }

    @Test
    void badInputIsRejectedBeforeAnyLaunch() {
        AttentionGeometry g = new AttentionGeometry(1, 2, 3, 4, 5, 6, 1, true, DType.F32);
        Map<String, Runnable> cases = new LinkedHashMap<>();
        cases.put("cuda attentionForward: v must be [1, 2, 4, 6]", () -> ops.forward(g, t(DType.F32, 0, g.queryShape()), t(DType.F32, 0, g.keyShape()),
                t(DType.F32, 0, 2, 4, 5), t(DType.F32, 0, g.outputShape()), t(DType.F32, 0, g.logsumexpShape())));
        cases.put("cuda attentionBackward: gradQ must be [1, 2, 3, 5] with stride 1 along its rows and no repeated row", () -> ops.backward(g,
                t(DType.F32, 0, g.queryShape()), t(DType.F32, 0, g.keyShape()), t(DType.F32, 0, g.valueShape()), t(DType.F32, 0, g.outputShape()),
                t(DType.F32, 0, g.outputShape()), t(DType.F32, 0, g.logsumexpShape()),
                new Strided(t(DType.F32, 0, g.queryShape()).buffer(), g.queryShape(), new long[] {30, 15, 0, 1}, 0),
                t(DType.F32, 0, g.keyShape()), t(DType.F32, 0, g.valueShape())));
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
        AttentionGeometry huge = new AttentionGeometry(1, 1, 1, 1, 4096, 4096, 1, false, DType.F64);
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
            AttentionGeometry g = new AttentionGeometry(1, 1, 2, 3, 4, 4, 0.5, true, DType.F32);
            Buffer q = k.allocate(DType.F32, 8), kk = k.allocate(DType.F32, 12), v = k.allocate(DType.F32, 12);
            Buffer o = k.allocate(DType.F32, 8), l = k.allocate(DType.F32, 2);
            k.attentionForward(g, Strided.contiguous(q, 1, 1, 2, 4), Strided.contiguous(kk, 1, 1, 3, 4), Strided.contiguous(v, 1, 1, 3, 4),
                    Strided.contiguous(o, 1, 1, 2, 4), Strided.contiguous(l, 1, 1, 2));
            FakeDriver.Launch f = d.launches().getLast();
            assertEquals("attention_forward_f32", f.kernel());
            assertEquals(((CudaBuffer) q).address(), f.ptr(0));
            assertEquals(((CudaBuffer) l).address(), f.ptr(20));
        }
    }
}
