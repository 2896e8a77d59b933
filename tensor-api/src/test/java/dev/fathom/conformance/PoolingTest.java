package dev.fathom.conformance;

import dev.fathom.autograd.Gradcheck;
import dev.fathom.conformance.ConvRef.Pool;
import dev.fathom.nn.AdaptiveAvgPool2d;
import dev.fathom.nn.AvgPool2d;
import dev.fathom.nn.Convolutions;
import dev.fathom.nn.MaxPool2d;
import dev.fathom.spi.Pool2dGeometry;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import dev.fathom.tensor.internal.KernelOps;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Max, average and adaptive average pooling against the loops of {@link ConvRef}: values, argmax
 * indices (first of ties), gradients, gradcheck in F64, the modules and bad input.
 */
class PoolingTest extends ConformanceTest {
    private final Inputs in = new Inputs(777);

    /** (n, c, h, w, kh, kw, sH, sW, pH, pW, dH, dW). */
    static final List<Pool> CASES = List.of(
            new Pool(1, 1, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1),
            new Pool(3, 2, 7, 9, 3, 2, 2, 1, 1, 1, 1, 1),
            new Pool(2, 3, 8, 7, 3, 3, 1, 2, 1, 0, 2, 2),
            new Pool(1, 2, 5, 6, 3, 3, 3, 3, 1, 1, 1, 1),
            new Pool(2, 1, 6, 5, 2, 3, 1, 2, 0, 1, 1, 1),
            // ceil_mode: odd planes under the 2×2 window (a last window of one row and column), a
            // strided window reaching past the padding, and a last window that would start in the
            // right padding, which PyTorch drops (5 wide, k 2, s 2, p 1: 3 outputs, not 4).
            new Pool(2, 2, 7, 9, 2, 2, 2, 2, 0, 0, 1, 1, true),
            new Pool(1, 3, 8, 6, 3, 3, 2, 3, 1, 1, 1, 1, true),
            new Pool(1, 1, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1, true),
            new Pool(2, 1, 9, 7, 3, 2, 2, 2, 0, 1, 2, 1, true));

    private static int[] hw(int h, int w) {
        return new int[] {h, w};
    }

    static Tensor maxPool(Pool g, Tensor x) {
        return Convolutions.maxPool2d(x, hw(g.kh(), g.kw()), hw(g.sH(), g.sW()), hw(g.pH(), g.pW()), hw(g.dH(), g.dW()), g.ceil());
    }

    static Tensor avgPool(Pool g, Tensor x, boolean countIncludePad) {
        return Convolutions.avgPool2d(x, hw(g.kh(), g.kw()), hw(g.sH(), g.sW()), hw(g.pH(), g.pW()), g.ceil(), countIncludePad);
    }

