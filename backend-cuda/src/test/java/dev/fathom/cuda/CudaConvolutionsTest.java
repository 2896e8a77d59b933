package dev.fathom.cuda;

import dev.fathom.spi.Buffer;
import dev.fathom.spi.Conv2dGeometry;
import dev.fathom.spi.Pool2dGeometry;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host side of the convolution and pooling kernels, through {@link CudaKernels} on a
 * {@link FakeDriver}: which kernel is
 * launched, with {@link ConvGeometry}'s or {@link PoolGeometry}'s grid, and the arguments in the
 * order of the kernels' parameter lists in {@code conv.cu} and {@code pool.cu}; the split-K
 * workspace; and the rejection of bad operands. (The kernels themselves are emulation-tested.)
 */
class CudaConvolutionsTest {

    private final FakeDriver driver = new FakeDriver().anyKernel();
    private final CudaKernels kernels = CudaKernels.open(driver, 0);

    @AfterEach
    void close() {
        kernels.close();
    }

    /** A contiguous operand at {@code offset} in a fresh buffer with 5 spare elements. */
    private Strided operand(DType dt, long offset, int... shape) {
        long numel = 1;
        for (int s : shape) {
            numel *= s;
        }
        Buffer b = kernels.allocate(dt, offset + numel + 5);
        return new Strided(b, shape, Strided.contiguousStrides(shape), offset);
    }

    private static long addr(Strided s) {
        return ((CudaBuffer) s.buffer()).address();
    }

    /** The convolution and pooling launches (not the other kernels, such as the zeroing of the device checks' slots). */
    private List<FakeDriver.Launch> launches() {
        return driver.launches().stream().filter(l -> l.kernel().startsWith("conv2d") || l.kernel().contains("pool2d")).toList();
    }

