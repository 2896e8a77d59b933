package dev.fathom.cuda;

import dev.fathom.cuda.CudaDriver.AlgoPerf;
import dev.fathom.cuda.CudaDriver.ConvPass;
import dev.fathom.spi.Conv2dGeometry;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Convolution and batch normalization through cuDNN, when the device's plan routes them there
 * ({@link CudaPlan#cudnn()}). Each entry point returns false, having done nothing, for a call it
 * does not take (no cuDNN here, an empty batch, a layout or parameter outside what it maps); the
 * own kernels then serve it and report any bad input with their messages.
 *
 * <p>Mapping: operands are NCHW contiguous F32 or F64 (the SPI's layout), described to cuDNN as
 * 4-D tensors with explicit strides and the weight as a packed NCHW filter; the convolution is
 * {@code CUDNN_CROSS_CORRELATION} (what PyTorch computes), with the geometry's padding, stride,
 * dilation and group count, compute type of the data's precision, and {@code CUDNN_FMA_MATH} so
 * that F32 never silently becomes TF32 on Ampere and newer (the CPU parity bound is 1e-4). Batch
 * norm is {@link CudnnBatchNorm}'s. Results overwrite (alpha 1, beta 0).
 *
 * <p>Algorithms: the own kernels are deterministic, so cuDNN is held to the same standard, as
 * {@code torch.backends.cudnn.deterministic = True} does: per geometry and pass, the candidates are
 * the algorithms of {@code cudnnGetConvolution*Algorithm_v7} that support the problem, are
 * {@code CUDNN_DETERMINISTIC}, do not need tensor-op math and need at most
 * {@value #MAX_WORKSPACE_BYTES} bytes of workspace. (cuDNN marks backward-data {@code ALGO_0} and
 * backward-filter {@code ALGO_0} and {@code ALGO_3} non-deterministic: they accumulate with
 * atomics, and are skipped.) Of those, {@link CudnnAlgoSearch} picks one: by default the fastest as
 * {@code cudnnFind*AlgorithmEx} measures it on the first call's buffers, or the heuristics' first.
 * A pass with no candidate stays on the own kernels for that geometry.
 *
 * <p>Caching: descriptors and chosen algorithms are kept per geometry and dtype until
 * {@link #close}. Workspaces come from the device's caching allocator and go back as soon as
 * the call is enqueued (reused only by later work on the same stream), so a repeated step calls
 * {@code cuMemAlloc} only the first time. Every cuDNN call is checked; a failure names the op,
 * the shapes, the cuDNN call and its status string.
 */
final class CudnnOps implements AutoCloseable {
    /** {@code CUDNN_CROSS_CORRELATION}. */
    static final int CROSS_CORRELATION = 1;
    /** {@code CUDNN_FMA_MATH}: FMA units only, no tensor cores, no TF32. */
    static final int FMA_MATH = 3;
    /** {@code CUDNN_DEFAULT_MATH}, which a heuristic may report next to FMA for the same algorithm. */
    static final int DEFAULT_MATH = 0;
    /** The most workspace one convolution pass may ask for. */
    static final long MAX_WORKSPACE_BYTES = 1L << 30;

    private final CudaKernels kernels;
    private final CudaDevice device;
    private final CudaDriver driver;
    private final Map<ConvKey, ConvDescs> convs = new HashMap<>();
    private final CudnnBatchNorm norm;
    private final CudnnAlgoSearch search = CudnnAlgoSearch.configured();

    private record ConvKey(Conv2dGeometry g, boolean f64) {
    }

    /** One pass's algorithm and workspace; {@link #NONE} when cuDNN has no deterministic algorithm for it. */
    record Algo(int algo, long workspaceBytes) {
        static final Algo NONE = new Algo(-1, 0);
    }

    /** The descriptors of one geometry and, once chosen, each pass's algorithm (by {@link ConvPass#ordinal}). */
    static final class ConvDescs {
        final long x, w, conv, y;
        final Algo[] algos = new Algo[ConvPass.values().length];

        ConvDescs(long x, long w, long conv, long y) {
            this.x = x;
            this.w = w;
            this.conv = conv;
            this.y = y;
        }
    }

    CudnnOps(CudaKernels kernels, CudaDevice device) {
        this.kernels = Objects.requireNonNull(kernels, "kernels");
        this.device = Objects.requireNonNull(device, "device");
        this.driver = device.driver();
        this.norm = new CudnnBatchNorm(this);
    }

    CudaKernels kernels() {
        return kernels;
    }

    CudaDevice device() {
        return device;
    }

    CudaDriver driver() {
        return driver;
    }

    // ---- convolution --------------------------------------------------------------------------

    boolean conv2dForward(Conv2dGeometry g, Strided x, Strided w, Strided out) {
        return conv("conv2dForward", ConvPass.FORWARD, g, x, w, out);
    }

    boolean conv2dBackwardData(Conv2dGeometry g, Strided gradOut, Strided w, Strided gradIn) {
        return conv("conv2dBackwardData", ConvPass.BACKWARD_DATA, g, gradIn, w, gradOut);
    }

    boolean conv2dBackwardWeight(Conv2dGeometry g, Strided x, Strided gradOut, Strided gradW) {
        return conv("conv2dBackwardWeight", ConvPass.BACKWARD_FILTER, g, x, gradW, gradOut);
    }

    /** One pass over the forward operands x, w, y (the pass says which one is written). */
    private synchronized boolean conv(String op, ConvPass pass, Conv2dGeometry g, Strided x, Strided w, Strided y) {
        if (g == null || !validGeometry(g)) {
            return false;
        }
        DType dt = x == null ? null : x.buffer().dtype();
        if (dt != DType.F32 && dt != DType.F64 || !fits(x, g.inputShape(), dt) || !fits(w, g.weightShape(), dt)
                || !fits(y, g.outputShape(), dt)) {
            return false;
        }
        long xa = address(x, op), wa = address(w, op), ya = address(y, op);  // first: they make the context current
        long handle = device.dnn();
        if (handle == 0) {
            return false;
        }
        boolean f64 = dt == DType.F64;
        String shapes = ConvGeometry.describe(g) + " " + dt;
        ConvDescs d = convDescs(op, shapes, g, f64);
        Algo algo = d.algos[pass.ordinal()];
        if (algo == null) {
            algo = choose(op, shapes, handle, pass, d, xa, wa, ya);
            d.algos[pass.ordinal()] = algo;
        }
        if (algo == Algo.NONE) {
            return false;
        }
        long ws = algo.workspaceBytes() == 0 ? 0 : device.allocator().allocate(op + " (cuDNN workspace)", algo.workspaceBytes());
        try {
            check(op, shapes, pass.call() + " (algo " + algo.algo() + ", workspace " + algo.workspaceBytes() + " bytes)",
                    driver.cudnnConvolution(handle, pass, f64, 1.0, d.x, xa, d.w, wa, d.conv, algo.algo(), ws,
                            algo.workspaceBytes(), 0.0, d.y, ya));
            synced(op, shapes);
        } finally {
            if (ws != 0) {
                device.allocator().free(ws);
            }
        }
        return true;
    }

    private ConvDescs convDescs(String op, Object shapes, Conv2dGeometry g, boolean f64) {
        ConvKey key = new ConvKey(g, f64);
        ConvDescs d = convs.get(key);
        if (d != null) {
            return d;
        }
        long[] h = new long[1];
        List<Long> made = new ArrayList<>();
        try {
            check(op, shapes, "cudnnSetTensor4dDescriptorEx(x)", driver.cudnnCreateTensorDescriptor(h, f64, g.n(), g.cIn(), g.h(),
                    g.w(), g.cIn() * g.h() * g.w(), g.h() * g.w(), g.w(), 1));
            made.add(h[0]);
            check(op, shapes, "cudnnSetFilter4dDescriptor(w)", driver.cudnnCreateFilterDescriptor(h, f64, g.cOut(),
                    g.cInPerGroup(), g.kh(), g.kw()));
            made.add(h[0]);
            check(op, shapes, "cudnnSetConvolution2dDescriptor", driver.cudnnCreateConvolutionDescriptor(h, f64, g.padH(),
                    g.padW(), g.strideH(), g.strideW(), g.dilH(), g.dilW(), g.groups(), CROSS_CORRELATION, FMA_MATH));
            made.add(h[0]);
            check(op, shapes, "cudnnSetTensor4dDescriptorEx(y)", driver.cudnnCreateTensorDescriptor(h, f64, g.n(), g.cOut(),
                    g.outH(), g.outW(), g.cOut() * g.outH() * g.outW(), g.outH() * g.outW(), g.outW(), 1));
            made.add(h[0]);
        } catch (RuntimeException e) {
            made.forEach(driver::cudnnDestroyDescriptor);
            throw e;
        }
        d = new ConvDescs(made.get(0), made.get(1), made.get(2), made.get(3));
        convs.put(key, d);
        return d;
    }

    /**
     * The algorithm for {@code pass}: of the heuristics' candidates that support the problem, are
     * deterministic, use FMA math and fit the workspace cap (with their exact workspace size for our
     * descriptors' math), the one {@link #search} picks, run on the call's own buffers when it
     * measures; {@link Algo#NONE} when there is no candidate.
     */
    private Algo choose(String op, Object shapes, long handle, ConvPass pass, ConvDescs d, long xa, long wa, long ya) {
        List<AlgoPerf> ranked = new ArrayList<>();
        check(op, shapes, heuristic(pass), driver.cudnnGetConvolutionAlgorithms(handle, pass, d.x, d.w, d.conv, d.y, ranked));
        List<Algo> candidates = new ArrayList<>();
        for (AlgoPerf a : ranked) {
            if (a.status() != 0 || !a.deterministic() || (a.mathType() != FMA_MATH && a.mathType() != DEFAULT_MATH)
                    || a.memory() > MAX_WORKSPACE_BYTES || candidates.stream().anyMatch(c -> c.algo() == a.algo())) {
                continue;
            }
            long[] bytes = new long[1];
            // The exact size for our descriptor's math; an algorithm the heuristics rated under
            // another math type may not run under FMA, which this query reports: skip it.
            if (driver.cudnnGetConvolutionWorkspaceSize(handle, pass, d.x, d.w, d.conv, d.y, a.algo(), bytes) == 0
                    && bytes[0] <= MAX_WORKSPACE_BYTES) {
                candidates.add(new Algo(a.algo(), bytes[0]));
            }
        }
        if (candidates.isEmpty()) {
            return Algo.NONE;
        }
        if (search == CudnnAlgoSearch.HEURISTIC || candidates.size() == 1) {
            return candidates.get(0);
        }
        return fastest(op, shapes, handle, pass, d, xa, wa, ya, candidates);
    }

    /**
     * The measured fastest of {@code candidates}: {@code cudnnFind*AlgorithmEx} runs every
     * algorithm once on the call's buffers (writing only the pass's output, which the call then
     * overwrites) with a workspace as large as the largest candidate's.
     */
    private Algo fastest(String op, Object shapes, long handle, ConvPass pass, ConvDescs d, long xa, long wa, long ya,
            List<Algo> candidates) {
        long wsBytes = candidates.stream().mapToLong(Algo::workspaceBytes).max().orElse(0);
        long ws = wsBytes == 0 ? 0 : device.allocator().allocate(op + " (cuDNN algorithm search workspace)", wsBytes);
        List<AlgoPerf> measured = new ArrayList<>();
        try {
            check(op, shapes, find(pass) + " (workspace " + wsBytes + " bytes)", driver.cudnnFindConvolutionAlgorithms(handle,
                    pass, d.x, xa, d.w, wa, d.conv, d.y, ya, ws, wsBytes, measured));
        } finally {
            if (ws != 0) {
                device.allocator().free(ws);
            }
        }
        Algo best = null;
        float bestMs = Float.POSITIVE_INFINITY;
        for (AlgoPerf m : measured) {
            // The search also times what the candidates left out (non-deterministic algorithms,
            // other math): only a candidate, measured as deterministic FMA math, can win.
            if (m.status() != 0 || !m.deterministic() || (m.mathType() != FMA_MATH && m.mathType() != DEFAULT_MATH)
                    || !(m.timeMs() < bestMs)) {
                continue;
            }
            for (Algo c : candidates) {
                if (c.algo() == m.algo()) {
                    best = c;
                    bestMs = m.timeMs();
                }
            }
        }
        // A search that ran none of them (each failed for want of memory, say) leaves the ranking's choice.
        return best != null ? best : candidates.get(0);
    }

    /** The algorithm cached for {@code g}'s pass, null before its first call (for tests). */
    synchronized Algo chosen(Conv2dGeometry g, DType dtype, ConvPass pass) {
        ConvDescs d = convs.get(new ConvKey(g, dtype == DType.F64));
        return d == null ? null : d.algos[pass.ordinal()];
    }

    /** Descriptor sets held (for tests). */
    synchronized int cachedDescriptorSets() {
        return convs.size() + norm.cachedDescriptorSets();
    }

    private static boolean validGeometry(Conv2dGeometry g) {
        try {
            ConvGeometry.of(g);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return g.n() > 0 && (long) g.n() * g.cIn() * g.h() * g.w() <= Integer.MAX_VALUE
                && (long) g.n() * g.cOut() * g.outH() * g.outW() <= Integer.MAX_VALUE;
    }

    private static String find(ConvPass pass) {
        return switch (pass) {
            case FORWARD -> "cudnnFindConvolutionForwardAlgorithmEx";
            case BACKWARD_DATA -> "cudnnFindConvolutionBackwardDataAlgorithmEx";
            case BACKWARD_FILTER -> "cudnnFindConvolutionBackwardFilterAlgorithmEx";
        };
    }

    private static String heuristic(ConvPass pass) {
        return switch (pass) {
            case FORWARD -> "cudnnGetConvolutionForwardAlgorithm_v7";
            case BACKWARD_DATA -> "cudnnGetConvolutionBackwardDataAlgorithm_v7";
            case BACKWARD_FILTER -> "cudnnGetConvolutionBackwardFilterAlgorithm_v7";
        };
    }

    // ---- batch normalization (CudnnBatchNorm) ------------------------------------------------

    boolean batchNorm(Strided x, Strided weight, Strided bias, double eps, Strided out, Strided mean, Strided invstd) {
        return norm.batchNorm(x, weight, bias, eps, out, mean, invstd);
    }

    boolean batchNormBackward(Strided gradOut, Strided x, Strided mean, Strided invstd, Strided weight, Strided gradX,
                              Strided gradWeight, Strided gradBias) {
        return norm.batchNormBackward(gradOut, x, mean, invstd, weight, gradX, gradWeight, gradBias);
    }

    // ---- shared -------------------------------------------------------------------------------

    /** Whether s is there, of dtype dt and shape {@code shape}, contiguous and inside its buffer. */
    static boolean fits(Strided s, int[] shape, DType dt) {
        return s != null && s.buffer().dtype() == dt && Arrays.equals(s.shape(), shape) && s.isContiguous() && s.offset() >= 0
                && s.offset() + s.numel() <= s.buffer().capacity();
    }

    /** The device byte address of s's first element (its buffer checked to be a live one of these kernels). */
    long address(Strided s, String op) {
        return kernels.buffer(s, op).address() + s.offset() * s.buffer().dtype().byteSize();
    }

    void check(String op, Object shapes, String call, int status) {
        if (status != 0) {
            throw new CudaException("cuda: " + op + " " + shapes + " failed in " + call + ": " + statusString(status) + " ("
                    + status + "); -D" + CudaPlan.CUDNN_PROPERTY + "=false uses the own kernels instead", op, status);
        }
    }

    private String statusString(int status) {
        try {
            String s = driver.cudnnErrorString(status);
            return s == null ? "cudnnStatus " + status : s;
        } catch (RuntimeException | LinkageError e) {
            return "cudnnStatus " + status;
        }
    }

    /** Under {@code -Dfathom.cuda.sync=true}, waits so that a fault is pinned to this call. */
    void synced(String op, Object shapes) {
        if (device.sync()) {
            device.stream().synchronize(op + " (cuDNN)", shapes);
        }
    }

    /** Destroys the cached descriptors (the handle goes with the device). */
    @Override
    public synchronized void close() {
        for (ConvDescs d : convs.values()) {
            for (long h : new long[] {d.x, d.w, d.conv, d.y}) {
                driver.cudnnDestroyDescriptor(h);
            }
        }
        convs.clear();
        norm.close();
    }
}
