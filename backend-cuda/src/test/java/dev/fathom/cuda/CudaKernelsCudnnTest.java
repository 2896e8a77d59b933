package dev.fathom.cuda;

import dev.fathom.cuda.CudaDriver.AlgoPerf;
import dev.fathom.cuda.CudaDriver.ConvPass;
import dev.fathom.cuda.ReferenceCudnn.ConvDesc;
import dev.fathom.cuda.ReferenceCudnn.FilterDesc;
import dev.fathom.cuda.ReferenceCudnn.TensorDesc;
import dev.fathom.spi.Buffer;
import dev.fathom.spi.Conv2dGeometry;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Convolution and batch norm routed to cuDNN ({@link CudnnOps}) on the fake driver's reference
 * cuDNN ({@link FakeCudnnDriver}), checked against naive F64 loops written here from the SPI's
 * definitions, on shapes with groups, uneven strides, padding and dilation and operands at
 * offsets: a wrong descriptor, stride, mode, group count or byte offset is a wrong number.
 */
class CudaKernelsCudnnTest {
    /** Groups 2, stride (2, 1), padding (1, 1), dilation (1, 2): OH 4, OW 6. */
    private static final Conv2dGeometry G = Conv2dGeometry.of(2, 4, 7, 6, 6, 3, 2, 2, 1, 1, 1, 1, 2, 2);
    private static final int OFFSET = 3;

    private final Random rng = new Random(5);

    private static CudaKernels open(FakeDriver d, boolean cudnn) {
        return CudaKernels.open(d, 0, 0, KernelImages.shipped(), false, cudnn);
    }

