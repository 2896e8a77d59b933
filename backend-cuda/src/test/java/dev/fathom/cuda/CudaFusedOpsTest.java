package dev.fathom.cuda;

import dev.fathom.spi.AdamUpdate;
import dev.fathom.spi.Buffer;
import dev.fathom.spi.SgdUpdate;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CudaFusedOps} against the fake driver: which kernel each op launches, with which geometry
 * and arguments (the kernels' own math is {@code FusedKernelEmulationTest}'s), and the input
 * rules it enforces before any launch.
 */
class CudaFusedOpsTest {
    private final FakeOpsDevice fake = new FakeOpsDevice(List.of("softmax_block_", "softmax_col_", "softmax_backward_block_",
            "softmax_backward_col_", "layer_norm_", "layer_norm_backward_", "layer_norm_param_grads_", "batch_norm_",
            "batch_norm_backward_", "batch_norm_partials_", "batch_norm_apply_", "batch_norm_backward_partials_",
            "batch_norm_backward_apply_", "sgd_update_", "adam_update_"));
    private final FakeDriver driver = fake.driver;
    private final List<String> modulesAsked = fake.modulesAsked;
    private final CudaFusedOps ops = new CudaFusedOps(fake.device, FakeOpsDevice.ADDRESSES);

    @AfterEach
    void close() {
        fake.close();
    }

    private Strided t(DType dt, int... shape) {
        return fake.operand(dt, 0, shape);
    }

    private Strided tAt(DType dt, long offset, int... shape) {
        return fake.operand(dt, offset, shape);
    }

    @Test
    void softmaxOverTheLastAxisLaunchesABlockPerRowWithOffsets() {
        Strided x = tAt(DType.F32, 3, 4, 1000), out = tAt(DType.F32, 5, 4, 1000);
        ops.softmax(x, 1, true, out);
        FakeDriver.Launch l = fake.only();
        assertEquals("softmax_block_f32", l.kernel());
        FakeOpsDevice.assertGeometry(new LaunchGeometry(4, 256), l);
        assertEquals(List.of(FakeOpsDevice.address(x), 3L, FakeOpsDevice.address(out), 5L, 4L, 1000L, 1L, 1), FakeOpsDevice.values(l));
        assertEquals(List.of("softmax"), modulesAsked);
    }

    @Test
    void softmaxBackwardOverAMiddleAxisLaunchesAThreadPerRow() {
        Strided y = t(DType.F64, 3, 7, 5), gy = t(DType.F64, 3, 7, 5), gx = t(DType.F64, 3, 7, 5);
        ops.softmaxBackward(y, gy, 1, false, gx);
        FakeDriver.Launch l = fake.only();
        assertEquals("softmax_backward_col_f64", l.kernel());
        FakeOpsDevice.assertGeometry(LaunchGeometry.forElements(15), l);
        assertEquals(List.of(FakeOpsDevice.address(y), 0L, FakeOpsDevice.address(gy), 0L, FakeOpsDevice.address(gx), 0L, 3L, 7L, 5L, 0), FakeOpsDevice.values(l));
    }

    @Test
    void emptySoftmaxLaunchesNothingAndAScalarIsOneRow() {
        ops.softmax(t(DType.F32, 0, 5), 1, false, t(DType.F32, 0, 5));
        assertEquals(0, driver.launches().size());
        // An empty view with strides that are not row-major (the tensor layer's [2, 0, 1] slices) is accepted.
        Strided empty = t(DType.F32, 2, 0, 1);
        ops.softmax(new Strided(empty.buffer(), new int[] {2, 0, 1}, new long[] {1, 5, 7}, 0), 2, false, empty);
        assertEquals(0, driver.launches().size());
        ops.softmax(t(DType.F32), 0, false, t(DType.F32));
        assertEquals(List.of(1L, 1L, 1L), FakeOpsDevice.values(fake.only()).subList(4, 7));
    }

    @Test
    void layerNormPassesNullForAbsentParametersAndRowsTimesN() {
        Strided x = t(DType.F32, 6, 5, 45), out = t(DType.F32, 6, 5, 45), w = t(DType.F32, 45);
        Strided mean = t(DType.F32, 30), rstd = t(DType.F32, 6, 5);
        ops.layerNorm(x, 45, w, null, 1e-5, out, mean, rstd);
        FakeDriver.Launch l = fake.only();
        assertEquals("layer_norm_f32", l.kernel());
        FakeOpsDevice.assertGeometry(new LaunchGeometry(30, 64), l);
        assertEquals(List.of(FakeOpsDevice.address(x), 0L, FakeOpsDevice.address(w), 0L, 0L, 0L, FakeOpsDevice.address(out), 0L, FakeOpsDevice.address(mean), 0L, FakeOpsDevice.address(rstd), 0L, 30L, 45L, 1e-5),
                FakeOpsDevice.values(l));
    }

