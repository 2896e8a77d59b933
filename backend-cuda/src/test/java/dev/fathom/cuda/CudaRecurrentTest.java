package dev.fathom.cuda;

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
 * {@link CudaRecurrent} against the fake driver: which kernel each op launches, with the geometry of
 * {@link LaunchGeometry#forElements} over the R·H units and the operands' addresses, offsets, R and
 * H (the kernels' math is {@code RecurrentKernelEmulationTest}'s), and the input rules it enforces
 * before any launch.
 */
class CudaRecurrentTest {
    private final FakeOpsDevice fake = new FakeOpsDevice(List.of("lstm_cell_", "lstm_cell_backward_"));
    private final FakeDriver driver = fake.driver;
    private final List<String> modulesAsked = fake.modulesAsked;
    private final CudaRecurrent ops = new CudaRecurrent(fake.device, FakeOpsDevice.ADDRESSES);

    @AfterEach
    void close() {
        fake.close();
    }

    private Strided t(DType dt, long offset, int... shape) {
        return fake.operand(dt, offset, shape);
    }

    @Test
    void forwardLaunchesAThreadPerUnitWithOffsetsRowsAndHidden() {
        // R = 6·5 = 30 rows of H = 45 units: 1350 threads, any leading dims.
        Strided gates = t(DType.F32, 3, 6, 5, 180), c = t(DType.F32, 1, 6, 5, 45);
        Strided out = t(DType.F32, 2, 2, 6, 5, 45), acts = t(DType.F32, 4, 6, 5, 225);
        ops.lstmCell(gates, null, c, out, acts);
        FakeDriver.Launch l = fake.only();
        assertEquals("lstm_cell_f32", l.kernel());
        FakeOpsDevice.assertGeometry(LaunchGeometry.forElements(30 * 45), l);
        assertEquals(List.of(FakeOpsDevice.address(gates), 3L, 0L, 0L, FakeOpsDevice.address(c), 1L, FakeOpsDevice.address(out), 2L,
                FakeOpsDevice.address(acts), 4L, 30L, 45L), FakeOpsDevice.values(l), "no inputGates: a null pointer");
        assertEquals(List.of("recurrent"), modulesAsked);
    }

    @Test
    void backwardLaunchesTheF64KernelWithEveryOperand() {
        Strided acts = t(DType.F64, 0, 7, 15), c = t(DType.F64, 5, 7, 3), gradOut = t(DType.F64, 1, 2, 7, 3);
        Strided gradGates = t(DType.F64, 2, 7, 12), gradC = t(DType.F64, 0, 7, 3);
        ops.lstmCellBackward(acts, c, gradOut, null, gradGates, gradC);
        FakeDriver.Launch l = fake.only();
        assertEquals("lstm_cell_backward_f64", l.kernel());
        FakeOpsDevice.assertGeometry(LaunchGeometry.forElements(21), l);
        assertEquals(List.of(FakeOpsDevice.address(acts), 0L, FakeOpsDevice.address(c), 5L, FakeOpsDevice.address(gradOut), 1L, 0L, 0L,
                FakeOpsDevice.address(gradGates), 2L, FakeOpsDevice.address(gradC), 0L, 7L, 3L), FakeOpsDevice.values(l), "no gradH: a null pointer");
    }

    @Test
    void theOptionalAddendsArePassedWithTheirOffsetsAndChecked() {
        Strided gates = t(DType.F32, 0, 4, 12), x = t(DType.F32, 9, 4, 12), c = t(DType.F32, 0, 4, 3);
        Strided out = t(DType.F32, 0, 2, 4, 3), acts = t(DType.F32, 0, 4, 15);
        ops.lstmCell(gates, x, c, out, acts);
        assertEquals(List.of(FakeOpsDevice.address(x), 9L), FakeOpsDevice.values(fake.only()).subList(2, 4));
        Strided gradH = t(DType.F32, 6, 4, 3);
        ops.lstmCellBackward(acts, c, out, gradH, gates, c);
        assertEquals(List.of(FakeOpsDevice.address(gradH), 6L), FakeOpsDevice.values(driver.launches().getLast()).subList(6, 8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ops.lstmCell(gates, t(DType.F32, 0, 4, 8), c, out, acts));
        assertTrue(e.getMessage().contains("cuda lstmCell: inputGates must be [..., 4H] (the input projection, shaped as gates) with H = 3"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ops.lstmCell(gates, t(DType.F64, 0, 4, 12), c, out, acts));
        assertTrue(e.getMessage().contains("cuda lstmCell: every operand must have one dtype, got c F32 and inputGates F64[4, 12]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ops.lstmCellBackward(acts, c, out, t(DType.F32, 0, 4, 4), gates, c));
        assertTrue(e.getMessage().contains("cuda lstmCellBackward: gradH must be [..., H] (the next step's gradient of h', shaped as c)"),
                e.getMessage());
        assertEquals(2, driver.launches().size(), "nothing launched for bad addends");
    }

    @Test
    void oneRowAsARank1StateAndNoUnitsLaunchNothing() {
        ops.lstmCell(t(DType.F64, 0, 8), null, t(DType.F64, 0, 2), t(DType.F64, 0, 2, 2), t(DType.F64, 0, 10));
        assertEquals(List.of(1L, 2L), FakeOpsDevice.values(fake.only()).subList(10, 12));
        ops.lstmCell(t(DType.F32, 0, 0, 12), null, t(DType.F32, 0, 0, 3), t(DType.F32, 0, 2, 0, 3), t(DType.F32, 0, 0, 15));
        ops.lstmCell(t(DType.F32, 0, 4, 0), null, t(DType.F32, 0, 4, 0), t(DType.F32, 0, 2, 4, 0), t(DType.F32, 0, 4, 0));
        ops.lstmCellBackward(t(DType.F32, 0, 0, 15), t(DType.F32, 0, 0, 3), t(DType.F32, 0, 2, 0, 3), null, t(DType.F32, 0, 0, 12),
                t(DType.F32, 0, 0, 3));
        assertEquals(1, driver.launches().size(), "no rows or no units: nothing to launch");
    }

    @Test
    void badInputIsRejectedBeforeAnyLaunchWithTheOpShapesAndFix() {
        Map<String, Runnable> cases = new LinkedHashMap<>();
        Strided c = t(DType.F32, 0, 4, 3);
        Strided gates = t(DType.F32, 0, 4, 12), out = t(DType.F32, 0, 2, 4, 3), acts = t(DType.F32, 0, 4, 15);
        Strided transposed = new Strided(gates.buffer(), new int[] {12, 4}, new long[] {1, 12}, 0);
        cases.put("cuda lstmCell: needs F32 or F64 operands, got gates I64[4, 12]; cast it first",
                () -> ops.lstmCell(t(DType.I64, 0, 4, 12), null, t(DType.I64, 0, 4, 3), t(DType.I64, 0, 2, 4, 3), t(DType.I64, 0, 4, 15)));
        cases.put("cuda lstmCell: every operand must have one dtype, got gates F32 and acts F64[4, 15]",
                () -> ops.lstmCell(gates, null, c, out, t(DType.F64, 0, 4, 15)));
        cases.put("cuda lstmCell: c is required, got null", () -> ops.lstmCell(gates, null, null, out, acts));
        cases.put("cuda lstmCell: gates F32[12, 4] is not contiguous", () -> ops.lstmCell(transposed, null, c, out, acts));
        cases.put("cuda lstmCell: gates must be [..., 4H] (the pre-activations of the input, forget, cell and output gates) with H = 3"
                + " from c F32[4, 3]: last dim 12 and 48 elements, got F32[4, 8]; shape gates to match c",
                () -> ops.lstmCell(t(DType.F32, 0, 4, 8), null, c, out, acts));
        cases.put("cuda lstmCell: out must be [2, ..., H] (h' then c', c's shape with a leading 2) with H = 3 from c F32[4, 3]:"
                + " last dim 3 and 24 elements, got F32[4, 3]", () -> ops.lstmCell(gates, null, c, t(DType.F32, 0, 4, 3), acts));
        cases.put("cuda lstmCell: acts must be [..., 5H]", () -> ops.lstmCell(gates, null, c, out, t(DType.F32, 0, 4, 3, 5)));
        cases.put("cuda lstmCell: gates must be [..., 4H]", () -> ops.lstmCell(t(DType.F32, 0, 3, 4, 4), null, c, out, acts));
        cases.put("cuda lstmCell: c must be [..., H] with at least one dim, got the scalar F32[]",
                () -> ops.lstmCell(gates, null, t(DType.F32, 0), out, acts));
        cases.put("cuda lstmCellBackward: gradOut must be [2, ..., H]", () -> ops.lstmCellBackward(acts, c, t(DType.F32, 0, 4, 3), null, gates,
                t(DType.F32, 0, 4, 3)));
        cases.put("cuda lstmCellBackward: gradC must be [..., H] (shaped as c) with H = 3 from c F32[4, 3]: last dim 3 and 12 elements,"
                + " got F32[4, 4]", () -> ops.lstmCellBackward(acts, c, out, null, gates, t(DType.F32, 0, 4, 4)));
        cases.put("cuda lstmCellBackward: acts must be [..., 5H] (the forward's acts", () -> ops.lstmCellBackward(gates, c, out, null, gates,
                c));
        cases.put("cuda lstmCellBackward: every operand must have one dtype, got acts F32 and gradGates F64[4, 12]",
                () -> ops.lstmCellBackward(acts, c, out, null, t(DType.F64, 0, 4, 12), c));
        for (Map.Entry<String, Runnable> e : cases.entrySet()) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e.getValue()::run, e.getKey());
            assertTrue(x.getMessage().contains(e.getKey()), "want '" + e.getKey() + "' in: " + x.getMessage());
        }
        assertEquals(0, driver.launches().size());
    }

    /** CudaKernels delegates both SPI methods here, with its own buffers' addresses and ownership check. */
    @Test
    void cudaKernelsDelegatesWithItsBuffersAddresses() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer g = k.allocate(DType.F32, 24), c = k.allocate(DType.F32, 6), o = k.allocate(DType.F32, 12), a = k.allocate(DType.F32, 30);
            k.lstmCell(Strided.contiguous(g, 3, 8), null, Strided.contiguous(c, 3, 2), Strided.contiguous(o, 2, 3, 2), Strided.contiguous(a, 3, 10));
            FakeDriver.Launch f = d.launches().getLast();
            assertEquals("lstm_cell_f32", f.kernel());
            assertEquals(((CudaBuffer) g).address(), f.ptr(0));
            assertEquals(((CudaBuffer) a).address(), f.ptr(8));

            Buffer gg = k.allocate(DType.F32, 24), gc = k.allocate(DType.F32, 6);
            k.lstmCellBackward(Strided.contiguous(a, 3, 10), Strided.contiguous(c, 3, 2), Strided.contiguous(o, 2, 3, 2), null,
                    Strided.contiguous(gg, 3, 8), Strided.contiguous(gc, 3, 2));
            FakeDriver.Launch b = d.launches().getLast();
            assertEquals("lstm_cell_backward_f32", b.kernel());
            assertEquals(((CudaBuffer) gg).address(), b.ptr(8));
            assertEquals(((CudaBuffer) gc).address(), b.ptr(10));

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.lstmCell(
                    Strided.contiguous(new FakeOpsDevice.Buf(DType.F32, 24, 0x10), 3, 8), null, Strided.contiguous(c, 3, 2), Strided.contiguous(o, 2, 3, 2),
                    Strided.contiguous(a, 3, 10)));
            assertTrue(e.getMessage().contains("lstmCell") && e.getMessage().contains("does not belong"), e.getMessage());
        }
    }
}