    private double[] randoms(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = Math.round(rng.nextGaussian() * 8) / 4.0;
        }
        return v;
    }

    /** A buffer holding {@code values} from element {@link #OFFSET}, as a contiguous view of {@code shape}. */
    private static Strided put(CudaKernels k, DType dt, double[] values, int... shape) {
        Buffer b = k.allocate(dt, OFFSET + values.length + 2);
        if (dt == DType.F64) {
            k.upload(values, 0, b, OFFSET, values.length);
        } else {
            float[] f = new float[values.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) values[i];
            }
            k.upload(f, 0, b, OFFSET, f.length);
        }
        long[] strides = new long[shape.length];
        for (int d = shape.length - 1, s = 1; d >= 0; s *= shape[d], d--) {
            strides[d] = s;
        }
        return new Strided(b, shape, strides, OFFSET);
    }

    private static Strided zeros(CudaKernels k, DType dt, int... shape) {
        return put(k, dt, new double[numel(shape)], shape);
    }

    private static int numel(int[] shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        return n;
    }

    private static double[] get(CudaKernels k, Strided s) {
        int n = (int) s.numel();
        double[] out = new double[n];
        if (s.buffer().dtype() == DType.F64) {
            k.download(s.buffer(), s.offset(), out, 0, n);
        } else {
            float[] f = new float[n];
            k.download(s.buffer(), s.offset(), f, 0, n);
            for (int i = 0; i < n; i++) {
                out[i] = f[i];
            }
        }
        return out;
    }

    private static void assertClose(double[] want, double[] got, DType dt, String what) {
        double tol = dt == DType.F64 ? 1e-12 : 1e-4;
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(want[i] - got[i]) <= tol * (1 + Math.abs(want[i])), what + " [" + i + "]: want " + want[i]
                    + ", got " + got[i]);
        }
    }

    // ---- reference loops (the SPI's definitions) ----------------------------------------------

    /** {y, dx, dw} of y = conv(x, w) and the gradients of Σ gy·y. */
    private static double[][] convReference(Conv2dGeometry g, double[] x, double[] w, double[] gy) {
        int cinG = g.cInPerGroup(), coutG = g.cOutPerGroup();
        double[] y = new double[g.n() * g.cOut() * g.outH() * g.outW()], dx = new double[x.length], dw = new double[w.length];
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.cOut(); o++) {
                for (int i = 0; i < g.outH(); i++) {
                    for (int j = 0; j < g.outW(); j++) {
                        int yi = ((n * g.cOut() + o) * g.outH() + i) * g.outW() + j;
                        for (int c = 0; c < cinG; c++) {
                            for (int p = 0; p < g.kh(); p++) {
                                for (int q = 0; q < g.kw(); q++) {
                                    int ih = i * g.strideH() - g.padH() + p * g.dilH(), iw = j * g.strideW() - g.padW() + q * g.dilW();
                                    if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                        int xi = ((n * g.cIn() + o / coutG * cinG + c) * g.h() + ih) * g.w() + iw;
                                        int wi = ((o * cinG + c) * g.kh() + p) * g.kw() + q;
                                        y[yi] += x[xi] * w[wi];
                                        dx[xi] += gy[yi] * w[wi];
                                        dw[wi] += gy[yi] * x[xi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {y, dx, dw};
    }

    /** {out, mean, invstd, gradX, gradWeight, gradBias} of training-mode batch norm over x (N, C, S). */
    private static double[][] batchNormReference(double[] x, int n, int c, int s, double[] w, double[] b, double eps, double[] gy) {
        double[] out = new double[x.length], mean = new double[c], inv = new double[c], gx = new double[x.length];
        double[] gw = new double[c], gb = new double[c];
        double m = (double) n * s;
        for (int ch = 0; ch < c; ch++) {
            double sum = 0, sq = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    sum += x[(i * c + ch) * s + k];
                }
            }
            mean[ch] = sum / m;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    double dv = x[(i * c + ch) * s + k] - mean[ch];
                    sq += dv * dv;
                }
            }
            inv[ch] = 1 / Math.sqrt(sq / m + eps);
            double mg = 0, mgx = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    int a = (i * c + ch) * s + k;
                    double xhat = (x[a] - mean[ch]) * inv[ch];
                    out[a] = xhat * w[ch] + b[ch];
                    mg += gy[a] * w[ch] / m;
                    mgx += gy[a] * w[ch] * xhat / m;
                    gw[ch] += gy[a] * xhat;
                    gb[ch] += gy[a];
                }
            }
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    int a = (i * c + ch) * s + k;
                    gx[a] = inv[ch] * (gy[a] * w[ch] - mg - (x[a] - mean[ch]) * inv[ch] * mgx);
                }
            }
        }
        return new double[][] {out, mean, inv, gx, gw, gb};
    }

    // ---- convolution --------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void theThreeConvolutionPassesMatchNaiveLoops(DType dt) {
        FakeCudnnDriver d = new FakeCudnnDriver();
        try (CudaKernels k = open(d, true)) {
            double[] xh = randoms(numel(G.inputShape())), wh = randoms(numel(G.weightShape())), gyh = randoms(numel(G.outputShape()));
            Strided x = put(k, dt, xh, G.inputShape()), w = put(k, dt, wh, G.weightShape()), gy = put(k, dt, gyh, G.outputShape());
            Strided y = zeros(k, dt, G.outputShape()), dx = zeros(k, dt, G.inputShape()), dw = zeros(k, dt, G.weightShape());
            k.conv2dForward(G, x, w, y);
            k.conv2dBackwardData(G, gy, w, dx);
            k.conv2dBackwardWeight(G, x, gy, dw);
            double[][] want = convReference(G, xh, wh, gyh);
            assertClose(want[0], get(k, y), dt, "y");
            assertClose(want[1], get(k, dx), dt, "dx");
            assertClose(want[2], get(k, dw), dt, "dw");
            // The first deterministic, supported, FMA algorithm of each ranking; never an own kernel.
            assertEquals(List.of(ConvPass.FORWARD, ConvPass.BACKWARD_DATA, ConvPass.BACKWARD_FILTER),
                    d.convCalls().stream().map(ReferenceCudnn.ConvCall::pass).toList());
            assertEquals(List.of(1, 1, 1), d.convCalls().stream().map(ReferenceCudnn.ConvCall::algo).toList());
            assertEquals(List.of(4096L, 2048L, 1024L), d.convCalls().stream().map(ReferenceCudnn.ConvCall::workspaceBytes).toList());
            assertTrue(d.launches().isEmpty(), "no own kernel ran: " + d.launches());
        }
    }

    @Test
    void descriptorsCarryTheGeometry() {
        FakeCudnnDriver d = new FakeCudnnDriver();
        try (CudaKernels k = open(d, true)) {
            k.conv2dForward(G, zeros(k, DType.F32, G.inputShape()), zeros(k, DType.F32, G.weightShape()),
                    zeros(k, DType.F32, G.outputShape()));
            assertEquals(List.of(new TensorDesc(false, 2, 4, 7, 6, 168, 42, 6, 1), new TensorDesc(false, 2, 6, 4, 6, 144, 24, 6, 1)),
                    d.descriptors(TensorDesc.class));
            assertEquals(List.of(new FilterDesc(false, 6, 2, 3, 2)), d.descriptors(FilterDesc.class));
            assertEquals(List.of(new ConvDesc(false, 1, 1, 2, 1, 1, 2, 2, CudnnOps.CROSS_CORRELATION, CudnnOps.FMA_MATH)),
                    d.descriptors(ConvDesc.class));
        }
        assertEquals(0, d.liveDescriptors(), "close destroys the cached descriptors");
        assertEquals(1, d.calls("cudnnCreate"));
        assertEquals(1, d.calls("cudnnDestroy"), "the handle goes with the device");
    }

    @Test
    void repeatedStepsReuseDescriptorsAlgorithmsAndWorkspaces() {
        FakeCudnnDriver d = new FakeCudnnDriver();
        try (CudaKernels k = open(d, true)) {
            Strided x = zeros(k, DType.F32, G.inputShape()), w = zeros(k, DType.F32, G.weightShape());
            Strided y = zeros(k, DType.F32, G.outputShape()), dx = zeros(k, DType.F32, G.inputShape());
            Strided dw = zeros(k, DType.F32, G.weightShape());
            long live = k.memoryStats().liveBytes();
            int allocs = 0, descs = 0, heuristics = 0;
            for (int step = 0; step < 3; step++) {
                k.conv2dForward(G, x, w, y);
                k.conv2dBackwardData(G, y, w, dx);
                k.conv2dBackwardWeight(G, x, y, dw);
                k.synchronize();
                if (step == 0) {
                    allocs = d.calls("cuMemAlloc");
                    descs = d.calls("cudnnCreateTensorDescriptor") + d.calls("cudnnCreateFilterDescriptor")
                            + d.calls("cudnnCreateConvolutionDescriptor");
                    heuristics = d.calls("cudnnGetConvolutionAlgorithm_v7");
                }
            }
            assertEquals(4, descs, "x, w, conv and y descriptors once");
            assertEquals(3, heuristics, "one heuristics query per pass");
            assertEquals(allocs, d.calls("cuMemAlloc"), "later steps take their workspaces from the allocator's cache");
            assertEquals(descs, d.calls("cudnnCreateTensorDescriptor") + d.calls("cudnnCreateFilterDescriptor")
                    + d.calls("cudnnCreateConvolutionDescriptor"));
            assertEquals(heuristics, d.calls("cudnnGetConvolutionAlgorithm_v7"));
            assertEquals(9, d.convCalls().size());
            assertTrue(d.convCalls().stream().allMatch(c -> c.workspace() != 0));
            assertEquals(live, k.memoryStats().liveBytes(), "workspaces went back");
        }
    }

    @Test
    void theMeasuredFastestCandidateServesAndTheSearchRunsOncePerGeometry() {
        FakeCudnnDriver d = new FakeCudnnDriver();
        // Forward: the heuristics rank algorithm 1 (4096 B of workspace) above 0 (none), and 0 runs faster.
        d.times(ConvPass.FORWARD, Map.of(1, 5.0f, 0, 0.5f));
        // Backward data: the non-deterministic 0 is fastest of all, and is still never taken.
        d.ranking(ConvPass.BACKWARD_DATA, List.of(new AlgoPerf(0, 0, 0, false, CudnnOps.FMA_MATH),
                new AlgoPerf(1, 0, 2048, true, CudnnOps.FMA_MATH), new AlgoPerf(4, 0, 512, true, CudnnOps.FMA_MATH)));
        d.times(ConvPass.BACKWARD_DATA, Map.of(0, 0.1f, 1, 3.0f, 4, 2.0f));
        try (CudaKernels k = open(d, true)) {
            double[] xh = randoms(numel(G.inputShape())), wh = randoms(numel(G.weightShape())), gyh = randoms(numel(G.outputShape()));
            Strided x = put(k, DType.F32, xh, G.inputShape()), w = put(k, DType.F32, wh, G.weightShape());
            Strided gy = put(k, DType.F32, gyh, G.outputShape());
            Strided y = zeros(k, DType.F32, G.outputShape()), dx = zeros(k, DType.F32, G.inputShape());
            long live = k.memoryStats().liveBytes();
            for (int step = 0; step < 2; step++) {
                k.conv2dForward(G, x, w, y);
                k.conv2dBackwardData(G, gy, w, dx);
            }
            k.synchronize();
            double[][] want = convReference(G, xh, wh, gyh);
            assertClose(want[0], get(k, y), DType.F32, "y after the search wrote it");
            assertClose(want[1], get(k, dx), DType.F32, "dx after the search wrote it");
            assertEquals(List.of(0, 4, 0, 4), d.convCalls().stream().map(ReferenceCudnn.ConvCall::algo).toList());
            assertEquals(List.of(0L, 512L, 0L, 512L), d.convCalls().stream().map(ReferenceCudnn.ConvCall::workspaceBytes).toList());
            assertEquals(2, d.calls("cudnnFindConvolutionAlgorithmEx"), "one search per pass, then the cached choice");
            assertEquals(live, k.memoryStats().liveBytes(), "the search's workspace went back");
        }
    }

    @Test
    void theHeuristicSearchTakesTheRankingsFirstCandidateAndMeasuresNothing() {
        FakeCudnnDriver d = new FakeCudnnDriver();
        d.times(ConvPass.FORWARD, Map.of(1, 5.0f, 0, 0.5f));
        withSearch("heuristic", () -> {
            try (CudaKernels k = open(d, true)) {
                k.conv2dForward(G, zeros(k, DType.F32, G.inputShape()), zeros(k, DType.F32, G.weightShape()),
                        zeros(k, DType.F32, G.outputShape()));
                k.synchronize();
                assertEquals(List.of(1), d.convCalls().stream().map(ReferenceCudnn.ConvCall::algo).toList());
                assertEquals(0, d.calls("cudnnFindConvolutionAlgorithmEx"));
            }
        });
    }

    /** Runs {@code body} with {@value CudnnAlgoSearch#PROPERTY} set to {@code value}, then restores it. */
    private static void withSearch(String value, Runnable body) {
        String before = System.getProperty(CudnnAlgoSearch.PROPERTY);
        System.setProperty(CudnnAlgoSearch.PROPERTY, value);
        try {
            body.run();
        } finally {
            if (before == null) {
                System.clearProperty(CudnnAlgoSearch.PROPERTY);
            } else {
                System.setProperty(CudnnAlgoSearch.PROPERTY, before);
            }
        }
    }

    @Test
    void anUnknownSearchIsRejectedByName() {
        withSearch("fastest", () -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, CudnnAlgoSearch::configured);
            assertTrue(e.getMessage().contains("-Dfathom.cuda.cudnn.algorithms=fastest") && e.getMessage().contains("measured")
                    && e.getMessage().contains("heuristic"), e.getMessage());
            assertEquals(e.getMessage(), CudnnAlgoSearch.describeConfigured(), "the plan line says so instead of failing");
        });
    }

    @Test
    void aPassWithNoDeterministicFmaAlgorithmStaysOnTheOwnKernels() {
        FakeCudnnDriver d = new FakeCudnnDriver();
        d.anyKernel();
        d.ranking(ConvPass.FORWARD, List.of(new AlgoPerf(0, 0, 0, false, CudnnOps.FMA_MATH), new AlgoPerf(1, 0, 0, true, 1),
                new AlgoPerf(2, 0, CudnnOps.MAX_WORKSPACE_BYTES + 1, true, CudnnOps.FMA_MATH)));
        try (CudaKernels k = open(d, true)) {
            Strided x = zeros(k, DType.F32, G.inputShape()), w = zeros(k, DType.F32, G.weightShape());
            Strided y = zeros(k, DType.F32, G.outputShape());
            k.conv2dForward(G, x, w, y);
            k.conv2dForward(G, x, w, y);
            k.conv2dBackwardData(G, y, w, x);
            k.synchronize();
            assertEquals(2, d.launches("conv2d_fwd_f32").size());
            assertEquals(2, d.calls("cudnnGetConvolutionAlgorithm_v7"), "one query per pass: the answer 'none' is cached too");
            assertEquals(List.of(ConvPass.BACKWARD_DATA), d.convCalls().stream().map(ReferenceCudnn.ConvCall::pass).toList());
        }
    }

    @Test
    void emptyBatchesAndTheDisabledPlanUseTheOwnKernels() {
        FakeCudnnDriver d = new FakeCudnnDriver();
        d.anyKernel();
        Conv2dGeometry empty = Conv2dGeometry.of(0, 4, 7, 6, 6, 3, 2, 2, 1, 1, 1, 1, 2, 2);
        try (CudaKernels k = open(d, true)) {
            k.conv2dBackwardWeight(empty, zeros(k, DType.F32, empty.inputShape()), zeros(k, DType.F32, empty.outputShape()),
                    zeros(k, DType.F32, empty.weightShape()));
            k.synchronize();
            assertEquals(1, d.launches("conv2d_bwd_weight_f32").size(), "the own kernel writes the zero gradient");
        }
        FakeCudnnDriver off = new FakeCudnnDriver();
        off.anyKernel();
        try (CudaKernels k = open(off, false)) {
            k.conv2dForward(G, zeros(k, DType.F32, G.inputShape()), zeros(k, DType.F32, G.weightShape()),
                    zeros(k, DType.F32, G.outputShape()));
            k.synchronize();
            assertEquals(1, off.launches("conv2d_fwd_f32").size());
        }
        assertEquals(0, off.calls("cudnnCreate"), "a plan without cuDNN never touches it");
    }

    @Test
    void badOperandsGetTheOwnKernelsMessage() {
        FakeCudnnDriver d = new FakeCudnnDriver();
        try (CudaKernels k = open(d, true)) {
            Strided x = zeros(k, DType.F32, G.inputShape()), y = zeros(k, DType.F32, G.outputShape());
            Strided w64 = zeros(k, DType.F64, G.weightShape());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.conv2dForward(G, x, w64, y));
            assertTrue(e.getMessage().startsWith("cuda: conv2dForward: w "), e.getMessage());
            assertTrue(d.convCalls().isEmpty());
        }
    }

    @Test
    void aFailingCudnnCallNamesTheOpShapesCallAndStatus() {
        FakeCudnnDriver d = new FakeCudnnDriver() {
            @Override
            public synchronized int cudnnConvolution(long handle, ConvPass pass, boolean f64, double alpha, long xDesc, long x,
                    long wDesc, long w, long convDesc, int algo, long workspace, long workspaceBytes, double beta, long yDesc,
                    long y) {
                return EXECUTION_FAILED;
            }
        };
        try (CudaKernels k = open(d, true)) {
            Strided x = zeros(k, DType.F64, G.inputShape()), w = zeros(k, DType.F64, G.weightShape());
            Strided y = zeros(k, DType.F64, G.outputShape());
            long live = k.memoryStats().liveBytes();
            CudaException e = assertThrows(CudaException.class, () -> k.conv2dForward(G, x, w, y));
            assertEquals("cuda: conv2dForward " + ConvGeometry.describe(G) + " F64 failed in cudnnConvolutionForward (algo 1, "
                    + "workspace 4096 bytes): CUDNN_STATUS_EXECUTION_FAILED (5000); -Dfathom.cuda.cudnn=false uses the own kernels"
                    + " instead", e.getMessage());
            assertEquals(live, k.memoryStats().liveBytes(), "the workspace went back");
        }
    }

    @Test
    void aFailingCudnnCreateSaysHowToTurnItOff() {
        FakeCudnnDriver d = new FakeCudnnDriver() {
            @Override
            public synchronized int cudnnCreate(long[] handle, long stream) {
                return 1001;
            }
        };
        try (CudaKernels k = open(d, true)) {
            Strided x = zeros(k, DType.F32, G.inputShape()), w = zeros(k, DType.F32, G.weightShape());
            Strided y = zeros(k, DType.F32, G.outputShape());
            CudaException e = assertThrows(CudaException.class, () -> k.conv2dForward(G, x, w, y));
            assertEquals("cuda:0: cudnnCreate failed: CUDNN_STATUS_UNKNOWN 1001 (1001); run with -Dfathom.cuda.cudnn=false to use"
                    + " the own kernels", e.getMessage());
        }
    }

    // ---- batch norm ---------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void batchNormForwardAndBackwardMatchNaiveLoops(DType dt) {
        for (int[] shape : new int[][] {{3, 5, 4, 3}, {7, 3}, {2, 3, 5}}) {
            FakeCudnnDriver d = new FakeCudnnDriver();
            try (CudaKernels k = open(d, true)) {
                int n = shape[0], c = shape[1], s = 1;
                for (int i = 2; i < shape.length; i++) {
                    s *= shape[i];
                }
                double[] xh = randoms(n * c * s), wh = randoms(c), bh = randoms(c), gyh = randoms(n * c * s);
                double eps = 1e-5;
                Strided x = put(k, dt, xh, shape), w = put(k, dt, wh, c), b = put(k, dt, bh, c), gy = put(k, dt, gyh, shape);
                Strided out = zeros(k, dt, shape), mean = zeros(k, dt, c), inv = zeros(k, dt, c);
                Strided gx = zeros(k, dt, shape), gw = zeros(k, dt, c), gb = zeros(k, dt, c);
                k.batchNorm(x, w, b, eps, out, mean, inv);
                k.batchNormBackward(gy, x, mean, inv, w, gx, gw, gb);
                double[][] want = batchNormReference(xh, n, c, s, wh, bh, eps, gyh);
                String where = java.util.Arrays.toString(shape) + " ";
                assertClose(want[0], get(k, out), dt, where + "out");
                assertClose(want[1], get(k, mean), dt, where + "mean");
                assertClose(want[2], get(k, inv), dt, where + "invstd");
                assertClose(want[3], get(k, gx), dt, where + "gradX");
                assertClose(want[4], get(k, gw), dt, where + "gradWeight");
                assertClose(want[5], get(k, gb), dt, where + "gradBias");
                assertEquals(1, d.calls("cudnnBatchNormalizationForwardTraining"));
                assertEquals(1, d.calls("cudnnBatchNormalizationBackward"));
                assertTrue(d.launches().isEmpty(), "no own kernel ran: " + d.launches());
                List<TensorDesc> descs = d.descriptors(TensorDesc.class);
                assertEquals(List.of(new TensorDesc(dt == DType.F64, n, c, s, 1, c * s, s, 1, 1),
                        new TensorDesc(dt == DType.F64, 1, c, 1, 1, c, 1, 1, 1)), descs, "one cached pair for both passes");
            }
        }
    }

    @Test
    void batchNormWithoutAffineParametersUsesOnesZerosAndScratchGradients() {
        FakeCudnnDriver d = new FakeCudnnDriver();
        try (CudaKernels k = open(d, true)) {
            int n = 4, c = 3, s = 5;
            double[] xh = randoms(n * c * s), gyh = randoms(n * c * s);
            Strided x = put(k, DType.F64, xh, n, c, s), gy = put(k, DType.F64, gyh, n, c, s), out = zeros(k, DType.F64, n, c, s);
            Strided mean = zeros(k, DType.F64, c), inv = zeros(k, DType.F64, c), gx = zeros(k, DType.F64, n, c, s);
            long live = k.memoryStats().liveBytes();
            k.batchNorm(x, null, null, 1e-3, out, mean, inv);
            k.batchNormBackward(gy, x, mean, inv, null, gx, null, null);
            double[] ones = new double[c];
            java.util.Arrays.fill(ones, 1);
            double[][] want = batchNormReference(xh, n, c, s, ones, new double[c], 1e-3, gyh);
            assertClose(want[0], get(k, out), DType.F64, "out");
            assertClose(want[2], get(k, inv), DType.F64, "invstd");
            assertClose(want[3], get(k, gx), DType.F64, "gradX");
            assertEquals(live, k.memoryStats().liveBytes(), "the scratch vectors went back");
            assertEquals(1, d.calls("cudnnBatchNormalizationBackward"));
        }
    }

    @Test
    void batchNormWithATinyEpsUsesTheOwnKernels() {
        FakeCudnnDriver d = new FakeCudnnDriver();
        d.anyKernel();
        try (CudaKernels k = open(d, true)) {
            Strided x = put(k, DType.F32, randoms(24), 4, 3, 2), out = zeros(k, DType.F32, 4, 3, 2);
            Strided w = put(k, DType.F32, randoms(3), 3), b = zeros(k, DType.F32, 3);
            Strided mean = zeros(k, DType.F32, 3), inv = zeros(k, DType.F32, 3);
            k.batchNorm(x, w, b, 1e-7, out, mean, inv);
            k.synchronize();
            assertEquals(1, d.launches("batch_norm_f32").size());
            assertEquals(0, d.calls("cudnnBatchNormalizationForwardTraining"));
        }
    }

    @Test
    void aFailingBatchNormNamesTheCall() {
        FakeCudnnDriver d = new FakeCudnnDriver() {
            @Override
            public synchronized int cudnnBatchNormBackward(long handle, int mode, boolean f64, double alphaData, double betaData,
                    double alphaParam, double betaParam, long xDesc, long x, long dyDesc, long dy, long dxDesc, long dx,
                    long bnDesc, long scale, long dScale, long dBias, double eps, long savedMean, long savedInvStd) {
                return NOT_SUPPORTED;
            }
        };
        try (CudaKernels k = open(d, true)) {
            Strided x = zeros(k, DType.F32, 4, 3), c1 = zeros(k, DType.F32, 3), c2 = zeros(k, DType.F32, 3);
            Strided c3 = zeros(k, DType.F32, 3), c4 = zeros(k, DType.F32, 3), c5 = zeros(k, DType.F32, 3);
            CudaException e = assertThrows(CudaException.class, () -> k.batchNormBackward(x, x, c1, c2, c3, x, c4, c5));
            assertEquals("cuda: batchNormBackward x [4, 3] F32 failed in cudnnBatchNormalizationBackward: "
                    + "CUDNN_STATUS_NOT_SUPPORTED (3000); -Dfathom.cuda.cudnn=false uses the own kernels instead", e.getMessage());
        }
    }

    @Test
    void convolutionAndBatchNormNeverUseTheDevicesOneCudnnHandleAtOnce() throws Exception {
        java.util.concurrent.CountDownLatch inConv = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger overlaps = new java.util.concurrent.atomic.AtomicInteger();
        FakeCudnnDriver d = new FakeCudnnDriver() {
            // Not synchronized: the fake's own lock would serialize the calls whatever the backend does.
            @Override
            public int cudnnConvolution(long handle, ConvPass pass, boolean f64, double alpha, long xDesc, long x, long wDesc,
                    long w, long convDesc, int algo, long workspace, long workspaceBytes, double beta, long yDesc, long y) {
                inside.incrementAndGet();
                inConv.countDown();
                try {
                    release.await(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                inside.decrementAndGet();
                return super.cudnnConvolution(handle, pass, f64, alpha, xDesc, x, wDesc, w, convDesc, algo, workspace,
                        workspaceBytes, beta, yDesc, y);
            }

            @Override
            public int cudnnBatchNormForwardTraining(long handle, int mode, boolean f64, double alpha, double beta, long xDesc,
                    long x, long yDesc, long y, long bnDesc, long scale, long bias, double eps, long saveMean, long saveInvStd) {
                if (inside.get() > 0) {
                    overlaps.incrementAndGet();
                }
                return super.cudnnBatchNormForwardTraining(handle, mode, f64, alpha, beta, xDesc, x, yDesc, y, bnDesc, scale, bias,
                        eps, saveMean, saveInvStd);
            }
        };
        d.anyKernel();
        try (CudaKernels k = open(d, true)) {
            withSearch("heuristic", () -> {
                Strided x = zeros(k, DType.F32, G.inputShape()), w = zeros(k, DType.F32, G.weightShape());
                Strided y = zeros(k, DType.F32, G.outputShape());
                Strided bx = zeros(k, DType.F32, 4, 3, 5), bo = zeros(k, DType.F32, 4, 3, 5), mean = zeros(k, DType.F32, 3),
                        inv = zeros(k, DType.F32, 3);
                Thread conv = new Thread(() -> k.conv2dForward(G, x, w, y));
                conv.start();
                try {
                    assertTrue(inConv.await(10, java.util.concurrent.TimeUnit.SECONDS));
                    Thread norm = new Thread(() -> k.batchNorm(bx, null, null, 1e-3, bo, mean, inv));
                    norm.start();
                    norm.join(300); // the batch norm waits for the handle; before the fix it ran inside the convolution
                    release.countDown();
                    conv.join(10_000);
                    norm.join(10_000);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                assertEquals(1, d.calls("cudnnBatchNormalizationForwardTraining"));
                assertEquals(0, overlaps.get(), "cudnnBatchNormalizationForwardTraining ran while a convolution held the handle");
            });
        }
    }
}