    @Test
    void layerNormBackwardSumsParameterGradientsInASecondKernelOnlyWhenAsked() {
        Strided gy = t(DType.F64, 70, 45), x = t(DType.F64, 70, 45), gx = t(DType.F64, 70, 45);
        Strided mean = t(DType.F64, 70), rstd = t(DType.F64, 70), gb = t(DType.F64, 45);
        ops.layerNormBackward(gy, x, mean, rstd, null, gx, null, null);
        assertEquals("layer_norm_backward_f64", fake.only().kernel());
        assertEquals(List.of(FakeOpsDevice.address(gy), 0L, FakeOpsDevice.address(x), 0L, FakeOpsDevice.address(mean), 0L, FakeOpsDevice.address(rstd), 0L, 0L, 0L, FakeOpsDevice.address(gx), 0L, 70L, 45L),
                FakeOpsDevice.values(fake.only()));
        ops.layerNormBackward(gy, x, mean, rstd, null, gx, null, gb);
        List<FakeDriver.Launch> ls = driver.launches();
        assertEquals(3, ls.size());
        // Parameter gradients before gradX, which may alias gradOut.
        assertEquals("layer_norm_backward_f64", ls.get(2).kernel());
        FakeDriver.Launch p = ls.get(1);
        assertEquals("layer_norm_param_grads_f64", p.kernel());
        FakeOpsDevice.assertGeometry(new LaunchGeometry(2, 256), p);
        assertEquals(List.of(0L, 0L, FakeOpsDevice.address(gb), 0L, 70L, 45L), FakeOpsDevice.values(p).subList(8, 14));
    }

    @Test
    void layerNormBackwardWithNoRowsStillZeroesTheParameterGradients() {
        Strided none = t(DType.F32, 0, 8);
        Strided gw = t(DType.F32, 8);
        ops.layerNormBackward(none, none, t(DType.F32, 0), t(DType.F32, 0), null, none, gw, null);
        FakeDriver.Launch l = fake.only();
        assertEquals("layer_norm_param_grads_f32", l.kernel());
        assertEquals(List.of(0L, 8L), FakeOpsDevice.values(l).subList(12, 14));
    }

    @Test
    void batchNormSeesNcs() {
        Strided x = t(DType.F32, 4, 3, 5, 7), out = t(DType.F32, 4, 3, 5, 7);
        Strided mean = t(DType.F32, 3), inv = t(DType.F32, 3), w = t(DType.F32, 3), b = t(DType.F32, 3);
        ops.batchNorm(x, w, b, 0.1, out, mean, inv);
        FakeDriver.Launch l = fake.only();
        assertEquals("batch_norm_f32", l.kernel());
        FakeOpsDevice.assertGeometry(new LaunchGeometry(3, 160), l);  // M = N·S = 140 rounds up to 5 warps
        assertEquals(List.of(4L, 3L, 35L, 0.1), FakeOpsDevice.values(l).subList(12, 16));

        Strided gx = t(DType.F32, 4, 3, 5, 7), gw = t(DType.F32, 3);
        ops.batchNormBackward(out, x, mean, inv, null, gx, gw, null);
        FakeDriver.Launch bl = driver.launches().get(1);
        assertEquals("batch_norm_backward_f32", bl.kernel());
        assertEquals(List.of(0L, 0L, FakeOpsDevice.address(gx), 0L, FakeOpsDevice.address(gw), 0L, 0L, 0L, 4L, 3L, 35L), FakeOpsDevice.values(bl).subList(8, 19));
    }