    private static List<Integer> convInts(Conv2dGeometry g) {
        return List.of(g.n(), g.cIn(), g.h(), g.w(), g.cOut(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(),
                g.dilH(), g.dilW(), g.groups(), g.outH(), g.outW());
    }

    private static List<Integer> poolInts(Pool2dGeometry g) {
        return List.of(g.n(), g.c(), g.h(), g.w(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(), g.dilH(),
                g.dilW(), g.outH(), g.outW());
    }

    /** The launch's arguments, decoded to Long (pointers, i64) and Integer (i32). */
    private static List<Object> args(FakeDriver.Launch l) {
        List<Object> out = new ArrayList<>();
        for (KernelParams.Arg a : l.args()) {
            out.add(switch (a) {
                case KernelParams.Ptr p -> p.address();
                case KernelParams.I64 v -> v.value();
                case KernelParams.I32 v -> v.value();
                default -> throw new AssertionError("unexpected argument " + a);
            });
        }
        return out;
    }

    private static List<Object> concat(List<?> a, List<?> b) {
        List<Object> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    @Test
    void forwardAndBackwardDataLaunchOneGemmPassWithTheGeometrysGrid() {
        Conv2dGeometry g = Conv2dGeometry.of(2, 4, 9, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2);
        Strided x = operand(DType.F32, 3, g.inputShape()), w = operand(DType.F32, 0, g.weightShape());
        Strided y = operand(DType.F32, 7, g.outputShape());
        kernels.conv2dForward(g, x, w, y);
        kernels.conv2dBackwardData(g, y, w, x);
        List<FakeDriver.Launch> ls = launches();
        assertEquals(2, ls.size());
        ConvGeometry cg = ConvGeometry.of(g);

        FakeDriver.Launch f = ls.get(0);
        assertEquals("conv2d_fwd_f32", f.kernel());
        assertArrayEquals(new int[] {cg.forward().x(), cg.forward().y(), cg.forward().z()}, f.grid());
        assertArrayEquals(new int[] {256, 1, 1}, f.block());
        assertEquals(0, f.sharedBytes());
        assertEquals(concat(List.of(addr(x), 3L, addr(w), 0L, addr(y), 7L), convInts(g)), args(f));

        FakeDriver.Launch d = ls.get(1);
        assertEquals("conv2d_bwd_data_f32", d.kernel());
        assertArrayEquals(new int[] {1, 1, 8}, d.grid());
        assertEquals(concat(List.of(addr(y), 7L, addr(w), 0L, addr(x), 3L), convInts(g)), args(d));
    }

    @Test
    void aLongWeightGradientReductionGoesThroughABorrowedSplitKWorkspaceAndItsReduction() {
        Conv2dGeometry g = Conv2dGeometry.of(64, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        ConvGeometry cg = ConvGeometry.of(g);
        assertEquals(57, cg.splits());
        Strided x = operand(DType.F64, 0, g.inputShape()), gy = operand(DType.F64, 0, g.outputShape());
        Strided gw = operand(DType.F64, 11, g.weightShape());
        long liveBefore = kernels.gpu().allocator().stats().liveBytes();
        kernels.conv2dBackwardWeight(g, x, gy, gw);

        List<FakeDriver.Launch> ls = launches();
        assertEquals(List.of("conv2d_bwd_weight_f64", "conv2d_bwd_weight_reduce_f64"), ls.stream().map(FakeDriver.Launch::kernel).toList());
        FakeDriver.Launch mm = ls.get(0), red = ls.get(1);
        assertArrayEquals(new int[] {9, 1, 57}, mm.grid());
        long workspace = mm.ptr(4);
        assertEquals(concat(List.of(addr(x), 0L, addr(gy), 0L, workspace, 0L, cg.chunk()), convInts(g)), args(mm));
        assertArrayEquals(new int[] {cg.reduce().grid(), 1, 1}, red.grid());
        assertEquals(List.of(workspace, 36864L, 57, addr(gw), 11L), args(red));
        CachingAllocator.Stats s = kernels.gpu().allocator().stats();
        assertEquals(liveBefore, s.liveBytes(), "the workspace goes back to the cache once both launches are enqueued");
        assertTrue(s.cachedBytes() >= 57L * 36864 * 8, s.toString());
    }

    @Test
    void aShortWeightGradientReductionWritesGradWDirectly() {
        Conv2dGeometry g = Conv2dGeometry.of(2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Strided x = operand(DType.F32, 0, g.inputShape()), gy = operand(DType.F32, 2, g.outputShape());
        Strided gw = operand(DType.F32, 4, g.weightShape());
        kernels.conv2dBackwardWeight(g, x, gy, gw);
        FakeDriver.Launch l = launches().getFirst();
        assertEquals(1, launches().size());
        assertEquals(concat(List.of(addr(x), 0L, addr(gy), 2L, addr(gw), 4L, 128L), convInts(g)), args(l));
        assertEquals(0, kernels.gpu().allocator().stats().cachedBytes(), "no workspace was borrowed");
    }

    @Test
    void anEmptyBatchLaunchesOnlyTheWeightGradientWhichZerosGradW() {
        Conv2dGeometry g = Conv2dGeometry.of(0, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Strided x = operand(DType.F32, 0, g.inputShape()), w = operand(DType.F32, 0, g.weightShape());
        Strided y = operand(DType.F32, 0, g.outputShape());
        kernels.conv2dForward(g, x, w, y);
        kernels.conv2dBackwardData(g, y, w, x);
        kernels.conv2dBackwardWeight(g, x, y, w);
        assertEquals(List.of("conv2d_bwd_weight_f32"), launches().stream().map(FakeDriver.Launch::kernel).toList());
    }

    @Test
    void poolingLaunchesOverOutputsForwardAndInputsBackward() {
        Pool2dGeometry g = Pool2dGeometry.of(2, 3, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1);
        PoolGeometry pg = PoolGeometry.of(g);
        Strided x = operand(DType.F64, 1, g.inputShape()), y = operand(DType.F64, 2, g.outputShape());
        Strided idx = operand(DType.I64, 3, g.outputShape());
        kernels.maxPool2dForward(g, x, y, idx);
        kernels.maxPool2dBackward(g, y, idx, x);
        kernels.avgPool2dForward(g, true, x, y);
        kernels.avgPool2dBackward(g, false, y, x);
        List<FakeDriver.Launch> ls = launches();
        assertEquals(List.of("max_pool2d_fwd_f64", "max_pool2d_bwd_f64", "avg_pool2d_fwd_f64", "avg_pool2d_bwd_f64"),
                ls.stream().map(FakeDriver.Launch::kernel).toList());
        assertArrayEquals(new int[] {pg.forward().grid(), 1, 1}, ls.get(0).grid());
        assertArrayEquals(new int[] {pg.backward().grid(), 1, 1}, ls.get(1).grid());
        assertArrayEquals(new int[] {256, 1, 1}, ls.get(3).block());
        assertEquals(concat(List.of(addr(x), 1L, addr(y), 2L, addr(idx), 3L), poolInts(g)), args(ls.get(0)));
        assertEquals(concat(List.of(addr(y), 2L, addr(idx), 3L, addr(x), 1L), poolInts(g)), args(ls.get(1)));
        assertEquals(concat(List.of(addr(x), 1L, addr(y), 2L, 1), poolInts(g)), args(ls.get(2)));
        assertEquals(concat(List.of(addr(y), 2L, addr(x), 1L, 0), poolInts(g)), args(ls.get(3)));

        Pool2dGeometry empty = Pool2dGeometry.of(0, 3, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1);
        kernels.avgPool2dForward(empty, true, operand(DType.F32, 0, empty.inputShape()), operand(DType.F32, 0, empty.outputShape()));
        assertEquals(4, launches().size(), "an empty pooling launches nothing");
    }

    /**
     * Every launch above passes exactly the parameters its PTX entry declares, in width: 8 bytes for
     * a pointer or {@code long long} ({@code .u64}), 4 for an {@code int} ({@code .u32}).
     */
    @Test
    void everyLaunchMatchesItsPtxEntrysParameterList() throws Exception {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            // A weight gradient in one pass (K = 2·7·9 = 126), and one split 8 ways (K = 8·32·32 = 8192).
            Conv2dGeometry g = Conv2dGeometry.of(2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1);
            Strided x = operand(dt, 1, g.inputShape()), w = operand(dt, 2, g.weightShape());
            Strided y = operand(dt, 3, g.outputShape());
            kernels.conv2dForward(g, x, w, y);
            kernels.conv2dBackwardData(g, y, w, x);
            kernels.conv2dBackwardWeight(g, x, y, w);
            Conv2dGeometry big = Conv2dGeometry.of(8, 16, 32, 32, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1);
            kernels.conv2dBackwardWeight(big, operand(dt, 0, big.inputShape()), operand(dt, 0, big.outputShape()),
                    operand(dt, 0, big.weightShape()));
            Pool2dGeometry p = Pool2dGeometry.of(2, 3, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1);
            Strided px = operand(dt, 1, p.inputShape()), py = operand(dt, 2, p.outputShape());
            Strided idx = operand(DType.I64, 3, p.outputShape());
            kernels.maxPool2dForward(p, px, py, idx);
            kernels.maxPool2dBackward(p, py, idx, px);
            kernels.avgPool2dForward(p, false, px, py);
            kernels.avgPool2dBackward(p, true, py, px);
        }
        List<FakeDriver.Launch> ls = launches();
        assertEquals(2 * 9, ls.size(), "3 + 2 (split-K) conv launches and 4 pool launches per dtype");
        for (FakeDriver.Launch l : ls) {
            String module = l.kernel().startsWith("conv2d") ? "conv" : "pool";
            List<Integer> declared = ptxParamWidths(new String(KernelImages.shipped().image(module), StandardCharsets.US_ASCII), l.kernel());
            List<Integer> passed = l.args().stream().map(a -> a instanceof KernelParams.I32 ? 4 : 8).toList();
            assertEquals(declared, passed, l.kernel());
        }
    }

    private static List<Integer> ptxParamWidths(String ptx, String entry) {
        Matcher m = Pattern.compile("\\.visible \\.entry " + entry + "\\(([^)]*)\\)").matcher(ptx);
        assertTrue(m.find(), entry + " is not in the PTX");
        List<Integer> widths = new ArrayList<>();
        Matcher p = Pattern.compile("\\.param \\.(u64|u32|b64|b32|s32|s64)").matcher(m.group(1));
        while (p.find()) {
            widths.add(p.group(1).endsWith("64") ? 8 : 4);
        }
        return widths;
    }

    @Test
    void badOperandsAreRejectedNamingOpOperandAndFix() {
        Conv2dGeometry g = Conv2dGeometry.of(2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Strided x = operand(DType.F32, 0, g.inputShape()), w = operand(DType.F32, 0, g.weightShape());
        Strided y = operand(DType.F32, 0, g.outputShape());

        var e = assertThrows(IllegalArgumentException.class,
                () -> kernels.conv2dForward(g, x, operand(DType.F64, 0, g.weightShape()), y));
        assertTrue(e.getMessage().contains("conv2dForward") && e.getMessage().contains("w ") && e.getMessage().contains("F32")
                && e.getMessage().contains("to(F32)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> kernels.conv2dForward(g, operand(DType.I64, 0, g.inputShape()), w, y));
        assertTrue(e.getMessage().contains("I64") && e.getMessage().contains("F32 or F64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> kernels.conv2dBackwardData(g, y, w, operand(DType.F32, 0, 2, 3, 7, 8)));
        assertTrue(e.getMessage().contains("gradIn") && e.getMessage().contains("[2, 3, 7, 9]"), e.getMessage());
        Strided permuted = new Strided(x.buffer(), x.shape(), new long[] {189, 1, 27, 3}, 0);
        e = assertThrows(IllegalArgumentException.class, () -> kernels.conv2dBackwardWeight(g, permuted, y, w));
        assertTrue(e.getMessage().contains("contiguous()"), e.getMessage());
        Strided pastEnd = new Strided(y.buffer(), y.shape(), y.strides(), 6);
        e = assertThrows(IllegalArgumentException.class, () -> kernels.conv2dForward(g, x, w, pastEnd));
        assertTrue(e.getMessage().contains("past its buffer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> kernels.conv2dForward(Conv2dGeometry.of(2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 2), x, w, y));
        assertTrue(e.getMessage().startsWith("cuda: conv2dForward: ConvGeometry.of"), e.getMessage());

        Pool2dGeometry p = Pool2dGeometry.of(1, 2, 8, 8, 3, 3, 1, 1, 1, 1, 2, 2);
        Strided px = operand(DType.F32, 0, p.inputShape()), py = operand(DType.F32, 0, p.outputShape());
        e = assertThrows(IllegalArgumentException.class,
                () -> kernels.maxPool2dForward(p, px, py, operand(DType.F32, 0, p.outputShape())));
        assertTrue(e.getMessage().contains("indices") && e.getMessage().contains("I64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> kernels.avgPool2dForward(p, true, px, py));
        assertTrue(e.getMessage().contains("avgPool2dForward") && e.getMessage().contains("dilation"), e.getMessage());
        try (CudaKernels other = CudaKernels.open(new FakeDriver().anyKernel(), 0)) {
            Strided foreign = new Strided(other.allocate(DType.F32, 128), px.shape(), px.strides(), 0);
            e = assertThrows(IllegalArgumentException.class, () -> kernels.maxPool2dBackward(p, py, operand(DType.I64, 0,
                    p.outputShape()), foreign));
            assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
        }
        assertEquals(0, launches().size(), "nothing is launched for a rejected call");
    }
}
