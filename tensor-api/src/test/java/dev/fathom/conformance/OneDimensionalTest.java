package dev.fathom.conformance;

import dev.fathom.autograd.Gradcheck;
import dev.fathom.nn.AvgPool1d;
import dev.fathom.nn.Conv1d;
import dev.fathom.nn.Functional;
import dev.fathom.nn.MaxPool1d;
import dev.fathom.nn.Upsample;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * conv1d, max/avg pool 1d and nearest upsampling against naive F64 loops written from PyTorch's
 * definitions (strides, padding, dilation, groups, ceil mode, unbatched inputs), their gradients by
 * finite differences, the modules' parameters and printing against PyTorch's, and bad input.
 */
class OneDimensionalTest extends ConformanceTest {
    private final Inputs in = new Inputs(1701);

    /** {@code out[n, o, i] = b[o] + Σ_{c in o's group, k} x[n, c, i·s − p + k·d] · w[o, c − group start, k]}, outside the input 0. */
    private static Ref conv1dRef(Ref x, Ref w, Ref b, int s, int p, int d, int groups) {
        int n = x.shape[0], c = x.shape[1], len = x.shape[2], out = w.shape[0], cg = w.shape[1], k = w.shape[2];
        int ol = (len + 2 * p - d * (k - 1) - 1) / s + 1;
        double[] r = new double[n * out * ol];
        for (int a = 0; a < n; a++) {
            for (int o = 0; o < out; o++) {
                int g = o / (out / groups);
                for (int i = 0; i < ol; i++) {
                    double sum = b == null ? 0 : b.get(o);
                    for (int ci = 0; ci < cg; ci++) {
                        for (int j = 0; j < k; j++) {
                            int at = i * s - p + j * d;
                            if (at >= 0 && at < len) {
                                sum += x.get(a, g * cg + ci, at) * w.get(o, ci, j);
                            }
                        }
                    }
                    r[(a * out + o) * ol + i] = sum;
                }
            }
        }
        return new Ref(new int[] {n, out, ol}, r);
    }