    @Test
    void batchNormOfFewLargeChannelsRunsTheSplitKernelsWithAWorkspaceItGivesBack() {
        Strided x = t(DType.F64, 4, 2, 64, 64), out = t(DType.F64, 4, 2, 64, 64);
        Strided mean = t(DType.F64, 2), inv = t(DType.F64, 2);
        long liveBefore = fake.device.allocator().stats().liveBlocks();
        ops.batchNorm(x, null, null, 1e-5, out, mean, inv);
        List<FakeDriver.Launch> ls = driver.launches();
        assertEquals(List.of("batch_norm_partials_f64", "batch_norm_apply_f64"), ls.stream().map(FakeDriver.Launch::kernel).toList());
        FusedLaunchPlan.BatchNorm plan = FusedLaunchPlan.batchNorm(2, 4 * 64 * 64, LaunchGeometry.MAX_GRID);
        assertEquals(4, plan.parts());
        FakeOpsDevice.assertGeometry(plan.geometry(), ls.get(0));
        long ws = (long) FakeOpsDevice.values(ls.get(0)).get(2);
        assertEquals(List.of(FakeOpsDevice.address(x), 0L, ws, 4L, 2L, 4096L, 4L), FakeOpsDevice.values(ls.get(0)));
        assertEquals(List.of(ws, 4L, 2L, 4096L, 4L, 1e-5), FakeOpsDevice.values(ls.get(1)).subList(12, 18));
        assertEquals(liveBefore, fake.device.allocator().stats().liveBlocks(), "the workspace goes back to the cache");

        Strided gx = t(DType.F64, 4, 2, 64, 64), gb = t(DType.F64, 2);
        ops.batchNormBackward(out, x, mean, inv, null, gx, null, gb);
        ls = driver.launches();
        assertEquals("batch_norm_backward_partials_f64", ls.get(2).kernel());
        assertEquals("batch_norm_backward_apply_f64", ls.get(3).kernel());
        long ws2 = (long) FakeOpsDevice.values(ls.get(2)).get(8);
        assertEquals(List.of(ws2, 4L, 2L, 4096L, 4L), FakeOpsDevice.values(ls.get(2)).subList(8, 13));
        assertEquals(List.of(0L, 0L, FakeOpsDevice.address(gx), 0L, 0L, 0L, FakeOpsDevice.address(gb), 0L, ws2, 4L, 2L, 4096L, 4L), FakeOpsDevice.values(ls.get(3)).subList(8, 21));
        assertEquals(liveBefore, fake.device.allocator().stats().liveBlocks());
    }

    @Test
    void sgdPassesHyperparametersAndNoBufferWithoutMomentum() {
        Strided p = tAt(DType.F32, 2, 1000), g = t(DType.F32, 1000), buf = t(DType.F32, 1000);
        ops.sgdUpdate(p, g, buf, new SgdUpdate(0.1, 0, 0, 0.01, false, true));
        FakeDriver.Launch l = fake.only();
        assertEquals("sgd_update_f32", l.kernel());
        FakeOpsDevice.assertGeometry(LaunchGeometry.forElements(1000), l);
        assertEquals(List.of(FakeOpsDevice.address(p), 2L, FakeOpsDevice.address(g), 0L, 0L, 0L, 1000L, 0.1, 0.0, 0.0, 0.01, 0, 1), FakeOpsDevice.values(l));
        ops.sgdUpdate(p, g, buf, new SgdUpdate(0.1, 0.9, 0.2, 0, true, false));
        assertEquals(List.of(FakeOpsDevice.address(buf), 0L, 1000L, 0.1, 0.9, 0.2, 0.0, 1, 0), FakeOpsDevice.values(driver.launches().get(1)).subList(4, 13));
    }

    @Test
    void adamGetsTheBiasCorrectionsOfItsStep() {
        Strided p = t(DType.F64, 31), g = t(DType.F64, 31), m = t(DType.F64, 31), v = t(DType.F64, 31), vm = t(DType.F64, 31);
        ops.adamUpdate(p, g, m, v, vm, new AdamUpdate(0.01, 0.9, 0.999, 1e-8, 0.05, true, false, 3));
        FakeDriver.Launch l = fake.only();
        assertEquals("adam_update_f64", l.kernel());
        List<Object> a = FakeOpsDevice.values(l);
        assertEquals(List.of(0L, 0L, 31L, 0.01, 0.9, 0.999, 1e-8, 0.05), a.subList(8, 16));
        assertEquals(1 - 0.9 * 0.9 * 0.9, (double) a.get(16), 1e-16);
        assertEquals(1 - 0.999 * 0.999 * 0.999, (double) a.get(17), 1e-16);
        assertEquals(List.of(1, 0), a.subList(18, 20));
        ops.adamUpdate(p, g, m, v, vm, new AdamUpdate(0.01, 0.9, 0.999, 1e-8, 0, false, true, 1));
        List<Object> b = FakeOpsDevice.values(driver.launches().get(1));
        assertEquals(FakeOpsDevice.address(vm), b.get(8));
        assertEquals(List.of(0, 1), b.subList(18, 20));
    }

