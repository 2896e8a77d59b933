package dev.fathom.conformance;

import dev.fathom.autograd.Gradcheck;
import dev.fathom.nn.ConvTranspose2d;
import dev.fathom.nn.Convolutions;
import dev.fathom.nn.Functional;
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
 * {@link Convolutions#convTranspose2d} and {@link ConvTranspose2d} against a naive F64 scatter loop
 * (every input element adds {@code x·w} to the outputs its kernel taps land on) and the gradients of
 * that loop: strides 1 to 3, padding, output padding (including output padding of a stride or more,
 * which PyTorch allows below the dilation), dilation, groups, odd sizes, batches above 1;
 * gradcheck in F64 to second order; the output-size rule; the module; bad input; live buffers.
 */
class ConvTransposeTest extends ConformanceTest {
    private final Inputs in = new Inputs(6060);

    /** Input (n, cIn, h, w), weight (cIn, cOut/groups, kh, kw). */
    record ConvT(int n, int cIn, int h, int w, int cOut, int kh, int kw, int sH, int sW, int pH, int pW, int opH, int opW,
                 int dH, int dW, int groups) {
        int outH() {
            return (h - 1) * sH - 2 * pH + dH * (kh - 1) + opH + 1;
        }

        int outW() {
            return (w - 1) * sW - 2 * pW + dW * (kw - 1) + opW + 1;
        }

        int[] xShape() {
            return new int[] {n, cIn, h, w};
        }

        int[] wShape() {
            return new int[] {cIn, cOut / groups, kh, kw};
        }

        int[] yShape() {
            return new int[] {n, cOut, outH(), outW()};
        }

        Tensor apply(Tensor x, Tensor weight, Tensor bias) {
            return Convolutions.convTranspose2d(x, weight, bias, new int[] {sH, sW}, new int[] {pH, pW}, new int[] {opH, opW}, groups,
                    new int[] {dH, dW});
        }

        @Override
        public String toString() {
            return "x[" + n + "," + cIn + "," + h + "," + w + "] w[" + cIn + "," + cOut / groups + "," + kh + "," + kw + "] s(" + sH + "," + sW
                    + ") p(" + pH + "," + pW + ") op(" + opH + "," + opW + ") d(" + dH + "," + dW + ") g" + groups;
        }
    }

    static final List<ConvT> CASES = List.of(
            new ConvT(1, 1, 3, 3, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),
            new ConvT(3, 3, 4, 5, 2, 4, 4, 2, 2, 1, 1, 0, 0, 1, 1, 1),   // DCGAN's 4x4/2/1 doubling, N = 3
            new ConvT(2, 2, 5, 3, 3, 3, 2, 2, 3, 1, 0, 1, 2, 1, 1, 1),   // output padding, stride 3
            new ConvT(2, 4, 3, 4, 6, 3, 3, 3, 2, 2, 1, 2, 1, 1, 2, 2),   // groups 2, dilation
            new ConvT(1, 3, 4, 3, 3, 2, 3, 1, 2, 0, 1, 0, 1, 1, 1, 3),   // depthwise
            new ConvT(2, 2, 3, 3, 3, 3, 2, 1, 1, 2, 1, 2, 0, 3, 1, 1),   // output padding 2 >= stride 1, below dilation 3
            new ConvT(1, 2, 2, 3, 2, 3, 3, 2, 1, 1, 2, 3, 1, 4, 2, 1),   // output padding 3 >= stride 2, padding > output padding in W
            new ConvT(2, 3, 3, 2, 4, 1, 1, 2, 2, 0, 0, 1, 1, 1, 1, 1),   // 1x1: output padding rows of pure bias
            new ConvT(1, 6, 2, 2, 4, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 2));

    /** {y, dx, dw, db}: the scatter loop and, for the upstream gradient gy, its gradients. */
    static Ref[] reference(ConvT g, Ref x, Ref w, Ref b, Ref gy) {
        int cinG = g.cIn() / g.groups(), coutG = g.cOut() / g.groups(), oh = g.outH(), ow = g.outW();
        double[] y = new double[g.n() * g.cOut() * oh * ow];
        double[] dx = new double[x.data.length], dw = new double[w.data.length], db = new double[g.cOut()];
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.cOut(); o++) {
                for (int t = 0; t < oh * ow; t++) {
                    int yi = (n * g.cOut() + o) * oh * ow + t;
                    y[yi] = b == null ? 0 : b.data[o];
                    db[o] += gy.data[yi];
                }
            }
            for (int c = 0; c < g.cIn(); c++) {
                for (int i = 0; i < g.h(); i++) {
                    for (int j = 0; j < g.w(); j++) {
                        int xi = ((n * g.cIn() + c) * g.h() + i) * g.w() + j;
                        for (int oc = 0; oc < coutG; oc++) {
                            int o = c / cinG * coutG + oc;
                            for (int p = 0; p < g.kh(); p++) {
                                for (int q = 0; q < g.kw(); q++) {
                                    int r = i * g.sH() - g.pH() + p * g.dH(), s = j * g.sW() - g.pW() + q * g.dW();
                                    if (r < 0 || r >= oh || s < 0 || s >= ow) {
                                        continue;
                                    }
                                    int yi = ((n * g.cOut() + o) * oh + r) * ow + s, wi = ((c * coutG + oc) * g.kh() + p) * g.kw() + q;
                                    y[yi] += x.data[xi] * w.data[wi];
                                    dx[xi] += gy.data[yi] * w.data[wi];
                                    dw[wi] += gy.data[yi] * x.data[xi];
                                }
                            }
                        }
                    }
                }
            }
        }
        return new Ref[] {new Ref(g.yShape(), y), new Ref(x.shape, dx), new Ref(w.shape, dw), new Ref(new int[] {g.cOut()}, db)};
    }

    private static double tol(DType dtype) {
        return dtype == DType.F64 ? 1e-12 : 1e-4;
    }

    @BackendTest
    void forwardAndGradientsMatchTheScatterLoop(TestBackends.Case backend) {
        use(backend);
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            for (ConvT g : CASES) {
                Ref xr = in.values(g.xShape(), dtype, -1, 1), wr = in.values(g.wShape(), dtype, -1, 1);
                Ref br = in.values(new int[] {g.cOut()}, dtype, -1, 1), gyr = in.values(g.yShape(), dtype, -1, 1);
                Tensor x = Inputs.upload(xr, dtype).requiresGrad(true), w = Inputs.upload(wr, dtype).requiresGrad(true);
                Tensor b = Inputs.upload(br, dtype).requiresGrad(true);
                Tensor y = g.apply(x, w, b);
                Ref[] ref = reference(g, xr, wr, br, gyr);
                String what = "convTranspose2d " + g;
                Check.close(what, y, ref[0], dtype, tol(dtype), tol(dtype));
                y.backward(Inputs.upload(gyr, dtype));
                Check.close(what + " dx", x.grad(), ref[1], dtype, tol(dtype), tol(dtype));
                Check.close(what + " dw", w.grad(), ref[2], dtype, tol(dtype), tol(dtype));
                Check.close(what + " db", b.grad(), ref[3], dtype, tol(dtype), tol(dtype));
            }
        }
    }

    @BackendTest
    void noBiasNonContiguousUnbatchedAndFunctional(TestBackends.Case backend) {
        use(backend);
        ConvT g = new ConvT(2, 4, 3, 5, 4, 3, 3, 2, 2, 1, 1, 1, 0, 1, 1, 2);
        Ref xr = in.values(g.xShape(), DType.F64, -1, 1), wr = in.values(g.wShape(), DType.F64, -1, 1);
        Ref gy0 = Ref.full(g.yShape(), 0);
        Tensor x = in.tensor(xr, DType.F64, Inputs.Layout.PERMUTED), w = in.tensor(wr, DType.F64, Inputs.Layout.NARROWED);
        Check.close("convTranspose2d non-contiguous " + g, g.apply(x, w, null), reference(g, xr, wr, null, gy0)[0], DType.F64);
        ConvT one = new ConvT(1, 3, 4, 4, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1);
        Ref x1 = in.values(one.xShape(), DType.F64, -1, 1), w1 = in.values(one.wShape(), DType.F64, -1, 1);
        Ref b1 = in.values(new int[] {2}, DType.F64, -1, 1);
        Ref y1 = reference(one, x1, w1, b1, Ref.full(one.yShape(), 0))[0];
        Tensor y = one.apply(Inputs.upload(x1, DType.F64).reshape(3, 4, 4), Inputs.upload(w1, DType.F64), Inputs.upload(b1, DType.F64));
        Check.close("convTranspose2d unbatched", y, new Ref(new int[] {2, 8, 8}, y1.data), DType.F64);
        Tensor f = Functional.convTranspose2d(Inputs.upload(x1, DType.F64), Inputs.upload(w1, DType.F64), Inputs.upload(b1, DType.F64),
                2, 1, 1, 1, 1);
        Check.close("Functional.convTranspose2d", f, y1, DType.F64);
    }

    @BackendTest
    void batchOfZeroGivesEmptyOutputAndZeroWeightGradient(TestBackends.Case backend) {
        use(backend);
        Tensor w = Tensor.ones(DType.F64, 2, 3, 3, 3).requiresGrad(true);
        Tensor y = Convolutions.convTranspose2d(Tensor.zeros(DType.F64, 0, 2, 4, 4), w, null, 2, 1, 1, 1, 1);
        assertEquals(List.of(0, 3, 8, 8), List.of(y.size(0), y.size(1), y.size(2), y.size(3)));
        y.sum().backward();
        Check.close("convTranspose2d N=0 dw", w.grad(), Ref.full(new int[] {2, 3, 3, 3}, 0), DType.F64);
    }

    @BackendTest
    void outputSizeFollowsPyTorchsRule(TestBackends.Case backend) {
        use(backend);
        // (H − 1)·s − 2p + d·(K − 1) + output_padding + 1, e.g. DCGAN's 4 → 8 → 16 and 1 → 4 (K 4, s 1, p 0).
        assertEquals(8, Convolutions.transposedSize(4, 4, 2, 1, 0, 1));
        assertEquals(4, Convolutions.transposedSize(1, 4, 1, 0, 0, 1));
        assertEquals(16, Convolutions.transposedSize(7, 3, 2, 1, 1, 2));
        assertEquals(23, Convolutions.transposedSize(7, 5, 3, 1, 2, 1));
        Tensor y = Convolutions.convTranspose2d(Tensor.zeros(2, 3, 7, 5), Tensor.zeros(3, 4, 3, 5), Tensor.zeros(4),
                new int[] {2, 3}, new int[] {1, 2}, new int[] {1, 2}, 1, new int[] {2, 1});
        assertEquals(List.of(2, 4, 16, 15), List.of(y.size(0), y.size(1), y.size(2), y.size(3)));
        try (ConvTranspose2d up = new ConvTranspose2d(8, 4, 4, 2, 1)) {
            Tensor z = up.forward(Tensor.zeros(1, 8, 4, 4));
            assertEquals(List.of(1, 4, 8, 8), List.of(z.size(0), z.size(1), z.size(2), z.size(3)));
        }
    }

    @BackendTest
    void gradcheckWithRespectToInputWeightAndBias(TestBackends.Case backend) {
        use(backend);
        List<ConvT> small = List.of(
                new ConvT(2, 2, 3, 2, 2, 2, 3, 2, 1, 1, 0, 1, 0, 1, 1, 1),
                new ConvT(1, 4, 2, 3, 2, 3, 2, 3, 2, 1, 1, 2, 1, 1, 2, 2),
                new ConvT(1, 2, 2, 2, 2, 2, 2, 1, 1, 0, 1, 1, 0, 2, 1, 1));
        for (ConvT g : small) {
            Tensor x = leaf(g.xShape()), w = leaf(g.wShape()), b = leaf(g.cOut());
            assertTrue(Gradcheck.check(a -> g.apply(a[0], a[1], a[2]), x, w, b).passed(), "gradcheck " + g);
        }
    }

    @BackendTest
    void secondOrderGradcheckWithRespectToInputAndWeight(TestBackends.Case backend) {
        use(backend);
        // Tiny: every second-order probe is a full double backward (slow on the emulated GPU).
        ConvT g = new ConvT(1, 1, 2, 2, 2, 2, 2, 2, 1, 1, 0, 1, 0, 1, 1, 1);
        Tensor x = leaf(g.xShape()), w = leaf(g.wShape());
        assertTrue(Gradcheck.checkSecondOrder(a -> g.apply(a[0], a[1], null).pow(2), x, w).passed(), "second order " + g);
        ConvT grouped = new ConvT(1, 2, 2, 2, 2, 2, 1, 1, 2, 0, 0, 1, 1, 2, 1, 2);
        Tensor x2 = leaf(grouped.xShape()), w2 = leaf(grouped.wShape());
        assertTrue(Gradcheck.checkSecondOrder(a -> grouped.apply(a[0], a[1], null).pow(2), x2, w2).passed(), "second order " + grouped);
    }

    private Tensor leaf(int... shape) {
        return Inputs.upload(in.values(shape, DType.F64, -1, 1), DType.F64).requiresGrad(true);
    }

    @BackendTest
    void moduleInitShapesAndPrinting(TestBackends.Case backend) {
        use(backend);
        try (ConvTranspose2d c = new ConvTranspose2d(4, 6, new int[] {3, 2}, new int[] {2}, new int[] {1}, new int[] {1, 0}, 2, true,
                new int[] {1})) {
            assertEquals(List.of(4, 3, 3, 2), List.of(c.weight().shape()[0], c.weight().shape()[1], c.weight().shape()[2], c.weight().shape()[3]));
            // PyTorch's fan_in of a transposed convolution comes from weight dim 1: out/groups·KH·KW = 3·3·2.
            double bound = 1 / Math.sqrt(3 * 3 * 2);
            double maxAbs = 0;
            for (float v : c.weight().data().toFloatArray()) {
                assertTrue(Math.abs(v) <= bound, "weight " + v + " outside ±" + bound);
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            assertTrue(maxAbs > 0.7 * bound, "72 draws from U(±b) should reach near b, max " + maxAbs);
            for (float v : c.bias().data().toFloatArray()) {
                assertTrue(Math.abs(v) <= bound);
            }
            assertEquals("ConvTranspose2d(4, 6, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), output_padding=(1, 0), groups=2)",
                    c.toString());
            Tensor x = Tensor.randn(2, 4, 3, 4);
            ConvT g = new ConvT(2, 4, 3, 4, 6, 3, 2, 2, 2, 1, 1, 1, 0, 1, 1, 2);
            Ref ref = reference(g, new Ref(g.xShape(), x.toDoubleArray()), new Ref(g.wShape(), c.weight().data().toDoubleArray()),
                    new Ref(new int[] {6}, c.bias().data().toDoubleArray()), Ref.full(g.yShape(), 0))[0];
            Check.close("ConvTranspose2d module", c.forward(x), ref, DType.F32, 1e-5, 1e-4);
        }
        try (ConvTranspose2d c = new ConvTranspose2d(100, 64, 4);
             ConvTranspose2d nb = new ConvTranspose2d(3, 3, new int[] {3}, new int[] {1}, new int[] {0}, new int[] {0}, 1, false, new int[] {2})) {
            assertEquals("ConvTranspose2d(100, 64, kernel_size=(4, 4), stride=(1, 1))", c.toString());
            assertEquals("ConvTranspose2d(3, 3, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2), bias=False)", nb.toString());
            assertNull(nb.bias());
            assertEquals(List.of("weight"), List.copyOf(nb.namedParameters().keySet()));
        }
    }

    @BackendTest
    void trainingStepsInAScopeDoNotGrowLiveBuffers(TestBackends.Case backend) {
        Device device = use(backend);
        // Output padding of a stride or more takes the zero-extension path: its buffers must go too.
        try (ConvTranspose2d up = new ConvTranspose2d(3, 2, 4, 2, 1);
             ConvTranspose2d odd = new ConvTranspose2d(2, 2, new int[] {3}, new int[] {1}, new int[] {1}, new int[] {1}, 1, true, new int[] {2})) {
            Tensor x = Tensor.randn(2, 3, 3, 3);
            long before = 0;
            for (int step = 0; step < 4; step++) {
                if (step == 1) {
                    before = settledLiveBuffers(device);
                }
                try (Scope s = Scope.open()) {
                    odd.forward(up.forward(x).relu()).pow(2).sum().backward();
                    up.zeroGrad();
                    odd.zeroGrad();
                }
            }
            assertEquals(before, Backends.kernels(device).memoryStats().liveBuffers(), "live buffers after steps 2..4");
        }
    }

    @BackendTest
    void badInputIsRejectedWithTheShapes(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.zeros(2, 3, 4, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> Convolutions.convTranspose2d(x, Tensor.zeros(4, 2, 3, 3), null, 1, 0, 0, 1, 1));
        assertEquals("convTranspose2d: input [2, 3, 4, 4] has 3 channels but weight [4, 2, 3, 3] expects 4 "
                + "(the weight of a transposed convolution is (C_in, C_out/groups, KH, KW))", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.convTranspose2d(x, Tensor.zeros(3, 2, 3, 3), null, 1, 0, 0, 2, 1));
        assertEquals("convTranspose2d: weight [3, 2, 3, 3] needs a positive number of input channels divisible by groups 2, "
                + "at least one output channel and a kernel of at least 1x1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.convTranspose2d(x, Tensor.zeros(3, 2, 3, 3), null, 2, 1, 2, 1, 1));
        assertEquals("convTranspose2d: output padding (2, 2) must be smaller than either the stride (2, 2) or the dilation (1, 1) in each dim",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.convTranspose2d(x, Tensor.zeros(3, 2, 3, 3), null,
                new int[] {3, 1}, new int[] {0}, new int[] {2, 1}, 1, new int[] {1}));
        assertTrue(e.getMessage().startsWith("convTranspose2d: output padding (2, 1) must be smaller"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.convTranspose2d(Tensor.zeros(4, 4), Tensor.zeros(3, 2, 3, 3), null,
                1, 0, 0, 1, 1));
        assertEquals("convTranspose2d: expects an input (N, C_in, H, W) or (C_in, H, W) and a 4-D weight (C_in, C_out/groups, KH, KW), "
                + "got input [4, 4] and weight [3, 2, 3, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.convTranspose2d(x, Tensor.zeros(3, 2, 3), null, 1, 0, 0, 1, 1));
        assertTrue(e.getMessage().contains("weight [3, 2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.convTranspose2d(x, Tensor.zeros(3, 2, 3, 3), Tensor.zeros(3),
                1, 0, 0, 1, 1));
        assertEquals("convTranspose2d: bias must have shape [2] (C_out = groups 1 x weight [3, 2, 3, 3] dim 1), got [3]", e.getMessage());
        // Padding crops the output (H 4, K 1: 2 with padding 1) until nothing is left.
        assertEquals(2, Convolutions.convTranspose2d(x, Tensor.zeros(3, 2, 1, 1), null, 1, 1, 0, 1, 1).size(2));
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.convTranspose2d(x, Tensor.zeros(3, 2, 1, 1), null, 1, 2, 0, 1, 1));
        assertEquals("convTranspose2d: input [2, 3, 4, 4] with kernel 1x1, stride (1, 1), padding (2, 2), output padding (0, 0) and "
                + "dilation (1, 1) gives an output of 0x0; use less padding", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.convTranspose2d(x, Tensor.zeros(DType.F64, 3, 2, 3, 3), null,
                1, 0, 0, 1, 1));
        assertTrue(e.getMessage().startsWith("convTranspose2d: dtypes differ") && e.getMessage().contains("F64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.convTranspose2d(x, Tensor.zeros(3, 2, 3, 3), null, 0, 0, 0, 1, 1));
        assertTrue(e.getMessage().contains("stride must be at least 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ConvTranspose2d(3, 4, new int[] {3}, new int[] {1}, new int[] {0},
                new int[] {0}, 2, true, new int[] {1}));
        assertEquals("ConvTranspose2d: in_channels 3 and out_channels 4 must be positive and divisible by groups 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ConvTranspose2d(3, 4, new int[] {3}, new int[] {2}, new int[] {0},
                new int[] {2}, 1, true, new int[] {1}));
        assertTrue(e.getMessage().startsWith("ConvTranspose2d: output padding (2, 2) must be smaller than either the stride (2, 2)"),
                e.getMessage());
    }
}