    @BackendTest
    void conv1dMatchesTheDefinition(TestBackends.Case backend) {
        use(backend);
        // {stride, padding, dilation, groups}
        for (int[] c : new int[][] {{1, 0, 1, 1}, {2, 1, 1, 1}, {1, 2, 2, 1}, {3, 1, 2, 2}, {1, 1, 1, 4}}) {
            int groups = c[3];
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                Inputs.Pair x = in.random(new int[] {2, 4, 11}, dt, Inputs.Layout.PERMUTED, -1, 1);
                Inputs.Pair w = in.random(new int[] {4, 4 / groups, 3}, dt, Inputs.Layout.CONTIGUOUS, -1, 1);
                Inputs.Pair b = in.random(new int[] {4}, dt, Inputs.Layout.CONTIGUOUS, -1, 1);
                String what = "conv1d " + Arrays.toString(c);
                Ref expected = conv1dRef(x.ref(), w.ref(), b.ref(), c[0], c[1], c[2], groups);
                Check.close(what, Functional.conv1d(x.tensor(), w.tensor(), b.tensor(), c[0], c[1], c[2], groups), expected, dt);
                Check.close(what + " unbatched", Functional.conv1d(x.tensor().select(0, 1), w.tensor(), b.tensor(), c[0], c[1], c[2], groups),
                        expected.select(0, 1), dt);
                Check.close(what + " no bias", Functional.conv1d(x.tensor(), w.tensor(), null, c[0], c[1], c[2], groups),
                        conv1dRef(x.ref(), w.ref(), null, c[0], c[1], c[2], groups), dt);
            }
        }
    }

    /** Max or mean over each window of {@code x (N, C, L)}, PyTorch's windows (ceil mode drops one that starts in the right padding). */
    private static Ref poolRef(Ref x, int k, int s, int p, int d, boolean ceil, boolean max, boolean countPad) {
        int n = x.shape[0], c = x.shape[1], len = x.shape[2];
        int span = d * (k - 1) + 1;
        int ol = (ceil ? Math.ceilDiv(len + 2 * p - span, s) : (len + 2 * p - span) / s) + 1;
        if (ceil && (ol - 1) * s >= len + p) {
            ol--;
        }
        double[] r = new double[n * c * ol];
        for (int a = 0; a < n * c; a++) {
            for (int i = 0; i < ol; i++) {
                double acc = max ? Double.NEGATIVE_INFINITY : 0;
                int real = 0, start = i * s - p;
                for (int j = 0; j < k; j++) {
                    int at = start + j * d;
                    if (at >= 0 && at < len) {
                        double v = x.data[a * len + at];
                        acc = max ? Math.max(acc, v) : acc + v;
                        real++;
                    }
                }
                // With countIncludePad the divisor is the window clipped to the padded input (len + p on the right).
                int divisor = countPad ? Math.min(start + k, len + p) - start : real;
                r[a * ol + i] = max ? acc : acc / divisor;
            }
        }
        return new Ref(new int[] {n, c, ol}, r);
    }

    @BackendTest
    void poolsMatchTheDefinition(TestBackends.Case backend) {
        use(backend);
        // {kernel, stride, padding, dilation, ceil}
        for (int[] c : new int[][] {{2, 2, 0, 1, 0}, {3, 2, 1, 1, 0}, {3, 2, 1, 1, 1}, {2, 3, 1, 2, 1}, {4, 1, 2, 1, 0}}) {
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                Inputs.Pair x = in.random(new int[] {2, 3, 10}, dt, Inputs.Layout.NARROWED, -1, 1);
                String what = "pool1d " + Arrays.toString(c);
                boolean ceil = c[4] == 1;
                Check.close("max" + what, new MaxPool1d(c[0], c[1], c[2], c[3], ceil).forward(x.tensor()),
                        poolRef(x.ref(), c[0], c[1], c[2], c[3], ceil, true, false), dt);
                if (c[3] == 1) {
                    for (boolean countPad : new boolean[] {true, false}) {
                        Check.close("avg" + what + " countIncludePad " + countPad, new AvgPool1d(c[0], c[1], c[2], ceil, countPad).forward(x.tensor()),
                                poolRef(x.ref(), c[0], c[1], c[2], 1, ceil, false, countPad), dt);
                    }
                }
            }
        }
        Inputs.Pair x = in.random(new int[] {3, 8}, DType.F32, Inputs.Layout.CONTIGUOUS, -1, 1);
        Check.close("unbatched maxPool1d", Functional.maxPool1d(x.tensor(), 2, 2, 0),
                poolRef(x.ref().unsqueeze(0), 2, 2, 0, 1, false, true, false).select(0, 0), DType.F32);
        Check.close("unbatched avgPool1d", Functional.avgPool1d(x.tensor(), 3, 1, 1),
                poolRef(x.ref().unsqueeze(0), 3, 1, 1, 1, false, false, true).select(0, 0), DType.F32);
    }

    @BackendTest
    void upsampleRepeatsEachEntryIntoABlock(TestBackends.Case backend) {
        use(backend);
        for (int[] shape : new int[][] {{2, 3, 5}, {2, 2, 3, 4}, {1, 2, 2, 3, 2}}) {
            Inputs.Pair x = in.random(shape, DType.F32, Inputs.Layout.PERMUTED, -1, 1);
            int scale = shape.length == 5 ? 2 : 3;
            int[] outShape = shape.clone();
            for (int i = 2; i < shape.length; i++) {
                outShape[i] *= scale;
            }
            double[] e = new double[(int) Ref.numel(outShape)];
            for (int f = 0; f < e.length; f++) {
                int[] idx = Ref.unravel(f, outShape);
                for (int i = 2; i < idx.length; i++) {
                    idx[i] /= scale;
                }
                e[f] = x.ref().get(idx);
            }
            Check.exact("upsample x" + scale + " " + Arrays.toString(shape), new Upsample(scale).forward(x.tensor()), new Ref(outShape, e), DType.F32);
        }
    }

    @BackendTest
    void gradientsMatchFiniteDifferences(TestBackends.Case backend) {
        use(backend);
        Tensor x = Inputs.upload(in.values(new int[] {2, 4, 9}, DType.F64, -1, 1, u -> u), DType.F64).requiresGrad(true);
        Tensor w = Inputs.upload(in.values(new int[] {6, 2, 3}, DType.F64, -1, 1, u -> u), DType.F64).requiresGrad(true);
        Tensor b = Inputs.upload(in.values(new int[] {6}, DType.F64, -1, 1, u -> u), DType.F64).requiresGrad(true);
        assertTrue(Gradcheck.check(a -> Functional.conv1d(a[0], a[1], a[2], 2, 1, 2, 2).pow(2).sum(), x, w, b).passed());
        assertTrue(Gradcheck.check(a -> Functional.avgPool1d(a[0], 3, 2, 1).pow(2).sum(), x).passed());
        assertTrue(Gradcheck.check(a -> Functional.maxPool1d(a[0], 3, 2, 1).pow(2).sum(), x).passed());
        assertTrue(Gradcheck.check(a -> Functional.upsampleNearest(a[0], 2).pow(2).sum(), x).passed());
    }

    @BackendTest
    void modulesHavePyTorchsParametersAndPrinting(TestBackends.Case backend) {
        use(backend);
        try (Conv1d conv = new Conv1d(4, 6, 3, 1, 1, 2, 2, false); Conv1d plain = new Conv1d(3, 4, 3)) {
            assertArrayEquals(new int[] {6, 2, 3}, conv.weight().data().shape());
            assertEquals(null, conv.bias());
            assertEquals("Conv1d(4, 6, kernel_size=(3,), stride=(1,), padding=(1,), dilation=(2,), groups=2, bias=False)", conv.toString());
            assertEquals("Conv1d(3, 4, kernel_size=(3,), stride=(1,))", plain.toString());
            assertEquals(java.util.List.of("weight", "bias"), java.util.List.copyOf(plain.stateDict().keySet()));
            // PyTorch's init: U(±1/√(in/groups · K)) for weight and bias.
            double bound = 1 / Math.sqrt(3 * 3);
            double[] ws = plain.weight().data().toDoubleArray();
            assertTrue(Arrays.stream(ws).allMatch(v -> Math.abs(v) <= bound) && Arrays.stream(ws).anyMatch(v -> Math.abs(v) > bound / 2),
                    Arrays.toString(ws));
            assertArrayEquals(new int[] {2, 4, 5}, plain.forward(Tensor.zeros(DType.F32, 2, 3, 7)).shape());
        }
        assertEquals("MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool1d(2).toString());
        // The short forms of PyTorch's common keyword arguments: bias=False, ceil_mode=True, padding_idx.
        try (Conv1d c1 = new Conv1d(3, 4, 3, 1, 1, false); dev.fathom.nn.Conv2d c2 = new dev.fathom.nn.Conv2d(1, 2, 3, 1, 1, false);
             dev.fathom.nn.Embedding e = new dev.fathom.nn.Embedding(5, 3, 0)) {
            assertEquals(null, c1.bias());
            assertEquals("Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)", c2.toString());
            assertArrayEquals(new float[] {0, 0, 0}, e.weight().data().select(0, 0).toFloatArray());
        }
        assertEquals("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=True)", new dev.fathom.nn.MaxPool2d(2, 2, 0, true).toString());
        assertEquals("AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))", new AvgPool1d(2).toString());
        assertEquals("Upsample(scale_factor=2.0, mode=nearest)", new Upsample(2).toString());
    }

    @BackendTest
    void badInputIsRefusedIn1dTerms(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.zeros(DType.F32, 2, 4, 5), w = Tensor.zeros(DType.F32, 6, 4, 3);
        Check.fails(IllegalArgumentException.class, () -> Functional.conv1d(x.reshape(2, 4, 5, 1), w, null, 1, 0, 1, 1), "conv1d",
                "expects an input (N, C_in, L) or (C_in, L) and a 3-D weight", "[2, 4, 5, 1]");
        Check.fails(IllegalArgumentException.class, () -> Functional.conv1d(x, w, null, 1, 0, 1, 2), "conv1d", "has 4 channels",
                "with groups 2 expects 8");
        Check.fails(IllegalArgumentException.class, () -> Functional.conv1d(x, w, null, 1, 0, 3, 1), "conv1d",
                "of length 5 with padding 0 is shorter than the kernel 3 dilated by 3 (it spans 7)");
        Check.fails(IllegalArgumentException.class, () -> Functional.conv1d(x, w, Tensor.zeros(DType.F32, 4), 1, 0, 1, 1), "conv1d",
                "bias must have shape [6]");
        Check.fails(IllegalArgumentException.class, () -> Functional.conv1d(x, w.to(DType.F64), null, 1, 0, 1, 1), "conv1d", "dtypes differ");
        Check.fails(IllegalArgumentException.class, () -> Functional.conv1d(x, w, null, 0, 0, 1, 1), "conv1d", "need stride >= 1");
        Check.fails(IllegalArgumentException.class, () -> Functional.maxPool1d(x, 2, 2, 2), "maxPool1d", "padding 2 must be at most half the kernel size 2");
        Check.fails(IllegalArgumentException.class, () -> Functional.avgPool1d(x, 7, 1, 0), "avgPool1d", "of length 5 with padding 0 is shorter than the kernel 7");
        Check.fails(IllegalArgumentException.class, () -> Functional.maxPool1d(x.select(0, 0).select(0, 0), 2, 2, 0), "maxPool1d",
                "expects an input (N, C, L) or (C, L), got [5]");
        Check.fails(IllegalArgumentException.class, () -> Functional.upsampleNearest(x.select(0, 0), 2), "upsampleNearest", "got [4, 5]");
        Check.fails(IllegalArgumentException.class, () -> new Upsample(0), "Upsample", "at least 1, got 0");
        Check.fails(IllegalArgumentException.class, () -> new Conv1d(3, 4, 3, 1, 0, 1, 2, true), "Conv1d", "divisible by groups 2");
    }
}