    @Test
    void badInputIsRejectedBeforeAnyLaunchWithTheOpAndShapes() {
        Map<String, Runnable> cases = new HashMap<>();
        Strided x = t(DType.F32, 4, 6);
        Strided transposed = new Strided(x.buffer(), new int[] {6, 4}, new long[] {1, 6}, 0);
        cases.put("cuda softmax: out must have x's shape [4, 6], got [6, 4]", () -> ops.softmax(x, 1, false, t(DType.F32, 6, 4)));
        cases.put("cuda logSoftmax: axis 2 is out of range", () -> ops.softmax(x, 2, true, t(DType.F32, 4, 6)));
        cases.put("is not contiguous", () -> ops.softmax(transposed, 0, false, t(DType.F32, 6, 4)));
        cases.put("one dtype, got x F32 and out F64[4, 6]", () -> ops.softmax(x, 0, false, t(DType.F64, 4, 6)));
        cases.put("needs F32 or F64 operands, got x I64[4, 6]", () -> ops.softmax(t(DType.I64, 4, 6), 0, false, t(DType.I64, 4, 6)));
        cases.put("normalized size 5 must be >= 1 and divide", () -> ops.layerNorm(x, 5, null, null, 1e-5, t(DType.F32, 4, 6),
                t(DType.F32, 4), t(DType.F32, 4)));
        cases.put("weight must have 6 elements", () -> ops.layerNorm(x, 6, t(DType.F32, 4), null, 1e-5, t(DType.F32, 4, 6),
                t(DType.F32, 4), t(DType.F32, 4)));
        cases.put("eps NaN must be finite", () -> ops.layerNorm(x, 6, null, null, Double.NaN, t(DType.F32, 4, 6),
                t(DType.F32, 4), t(DType.F32, 4)));
        cases.put("cuda batchNorm: x must be (N, C, ...)", () -> ops.batchNorm(t(DType.F32, 5), null, null, 1e-5,
                t(DType.F32, 5), t(DType.F32, 1), t(DType.F32, 1)));
        cases.put("mean must have 6 elements (one per channel", () -> ops.batchNorm(x, null, null, 1e-5, t(DType.F32, 4, 6),
                t(DType.F32, 4), t(DType.F32, 6)));
        cases.put("momentum 0.9 needs a momentum buffer", () -> ops.sgdUpdate(x, t(DType.F32, 4, 6), null,
                new SgdUpdate(0.1, 0.9, 0, 0, false, true)));
        cases.put("amsgrad needs maxExpAvgSq", () -> ops.adamUpdate(x, x, x, x, null,
                new AdamUpdate(0.1, 0.9, 0.99, 1e-8, 0, false, true, 1)));
        cases.put("step 0 must be >= 1", () -> ops.adamUpdate(x, x, x, x, null,
                new AdamUpdate(0.1, 0.9, 0.99, 1e-8, 0, false, false, 0)));
        cases.put("grad must have 24 elements", () -> ops.sgdUpdate(x, t(DType.F32, 5), null,
                new SgdUpdate(0.1, 0, 0, 0, false, true)));
        for (Map.Entry<String, Runnable> c : cases.entrySet()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c.getValue()::run, c.getKey());
            assertTrue(e.getMessage().contains(c.getKey()), "want '" + c.getKey() + "' in: " + e.getMessage());
        }
        assertEquals(0, driver.launches().size());
    }

    /** CudaKernels delegates every fused SPI method here, with its own buffers' addresses and ownership check. */
    @Test
    void cudaKernelsDelegatesWithItsBuffersAddresses() {
        FakeDriver d = new FakeDriver().anyKernel();
        try (CudaKernels k = CudaKernels.open(d, 0)) {
            Buffer x = k.allocate(DType.F32, 12), out = k.allocate(DType.F32, 12);
            k.softmax(Strided.contiguous(x, 3, 4), 1, false, Strided.contiguous(out, 3, 4));
            Buffer p = k.allocate(DType.F64, 5), g = k.allocate(DType.F64, 5), m = k.allocate(DType.F64, 5), v = k.allocate(DType.F64, 5);
            k.adamUpdate(Strided.contiguous(p, 5), Strided.contiguous(g, 5), Strided.contiguous(m, 5), Strided.contiguous(v, 5), null,
                    new AdamUpdate(0.1, 0.9, 0.99, 1e-8, 0, false, false, 1));
            List<FakeDriver.Launch> ls = d.launches();
            FakeDriver.Launch sm = ls.get(ls.size() - 2), adam = ls.getLast();
            assertEquals("softmax_block_f32", sm.kernel());
            assertEquals(((CudaBuffer) x).address(), sm.ptr(0));
            assertEquals(((CudaBuffer) out).address(), sm.ptr(2));
            assertEquals("adam_update_f64", adam.kernel());
            assertEquals(((CudaBuffer) p).address(), adam.ptr(0));

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.layerNorm(
                    Strided.contiguous(new FakeOpsDevice.Buf(DType.F32, 4, 0x10), 4), 4, null, null, 1e-5, Strided.contiguous(out, 4),
                    Strided.contiguous(out, 1), Strided.contiguous(out, 1)));
            assertTrue(e.getMessage().contains("layerNorm") && e.getMessage().contains("does not belong"), e.getMessage());
        }
    }
}