    /** Distinct values (a shuffled grid 0.1 apart, shifted): no ties, so max pooling is smooth around them. */
    private static Ref distinct(int[] shape, long seed) {
        int n = (int) Ref.numel(shape);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = 0.1 * i - 0.05 * n;
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            double t = d[i];
            d[i] = d[j];
            d[j] = t;
        }
        return new Ref(shape, d);
    }

    @BackendTest
    void maxPoolValuesIndicesAndGradient(TestBackends.Case backend) {
        Device device = use(backend);
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            for (Pool g : CASES) {
                Ref xr = in.values(g.xShape(), dtype, -1, 1), gyr = in.values(g.yShape(), dtype, -1, 1);
                Tensor x = Inputs.upload(xr, dtype).requiresGrad(true);
                Tensor y = maxPool(g, x);
                Ref[] ref = ConvRef.maxPool2d(g, xr);
                Check.exact("maxPool2d " + g, y, ref[0], dtype);
                y.backward(Inputs.upload(gyr, dtype));
                double[] dx = new double[xr.data.length];
                int plane = g.h() * g.w(), out = g.outH() * g.outW();
                for (int e = 0; e < gyr.data.length; e++) {
                    dx[e / out * plane + (int) ref[1].data[e]] += gyr.data[e];
                }
                Check.close("maxPool2d dx " + g, x.grad(), new Ref(g.xShape(), dx), dtype, 1e-6, 1e-6);

                // The SPI kernel's indices, directly.
                Pool2dGeometry pg = Pool2dGeometry.of(g.n(), g.c(), g.h(), g.w(), g.kh(), g.kw(), g.sH(), g.sW(), g.pH(), g.pW(), g.dH(), g.dW(),
                        g.ceil());
                assertEquals(g.outH() + "x" + g.outW(), pg.outH() + "x" + pg.outW(), "output size of " + g);
                Tensor vals = Tensor.zeros(dtype, g.yShape()), idx = Tensor.zeros(DType.I64, g.yShape());
                var h = KernelOps.hooks();
                Backends.kernels(device).maxPool2dForward(pg, h.strided(x.detach()), h.strided(vals), h.strided(idx));
                Check.exact("maxPool2dForward indices " + g, idx, ref[1], DType.I64);
            }
        }
    }

    @BackendTest
    void maxPoolTiesGoToTheFirstElementOfTheWindow(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.ones(DType.F64, 1, 1, 4, 4).requiresGrad(true);
        Convolutions.maxPool2d(x, 2).sum().backward();
        Check.exact("maxPool2d ties", x.grad(), Ref.of(new int[] {1, 1, 4, 4}, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0), DType.F64);
        // Overlapping windows over a plateau: each window's first element takes the whole gradient.
        Tensor z = Tensor.full(2.0, DType.F64, 1, 1, 3, 3).requiresGrad(true);
        Convolutions.maxPool2d(z, 2, 1, 0).sum().backward();
        Check.exact("maxPool2d overlapping ties", z.grad(), Ref.of(new int[] {1, 1, 3, 3}, 1, 1, 0, 1, 1, 0, 0, 0, 0), DType.F64);
    }

    @BackendTest
    void maxPoolInF32KeepsTheFirstOfTiesAndLetsNaNWin(TestBackends.Case backend) {
        use(backend);
        // Window 1: a NaN beats every number (PyTorch); window 2: a plateau, the first element wins;
        // window 3: a later NaN replaces an earlier one.
        float nan = Float.NaN;
        Tensor x = Tensor.of(new float[] {1, nan, 2, 2, nan, 0, 0, 3, 2, 2, 1, nan}, 1, 1, 2, 6).requiresGrad(true);
        Tensor y = Convolutions.maxPool2d(x, 2);
        float[] v = y.toFloatArray();
        assertTrue(Float.isNaN(v[0]) && v[1] == 2f && Float.isNaN(v[2]), java.util.Arrays.toString(v));
        y.sum().backward();
        Check.exact("maxPool2d F32 ties and NaN", x.grad(), Ref.of(new int[] {1, 1, 2, 6}, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1), DType.F32);
    }

    @BackendTest
    void avgPoolValuesAndGradient(TestBackends.Case backend) {
        use(backend);
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            for (Pool g0 : CASES) {
                Pool g = new Pool(g0.n(), g0.c(), g0.h(), g0.w(), g0.kh(), g0.kw(), g0.sH(), g0.sW(), g0.pH(), g0.pW(), 1, 1, g0.ceil());
                for (boolean cip : new boolean[] {true, false}) {
                    Ref xr = in.values(g.xShape(), dtype, -1, 1), gyr = in.values(g.yShape(), dtype, -1, 1);
                    Tensor x = Inputs.upload(xr, dtype).requiresGrad(true);
                    Tensor y = avgPool(g, x, cip);
                    String what = "avgPool2d " + g + " countIncludePad=" + cip;
                    double tol = dtype == DType.F64 ? 1e-12 : 1e-6;
                    Check.close(what, y, ConvRef.avgPool2d(g, xr, cip), dtype, tol, tol);
                    y.backward(Inputs.upload(gyr, dtype));
                    // avg pooling is linear: dx = Jᵀ gy, with J's columns from the reference applied to unit inputs.
                    double[] dx = new double[xr.data.length];
                    for (int i = 0; i < dx.length; i++) {
                        double[] e = new double[dx.length];
                        e[i] = 1;
                        Ref col = ConvRef.avgPool2d(g, new Ref(g.xShape(), e), cip);
                        for (int o = 0; o < col.data.length; o++) {
                            dx[i] += col.data[o] * gyr.data[o];
                        }
                    }
                    Check.close(what + " dx", x.grad(), new Ref(g.xShape(), dx), dtype, tol, tol);
                }
            }
        }
    }

    @BackendTest
    void adaptiveAvgPoolMatchesPyTorchWindows(TestBackends.Case backend) {
        use(backend);
        int[][] cases = {{7, 5, 3, 2}, {6, 4, 3, 2}, {5, 5, 1, 1}, {3, 3, 5, 4}, {10, 9, 4, 4}};
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            for (int[] c : cases) {
                Ref xr = in.values(new int[] {2, 3, c[0], c[1]}, dtype, -1, 1);
                double tol = dtype == DType.F64 ? 1e-12 : 1e-6;
                Check.close("adaptiveAvgPool2d " + c[0] + "x" + c[1] + "->" + c[2] + "x" + c[3],
                        Convolutions.adaptiveAvgPool2d(Inputs.upload(xr, dtype), c[2], c[3]), ConvRef.adaptiveAvgPool2d(xr, c[2], c[3]), dtype, tol, tol);
            }
        }
    }

    @BackendTest
    void gradcheckEveryPool(TestBackends.Case backend) {
        use(backend);
        Pool g = new Pool(2, 2, 5, 6, 3, 2, 2, 1, 1, 1, 1, 1);
        Tensor x = Inputs.upload(distinct(g.xShape(), 5), DType.F64).requiresGrad(true);
        assertTrue(Gradcheck.check(a -> maxPool(g, a[0]), x).passed());
        Pool dil = new Pool(1, 2, 7, 6, 2, 2, 1, 2, 1, 0, 2, 2);
        Tensor xd = Inputs.upload(distinct(dil.xShape(), 6), DType.F64).requiresGrad(true);
        assertTrue(Gradcheck.check(a -> maxPool(dil, a[0]), xd).passed());
        Tensor y = Inputs.upload(in.values(g.xShape(), DType.F64, -1, 1), DType.F64).requiresGrad(true);
        assertTrue(Gradcheck.check(a -> avgPool(g, a[0], true), y).passed());
        assertTrue(Gradcheck.check(a -> avgPool(g, a[0], false), y).passed());
        assertTrue(Gradcheck.check(a -> Convolutions.adaptiveAvgPool2d(a[0], 2, 4), y).passed());
        assertTrue(Gradcheck.check(a -> Convolutions.adaptiveAvgPool2d(a[0], 1, 3), y).passed());
        Pool ceil = new Pool(1, 2, 7, 5, 3, 2, 2, 2, 1, 0, 1, 1, true);
        Tensor xc = Inputs.upload(distinct(ceil.xShape(), 7), DType.F64).requiresGrad(true);
        assertTrue(Gradcheck.check(a -> maxPool(ceil, a[0]), xc).passed());
        assertTrue(Gradcheck.check(a -> avgPool(ceil, a[0], true), xc).passed());
        // Second order: the backward passes are recorded too.
        assertTrue(Gradcheck.checkSecondOrder(a -> maxPool(g, a[0]).pow(2), x).passed());
        assertTrue(Gradcheck.checkSecondOrder(a -> avgPool(g, a[0], false).pow(2), y).passed());
    }

    @BackendTest
    void modulesPrintLikePyTorchAndForward(TestBackends.Case backend) {
        use(backend);
        assertEquals("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2).toString());
        assertEquals("MaxPool2d(kernel_size=(3, 2), stride=1, padding=(1, 0), dilation=1, ceil_mode=False)",
                new MaxPool2d(hw(3, 2), new int[] {1}, hw(1, 0), new int[] {1}).toString());
        assertEquals("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=True)",
                new MaxPool2d(new int[] {2}, new int[] {2}, new int[] {0}, new int[] {1}, true).toString());
        assertEquals("AvgPool2d(kernel_size=3, stride=1, padding=1)", new AvgPool2d(3, 1, 1).toString());
        assertEquals("AvgPool2d(kernel_size=2, stride=2, padding=0, ceil_mode=True)",
                new AvgPool2d(new int[] {2}, new int[] {2}, new int[] {0}, true, true).toString());
        assertEquals("AvgPool2d(kernel_size=2, stride=2, padding=0, count_include_pad=False)",
                new AvgPool2d(new int[] {2}, new int[] {2}, new int[] {0}, false).toString());
        assertEquals("AdaptiveAvgPool2d(output_size=1)", new AdaptiveAvgPool2d(1).toString());
        assertEquals("AdaptiveAvgPool2d(output_size=(2, 3))", new AdaptiveAvgPool2d(2, 3).toString());
        Ref xr = in.values(new int[] {1, 2, 4, 6}, DType.F32, -1, 1);
        Tensor x = Inputs.upload(xr, DType.F32);
        Check.exact("MaxPool2d module", new MaxPool2d(2).forward(x), ConvRef.maxPool2d(new Pool(1, 2, 4, 6, 2, 2, 2, 2, 0, 0, 1, 1), xr)[0], DType.F32);
        Check.exact("MaxPool2d module, ceil mode: [1, 2, 4, 6] under 3x3 stride 2 is 2x3, not 1x2",
                new MaxPool2d(new int[] {3}, new int[] {2}, new int[] {0}, new int[] {1}, true).forward(x),
                ConvRef.maxPool2d(new Pool(1, 2, 4, 6, 3, 3, 2, 2, 0, 0, 1, 1, true), xr)[0], DType.F32);
        Check.close("AdaptiveAvgPool2d module", new AdaptiveAvgPool2d(1).forward(x), ConvRef.adaptiveAvgPool2d(xr, 1, 1), DType.F32, 1e-6, 1e-6);
    }

    @BackendTest
    void badInputIsRejectedWithTheShapes(TestBackends.Case backend) {
        use(backend);
        var e = assertThrows(IllegalArgumentException.class, () -> Convolutions.maxPool2d(Tensor.zeros(1, 1, 4, 4), 2, 2, 2));
        assertEquals("maxPool2d: padding [2, 2] must be at most half the kernel size [2, 2]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.maxPool2d(Tensor.zeros(4, 4), 2));
        assertEquals("maxPool2d: expects an input (N, C, H, W) or (C, H, W), got [4, 4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.avgPool2d(Tensor.zeros(1, 1, 2, 2), 3));
        assertTrue(e.getMessage().contains("avgPool2d: input [1, 1, 2, 2] with padding [0, 0] is smaller than the kernel 3x3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.avgPool2d(Tensor.zeros(DType.I64, 1, 1, 4, 4), 2));
        assertTrue(e.getMessage().contains("floating"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.maxPool2d(Tensor.zeros(1, 1, 4, 4), new int[] {2, 2, 2}, null, new int[] {0}, new int[] {1}));
        assertTrue(e.getMessage().contains("kernel size must be one value or {h, w}, got [2, 2, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Convolutions.adaptiveAvgPool2d(Tensor.zeros(1, 1, 4, 4), 0, 2));
        assertTrue(e.getMessage().contains("adaptiveAvgPool2d: output size must be positive, got 0x2"), e.getMessage());
    }
}
