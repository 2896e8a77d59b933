package dev.fathom.conformance;

import dev.fathom.autograd.Gradcheck;
import dev.fathom.conformance.ConvRef.Conv;
import dev.fathom.nn.Conv2d;
import dev.fathom.nn.Convolutions;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Convolutions#conv2d} forward and all three gradients against the naive loops of
 * {@link ConvRef}, on odd geometries (strides, paddings, dilations, groups, depthwise, 1×1,
 * non-square kernels, batch 1 and 3); gradcheck in F64 to second order; the {@link Conv2d} module;
 * bad input.
 */
class ConvolutionTest extends ConformanceTest {
    private final Inputs in = new Inputs(4242);

    /** (n, cIn, h, w, cOut, kh, kw, sH, sW, pH, pW, dH, dW, groups). */
    static final List<Conv> CASES = List.of(
            new Conv(1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1),
            new Conv(3, 3, 7, 9, 4, 3, 2, 2, 1, 1, 2, 1, 1, 1),
            new Conv(2, 4, 8, 7, 6, 3, 3, 1, 2, 2, 1, 2, 2, 2),
            new Conv(3, 6, 6, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6),
            new Conv(1, 3, 5, 7, 6, 3, 1, 2, 2, 1, 0, 1, 1, 3),
            new Conv(2, 5, 5, 6, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1),
            new Conv(1, 2, 11, 13, 5, 5, 4, 3, 2, 2, 1, 1, 2, 1),
            new Conv(3, 4, 6, 6, 8, 2, 2, 2, 2, 0, 0, 1, 1, 2),
            new Conv(2, 3, 4, 4, 2, 1, 1, 2, 2, 1, 1, 1, 1, 1),
            // Stride 1 with more input than output channels per group: the CPU runs backward-data
            // as the forward of the turned kernel (the cases above with stride 1 take col2im).
            new Conv(2, 6, 6, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1),
            new Conv(1, 4, 7, 6, 2, 3, 2, 1, 1, 2, 1, 2, 1, 1),
            new Conv(1, 8, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2),
            new Conv(2, 2, 6, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1));

    static Tensor conv(Conv g, Tensor x, Tensor w, Tensor b) {
        return Convolutions.conv2d(x, w, b, new int[] {g.sH(), g.sW()}, new int[] {g.pH(), g.pW()}, new int[] {g.dH(), g.dW()}, g.groups());
    }

    /** Sums of up to ~100 products of values in [-1, 1]: F32 rounding stays far below 1e-4. */
    private static double tol(DType dtype) {
        return dtype == DType.F64 ? 1e-12 : 1e-4;
    }

    @BackendTest
    void forwardAndGradientsMatchTheNaiveLoops(TestBackends.Case backend) {
        use(backend);
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            for (Conv g : CASES) {
                Ref xr = in.values(g.xShape(), dtype, -1, 1), wr = in.values(g.wShape(), dtype, -1, 1);
                Ref br = in.values(new int[] {g.cOut()}, dtype, -1, 1), gyr = in.values(g.yShape(), dtype, -1, 1);
                Tensor x = Inputs.upload(xr, dtype).requiresGrad(true), w = Inputs.upload(wr, dtype).requiresGrad(true);
                Tensor b = Inputs.upload(br, dtype).requiresGrad(true);
                Tensor y = conv(g, x, w, b);
                String what = "conv2d " + g;
                Check.close(what, y, ConvRef.conv2d(g, xr, wr, br), dtype, tol(dtype), tol(dtype));
                y.backward(Inputs.upload(gyr, dtype));
                Ref[] grads = ConvRef.conv2dBackward(g, xr, wr, gyr);
                Check.close(what + " dx", x.grad(), grads[0], dtype, tol(dtype), tol(dtype));
                Check.close(what + " dw", w.grad(), grads[1], dtype, tol(dtype), tol(dtype));
                Check.close(what + " db", b.grad(), grads[2], dtype, tol(dtype), tol(dtype));
            }
        }
    }

    @BackendTest
    void nonContiguousOperandsAndNoBias(TestBackends.Case backend) {
        use(backend);
        Conv g = new Conv(2, 4, 6, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2);
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            Ref xr = in.values(g.xShape(), dtype, -1, 1), wr = in.values(g.wShape(), dtype, -1, 1);
            Tensor x = in.tensor(xr, dtype, Inputs.Layout.PERMUTED), w = in.tensor(wr, dtype, Inputs.Layout.NARROWED);
            Check.close("conv2d non-contiguous " + g, conv(g, x, w, null), ConvRef.conv2d(g, xr, wr, null), dtype, tol(dtype), tol(dtype));
            // A contiguous view at an offset: the batch narrowed out of a bigger tensor.
            Ref bigR = in.values(new int[] {4, 4, 6, 5}, dtype, -1, 1);
            Tensor narrowed = Inputs.upload(bigR, dtype).narrow(0, 1, 2);
            Ref xr2 = new Ref(g.xShape(), java.util.Arrays.copyOfRange(bigR.data, 4 * 6 * 5, 3 * 4 * 6 * 5));
            Check.close("conv2d offset view " + g, conv(g, narrowed, w, null), ConvRef.conv2d(g, xr2, wr, null), dtype, tol(dtype), tol(dtype));
            Check.exact("maxPool2d offset view", Convolutions.maxPool2d(narrowed, 2),
                    ConvRef.maxPool2d(new ConvRef.Pool(2, 4, 6, 5, 2, 2, 2, 2, 0, 0, 1, 1), xr2)[0], dtype);
        }
    }

    @BackendTest
    void unbatchedInputGivesUnbatchedOutput(TestBackends.Case backend) {
        use(backend);
        Conv g = new Conv(1, 2, 5, 4, 3, 3, 2, 1, 2, 1, 1, 1, 1, 1);
        Ref xr = in.values(g.xShape(), DType.F64, -1, 1), wr = in.values(g.wShape(), DType.F64, -1, 1);
        Tensor x3 = Inputs.upload(xr, DType.F64).reshape(2, 5, 4);
        Ref y = ConvRef.conv2d(g, xr, wr, null);
        Check.close("conv2d unbatched", conv(g, x3, Inputs.upload(wr, DType.F64), null), new Ref(new int[] {3, 5, 3}, y.data), DType.F64);
        Ref pooled = ConvRef.maxPool2d(new ConvRef.Pool(1, 2, 5, 4, 2, 2, 2, 2, 0, 0, 1, 1), xr)[0];
        Check.close("maxPool2d unbatched", Convolutions.maxPool2d(x3, 2), new Ref(new int[] {2, 2, 2}, pooled.data), DType.F64);
        Ref avg = ConvRef.avgPool2d(new ConvRef.Pool(1, 2, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1), xr, true);
        Check.close("avgPool2d unbatched", Convolutions.avgPool2d(x3, 3, 1, 1), new Ref(new int[] {2, 5, 4}, avg.data), DType.F64);
        Check.close("adaptiveAvgPool2d unbatched", Convolutions.adaptiveAvgPool2d(x3, 2, 3),
                new Ref(new int[] {2, 2, 3}, ConvRef.adaptiveAvgPool2d(xr, 2, 3).data), DType.F64);
    }

    @BackendTest
    void batchOfZeroGivesEmptyOutputAndZeroWeightGradient(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.zeros(DType.F64, 0, 2, 5, 5);
        Tensor w = Tensor.ones(DType.F64, 3, 2, 3, 3).requiresGrad(true);
        Tensor y = Convolutions.conv2d(x, w, null, 1, 1, 1, 1);
        assertEquals(List.of(0, 3, 5, 5), List.of(y.size(0), y.size(1), y.size(2), y.size(3)));
        y.sum().backward();
        Check.close("conv2d N=0 dw", w.grad(), Ref.full(new int[] {3, 2, 3, 3}, 0), DType.F64);
    }

    @BackendTest
    void gradcheckWithRespectToInputWeightAndBias(TestBackends.Case backend) {
        use(backend);
        List<Conv> small = List.of(
                new Conv(2, 2, 4, 5, 2, 2, 3, 1, 2, 1, 1, 1, 1, 1),
                new Conv(1, 4, 5, 5, 2, 3, 2, 2, 1, 1, 1, 2, 1, 2),
                new Conv(2, 2, 3, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2));
        for (Conv g : small) {
            Tensor x = leaf(g.xShape()), w = leaf(g.wShape()), b = leaf(g.cOut());
            assertTrue(Gradcheck.check(a -> conv(g, a[0], a[1], a[2]), x, w, b).passed(), "gradcheck " + g);
        }
    }

    @BackendTest
    void secondOrderGradcheckWithRespectToInputAndWeight(TestBackends.Case backend) {
        use(backend);
        Conv g = new Conv(1, 2, 4, 4, 2, 2, 2, 1, 1, 1, 0, 1, 1, 1);
        Tensor x = leaf(g.xShape()), w = leaf(g.wShape());
        assertTrue(Gradcheck.checkSecondOrder(a -> conv(g, a[0], a[1], null), x, w).passed());
        Conv grouped = new Conv(1, 2, 4, 3, 2, 2, 2, 2, 1, 0, 1, 1, 1, 2);
        Tensor x2 = leaf(grouped.xShape()), w2 = leaf(grouped.wShape());
        assertTrue(Gradcheck.checkSecondOrder(a -> conv(grouped, a[0], a[1], null).pow(2), x2, w2).passed());
    }

    private Tensor leaf(int... shape) {
        return Inputs.upload(in.values(shape, DType.F64, -1, 1), DType.F64).requiresGrad(true);
    }

    @BackendTest
    void conv2dModuleInitShapesAndPrinting(TestBackends.Case backend) {
        use(backend);
        try (Conv2d c = new Conv2d(4, 6, new int[] {3, 2}, new int[] {2}, new int[] {1}, new int[] {1}, 2, true)) {
            assertEquals(List.of(6, 2, 3, 2), List.of(c.weight().shape()[0], c.weight().shape()[1], c.weight().shape()[2], c.weight().shape()[3]));
            double bound = 1 / Math.sqrt(2 * 3 * 2);
            double maxAbs = 0;
            for (float v : c.weight().data().toFloatArray()) {
                assertTrue(Math.abs(v) <= bound, "weight " + v + " outside ±" + bound);
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            assertTrue(maxAbs > 0.7 * bound, "72 draws from U(±b) should reach near b, max " + maxAbs);
            for (float v : c.bias().data().toFloatArray()) {
                assertTrue(Math.abs(v) <= bound);
            }
            assertEquals("Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), groups=2)", c.toString());
            Tensor x = Tensor.randn(2, 4, 5, 5);
            Tensor y = c.forward(x);
            Conv g = new Conv(2, 4, 5, 5, 6, 3, 2, 2, 2, 1, 1, 1, 1, 2);
            Ref ref = ConvRef.conv2d(g, new Ref(g.xShape(), x.toDoubleArray()), new Ref(g.wShape(), c.weight().data().toDoubleArray()),
                    new Ref(new int[] {6}, c.bias().data().toDoubleArray()));
            Check.close("Conv2d module", y, ref, DType.F32, 1e-5, 1e-4);
        }
        try (Conv2d c = new Conv2d(1, 32, 3, 1, 1); Conv2d nb = new Conv2d(3, 3, new int[] {3}, new int[] {1}, new int[] {0}, new int[] {2}, 1, false)) {
            assertEquals("Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))", c.toString());
            assertEquals("Conv2d(3, 3, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2), bias=False)", nb.toString());
            assertNull(nb.bias());
            assertEquals(List.of("weight"), List.copyOf(nb.namedParameters().keySet()));
        }
    }

    @BackendTest
    void gradientDescentRecoversAKnownKernel(TestBackends.Case backend) {
        use(backend);
        // Least squares in (w, b) with x ~ N(0, 1): a convex bowl whose Hessian is about
        // (2/432)·(4·36)·I = (2/3)·I for the mean over 432 outputs, so plain gradient descent with
        // lr 1 contracts the error about 3x per step and must land on the kernel that made the targets.
        Tensor x = Tensor.randn(4, 2, 6, 6);
        Tensor wTrue = Tensor.randn(3, 2, 3, 3).mul(0.3), bTrue = Tensor.of(new float[] {0.5f, -0.25f, 0.1f}, 3);
        // The targets come from the F64 loop, not from the op under test: a conv2d that is wrong the same way forward
        // and backward cannot fit them.
        Conv g = new Conv(4, 2, 6, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Tensor target = Inputs.upload(ConvRef.conv2d(g, new Ref(g.xShape(), x.toDoubleArray()), new Ref(g.wShape(), wTrue.toDoubleArray()),
                new Ref(new int[] {3}, bTrue.toDoubleArray())), DType.F32);
        try (Conv2d c = new Conv2d(2, 3, 3, 1, 1)) {
            for (int step = 0; step < 150; step++) {
                try (Scope s = Scope.open()) {
                    c.forward(x).sub(target).pow(2).mean().backward();
                    try (var off = dev.fathom.autograd.Autograd.noGrad()) {
                        c.weight().data().addInPlace(c.weight().grad(), -1.0);
                        c.bias().data().addInPlace(c.bias().grad(), -1.0);
                    }
                    c.zeroGrad();
                }
            }
            Check.close("learned weight", c.weight().data(), new Ref(new int[] {3, 2, 3, 3}, wTrue.toDoubleArray()), DType.F32, 1e-3, 1e-3);
            Check.close("learned bias", c.bias().data(), new Ref(new int[] {3}, bTrue.toDoubleArray()), DType.F32, 1e-3, 1e-3);
        }
    }

    @BackendTest
    void trainingStepsInAScopeDoNotGrowLiveBuffers(TestBackends.Case backend) {
        Device device = use(backend);
        try (Conv2d c = new Conv2d(2, 3, 3, 1, 1)) {
            Tensor x = Tensor.randn(2, 2, 6, 6);
            long before = 0;
            for (int step = 0; step < 4; step++) {
                if (step == 1) {
                    before = settledLiveBuffers(device);
                }
                try (Scope s = Scope.open()) {
                    Tensor y = Convolutions.maxPool2d(c.forward(x).relu(), 2);
                    y = Convolutions.avgPool2d(y, 3, 1, 1);
                    Convolutions.adaptiveAvgPool2d(y, 2, 1).sum().backward();
                    c.zeroGrad();
                }
            }
            assertEquals(before, Backends.kernels(device).memoryStats().liveBuffers(), "live buffers after steps 2..4");
        }
    }

    @BackendTest
    void badInputIsRejectedWithTheShapes(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.zeros(8, 3, 28, 28), w = Tensor.zeros(16, 4, 3, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv2d(x, w, null));
        assertEquals("conv2d: input [8, 3, 28, 28] has 3 channels but weight [16, 4, 3, 3] expects 4 (groups 1)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv2d(Tensor.zeros(28, 28), Tensor.zeros(16, 3, 3, 3), null));
        assertTrue(e.getMessage().startsWith("conv2d: expects an input (N, C_in, H, W) or (C_in, H, W)") && e.getMessage().contains("[28, 28]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv2d(Tensor.zeros(4, 28, 28), Tensor.zeros(16, 3, 3, 3), null));
        assertEquals("conv2d: input [1, 4, 28, 28] has 4 channels but weight [16, 3, 3, 3] expects 3 (groups 1)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv2d(x, Tensor.zeros(16, 3, 3, 3), Tensor.zeros(15)));
        assertTrue(e.getMessage().contains("bias must have shape [16]") && e.getMessage().contains("[15]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv2d(x, Tensor.zeros(DType.F64, 16, 3, 3, 3), null));
        assertTrue(e.getMessage().startsWith("conv2d: dtypes differ") && e.getMessage().contains("F64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv2d(Tensor.zeros(1, 1, 2, 2), Tensor.zeros(1, 1, 3, 3), null));
        assertTrue(e.getMessage().contains("smaller than the kernel 3x3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv2d(x, Tensor.zeros(16, 3, 3, 3), null, 0, 0, 1, 1));
        assertTrue(e.getMessage().contains("stride must be at least 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv2d(Tensor.zeros(1, 4, 5, 5), Tensor.zeros(3, 2, 3, 3), null, 1, 0, 1, 2));
        assertTrue(e.getMessage().contains("divisible by groups 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv2d(x, Tensor.zeros(16, 3, 0, 3), null));
        assertTrue(e.getMessage().contains("weight [16, 3, 0, 3]") && e.getMessage().contains("kernel of at least 1x1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv2d(Tensor.zeros(DType.I64, 1, 1, 5, 5), Tensor.zeros(DType.I64, 1, 1, 3, 3), null));
        assertTrue(e.getMessage().contains("floating"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, new int[] {3}, new int[] {1}, new int[] {0}, new int[] {1}, 2, true));
        assertTrue(e.getMessage().startsWith("Conv2d: in_channels 3"), e.getMessage());
    }
}
