package dev.fathom.cuda;

import dev.fathom.cuda.CudaDriver.AlgoPerf;
import dev.fathom.cuda.CudaDriver.ConvPass;
import dev.fathom.spi.Conv2dGeometry;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A reference cuDNN in Java, for drivers without one ({@link FakeCudnnDriver}, and the emulated
 * driver under {@code -Dfathom.cuda.emu.cudnn=true}): naive F64 loops over device memory that honour
 * what the caller put in the descriptors (data type, dimensions, element strides, padding,
 * stride, dilation, group count, convolution mode) and cuDNN's {@code dst = alpha·result +
 * beta·dst}, queued on the handle's stream. It checks what cuDNN checks (descriptor data types
 * against the call, the output dimensions a convolution descriptor implies, the channel and group
 * arithmetic, a workspace at least as large as the algorithm needs, batch norm's minimum epsilon)
 * and answers with cuDNN 9's status codes, so a wrong mapping shows as a wrong number or a failed
 * status. The heuristics' rankings are settable per pass.
 */
class ReferenceCudnn {
    /** What the reference needs from the driver it sits in: memory, stream queues, call counts. */
    interface Host {
        double get(long address, boolean f64);

        void put(long address, boolean f64, double value);

        /** Faults unless {@code bytes} at {@code address} are device memory. */
        void touch(long address, long bytes);

        void enqueue(long stream, String label, Runnable work);

        void count(String call);
    }

    static final int BAD_PARAM = 2000;
    static final int NOT_SUPPORTED = 3000;
    static final int EXECUTION_FAILED = 5000;
    /** {@code CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED}'s place: what Find reports for an algorithm whose workspace it lacked. */
    static final int ALLOC_FAILED = 4001;

    record TensorDesc(boolean f64, int n, int c, int h, int w, int ns, int cs, int hs, int ws) {
        long at(int i, int ch, int y, int x) {
            return (long) i * ns + (long) ch * cs + (long) y * hs + (long) x * ws;
        }
    }

    record FilterDesc(boolean f64, int k, int c, int h, int w) {
        long at(int o, int ch, int y, int x) {
            return (((long) o * c + ch) * h + y) * w + x;
        }
    }

    record ConvDesc(boolean f64, int padH, int padW, int strideH, int strideW, int dilH, int dilW, int groups, int mode,
            int mathType) {
    }

    /** One convolution as the fake ran it. */
    record ConvCall(CudaDriver.ConvPass pass, int algo, long workspace, long workspaceBytes) {
    }

    private final Host host;
    private final Map<Long, Long> handles = new HashMap<>();
    private final Map<Long, Object> descriptors = new HashMap<>();
    private final EnumMap<CudaDriver.ConvPass, List<AlgoPerf>> rankings = new EnumMap<>(CudaDriver.ConvPass.class);
    private final EnumMap<CudaDriver.ConvPass, Map<Integer, Float>> times = new EnumMap<>(CudaDriver.ConvPass.class);
    private final List<ConvCall> convCalls = new ArrayList<>();
    private long nextDnn = 0xD00_0000L;

    ReferenceCudnn(Host host) {
        this.host = host;
        // Best first, as the v7 heuristics answer: each pass ranks an algorithm Fathom must skip first.
        rankings.put(CudaDriver.ConvPass.FORWARD, List.of(new AlgoPerf(7, NOT_SUPPORTED, 0, true, CudnnOps.FMA_MATH),
                new AlgoPerf(1, 0, 4096, true, CudnnOps.FMA_MATH), new AlgoPerf(0, 0, 0, true, CudnnOps.FMA_MATH)));
        rankings.put(CudaDriver.ConvPass.BACKWARD_DATA, List.of(new AlgoPerf(0, 0, 0, false, CudnnOps.FMA_MATH),
                new AlgoPerf(1, 0, 2048, true, CudnnOps.FMA_MATH)));
        rankings.put(CudaDriver.ConvPass.BACKWARD_FILTER, List.of(new AlgoPerf(0, 0, 0, false, CudnnOps.FMA_MATH),
                new AlgoPerf(5, 0, 0, true, 1), new AlgoPerf(1, 0, 1024, true, CudnnOps.FMA_MATH)));
    }

    /** Replaces what the heuristics answer for {@code pass}. */
    synchronized void ranking(CudaDriver.ConvPass pass, List<AlgoPerf> ranked) {
        rankings.put(pass, List.copyOf(ranked));
    }

    synchronized List<ConvCall> convCalls() {
        return List.copyOf(convCalls);
    }

    synchronized int liveDescriptors() {
        return descriptors.size();
    }

    /** The live descriptors of one kind (TensorDesc, FilterDesc, ConvDesc), in creation order. */
    synchronized <T> List<T> descriptors(Class<T> kind) {
        return descriptors.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(Map.Entry::getValue)
                .filter(kind::isInstance).map(kind::cast).toList();
    }

    public synchronized int cudnnCreate(long[] handle, long stream) {
        host.count("cudnnCreate");
        handle[0] = ++nextDnn;
        handles.put(handle[0], stream);
        return 0;
    }

    public synchronized int cudnnDestroy(long handle) {
        host.count("cudnnDestroy");
        return handles.remove(handle) == null ? BAD_PARAM : 0;
    }

    private long add(Object desc) {
        descriptors.put(++nextDnn, desc);
        return nextDnn;
    }

    public synchronized int cudnnCreateTensorDescriptor(long[] desc, boolean f64, int n, int c, int h, int w, int nStride,
            int cStride, int hStride, int wStride) {
        host.count("cudnnCreateTensorDescriptor");
        if (n < 1 || c < 1 || h < 1 || w < 1 || nStride < 1 || cStride < 1 || hStride < 1 || wStride < 1) {
            return BAD_PARAM;
        }
        desc[0] = add(new TensorDesc(f64, n, c, h, w, nStride, cStride, hStride, wStride));
        return 0;
    }

    public synchronized int cudnnCreateFilterDescriptor(long[] desc, boolean f64, int k, int c, int h, int w) {
        host.count("cudnnCreateFilterDescriptor");
        if (k < 1 || c < 1 || h < 1 || w < 1) {
            return BAD_PARAM;
        }
        desc[0] = add(new FilterDesc(f64, k, c, h, w));
        return 0;
    }

    public synchronized int cudnnCreateConvolutionDescriptor(long[] desc, boolean f64, int padH, int padW, int strideH,
            int strideW, int dilH, int dilW, int groups, int mode, int mathType) {
        host.count("cudnnCreateConvolutionDescriptor");
        if (padH < 0 || padW < 0 || strideH < 1 || strideW < 1 || dilH < 1 || dilW < 1 || groups < 1 || mode < 0 || mode > 1) {
            return BAD_PARAM;
        }
        desc[0] = add(new ConvDesc(f64, padH, padW, strideH, strideW, dilH, dilW, groups, mode, mathType));
        return 0;
    }

    public synchronized int cudnnDestroyDescriptor(long desc) {
        host.count("cudnnDestroyDescriptor");
        return descriptors.remove(desc) == null ? BAD_PARAM : 0;
    }

    /** The descriptors of one convolution if they agree with each other (cuDNN's checks), else null. */
    private Object[] problem(long xDesc, long wDesc, long convDesc, long yDesc) {
        if (!(descriptors.get(xDesc) instanceof TensorDesc x) || !(descriptors.get(wDesc) instanceof FilterDesc w)
                || !(descriptors.get(convDesc) instanceof ConvDesc c) || !(descriptors.get(yDesc) instanceof TensorDesc y)) {
            return null;
        }
        boolean ok = x.f64() == w.f64() && x.f64() == y.f64() && x.f64() == c.f64() && x.n() == y.n()
                && x.c() == w.c() * c.groups() && w.k() == y.c() && w.k() % c.groups() == 0
                && y.h() == Conv2dGeometry.outSize(x.h(), w.h(), c.strideH(), c.padH(), c.dilH())
                && y.w() == Conv2dGeometry.outSize(x.w(), w.w(), c.strideW(), c.padW(), c.dilW());
        return ok ? new Object[] {x, w, c, y} : null;
    }

    public synchronized int cudnnGetConvolutionAlgorithms(long handle, ConvPass pass, long xDesc, long wDesc, long convDesc,
            long yDesc, List<AlgoPerf> out) {
        host.count("cudnnGetConvolutionAlgorithm_v7");
        if (!handles.containsKey(handle) || problem(xDesc, wDesc, convDesc, yDesc) == null) {
            return BAD_PARAM;
        }
        out.addAll(rankings.get(pass));
        return 0;
    }

    /**
     * Measures nothing: answers the pass's ranking with the times {@link #times} set (the rank,
     * 1 ms apart, by default, so the measured choice is the heuristics' own), fastest first, after
     * checking the buffers and the workspace as the real call would.
     */
    public synchronized int cudnnFindConvolutionAlgorithms(long handle, ConvPass pass, long xDesc, long x, long wDesc, long w,
            long convDesc, long yDesc, long y, long workspace, long workspaceBytes, List<AlgoPerf> out) {
        host.count("cudnnFindConvolutionAlgorithmEx");
        if (!handles.containsKey(handle) || problem(xDesc, wDesc, convDesc, yDesc) == null || x == 0 || w == 0 || y == 0
                || (workspaceBytes > 0 && workspace == 0)) {
            return BAD_PARAM;
        }
        if (workspaceBytes > 0) {
            host.touch(workspace, workspaceBytes);
        }
        List<AlgoPerf> ranked = rankings.get(pass);
        List<AlgoPerf> timed = new ArrayList<>();
        for (int i = 0; i < ranked.size(); i++) {
            AlgoPerf a = ranked.get(i);
            float ms = times.getOrDefault(pass, Map.of()).getOrDefault(a.algo(), (float) (i + 1));
            boolean fits = a.memory() <= workspaceBytes;
            timed.add(new AlgoPerf(a.algo(), a.status() != 0 ? a.status() : fits ? 0 : ALLOC_FAILED, a.memory(), a.deterministic(),
                    a.mathType(), a.status() == 0 && fits ? ms : -1f));
        }
        timed.sort(java.util.Comparator.comparing((AlgoPerf a) -> a.status() != 0).thenComparing(AlgoPerf::timeMs));
        out.addAll(timed);
        return 0;
    }

    /** Sets the times {@link #cudnnFindConvolutionAlgorithms} reports for {@code pass}, by algorithm. */
    synchronized void times(CudaDriver.ConvPass pass, Map<Integer, Float> byAlgo) {
        times.put(pass, Map.copyOf(byAlgo));
    }

    public synchronized int cudnnGetConvolutionWorkspaceSize(long handle, ConvPass pass, long xDesc, long wDesc, long convDesc,
            long yDesc, int algo, long[] bytes) {
        host.count("cudnnGetConvolutionWorkspaceSize");
        if (!handles.containsKey(handle) || problem(xDesc, wDesc, convDesc, yDesc) == null) {
            return BAD_PARAM;
        }
        AlgoPerf a = rankings.get(pass).stream().filter(p -> p.algo() == algo).findFirst().orElse(null);
        if (a == null || a.status() != 0) {
            return NOT_SUPPORTED;
        }
        bytes[0] = a.memory();
        return 0;
    }

    public synchronized int cudnnConvolution(long handle, ConvPass pass, boolean f64, double alpha, long xDesc, long x,
            long wDesc, long w, long convDesc, int algo, long workspace, long workspaceBytes, double beta, long yDesc, long y) {
        host.count(switch (pass) {
            case FORWARD -> "cudnnConvolutionForward";
            case BACKWARD_DATA -> "cudnnConvolutionBackwardData";
            case BACKWARD_FILTER -> "cudnnConvolutionBackwardFilter";
        });
        Object[] p = problem(xDesc, wDesc, convDesc, yDesc);
        long[] need = new long[1];
        Long stream = handles.get(handle);
        if (stream == null || p == null || ((TensorDesc) p[0]).f64() != f64
                || cudnnGetConvolutionWorkspaceSize(handle, pass, xDesc, wDesc, convDesc, yDesc, algo, need) != 0
                || workspaceBytes < need[0] || (need[0] > 0 && workspace == 0)) {
            return BAD_PARAM;
        }
        convCalls.add(new ConvCall(pass, algo, workspace, workspaceBytes));
        TensorDesc xd = (TensorDesc) p[0], yd = (TensorDesc) p[3];
        FilterDesc wd = (FilterDesc) p[1];
        ConvDesc cd = (ConvDesc) p[2];
        host.enqueue(stream, "cudnnConvolution " + pass, () -> {
            if (need[0] > 0) {
                host.touch(workspace, need[0]);  // faults unless the workspace is real memory of that size
            }
            convolve(pass, f64, alpha, beta, xd, x, wd, w, cd, yd, y);
        });
        return 0;
    }

    /** The pass as sums over every (n, o, i, j, c, p, q) of the forward product x·w → y. */
    private void convolve(ConvPass pass, boolean f64, double alpha, double beta, TensorDesc xd, long x, FilterDesc wd, long w,
            ConvDesc cd, TensorDesc yd, long y) {
        double[] acc = new double[switch (pass) {
            case FORWARD -> yd.n() * yd.c() * yd.h() * yd.w();
            case BACKWARD_DATA -> xd.n() * xd.c() * xd.h() * xd.w();
            case BACKWARD_FILTER -> wd.k() * wd.c() * wd.h() * wd.w();
        }];
        int coutG = wd.k() / cd.groups();
        for (int n = 0; n < yd.n(); n++) {
            for (int o = 0; o < yd.c(); o++) {
                for (int i = 0; i < yd.h(); i++) {
                    for (int j = 0; j < yd.w(); j++) {
                        for (int c = 0; c < wd.c(); c++) {
                            for (int p = 0; p < wd.h(); p++) {
                                for (int q = 0; q < wd.w(); q++) {
                                    int ih = i * cd.strideH() - cd.padH() + p * cd.dilH();
                                    int iw = j * cd.strideW() - cd.padW() + q * cd.dilW();
                                    if (ih < 0 || ih >= xd.h() || iw < 0 || iw >= xd.w()) {
                                        continue;
                                    }
                                    int ci = o / coutG * wd.c() + c;
                                    // CUDNN_CONVOLUTION flips the filter; CROSS_CORRELATION does not.
                                    int fp = cd.mode() == 0 ? wd.h() - 1 - p : p, fq = cd.mode() == 0 ? wd.w() - 1 - q : q;
                                    int xi = ((n * xd.c() + ci) * xd.h() + ih) * xd.w() + iw;
                                    int wi = ((o * wd.c() + c) * wd.h() + fp) * wd.w() + fq;
                                    int yi = ((n * yd.c() + o) * yd.h() + i) * yd.w() + j;
                                    double xv = get(x, xd.at(n, ci, ih, iw), f64), wv = get(w, wd.at(o, c, fp, fq), f64);
                                    double yv = get(y, yd.at(n, o, i, j), f64);
                                    switch (pass) {
                                        case FORWARD -> acc[yi] += xv * wv;
                                        case BACKWARD_DATA -> acc[xi] += yv * wv;
                                        case BACKWARD_FILTER -> acc[wi] += yv * xv;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for (int e = 0; e < acc.length; e++) {
            long at = switch (pass) {
                case FORWARD -> at(yd, e);
                case BACKWARD_DATA -> at(xd, e);
                case BACKWARD_FILTER -> e;
            };
            long base = pass == ConvPass.FORWARD ? y : pass == ConvPass.BACKWARD_DATA ? x : w;
            blend(base, at, f64, alpha, acc[e], beta);
        }
    }

    /** The element offset of the e-th element (in NCHW order) of a tensor described by d. */
    private static long at(TensorDesc d, int e) {
        int x = e % d.w(), y = e / d.w() % d.h(), c = e / (d.w() * d.h()) % d.c(), n = e / (d.w() * d.h() * d.c());
        return d.at(n, c, y, x);
    }

    private double get(long base, long index, boolean f64) {
        return host.get(base + index * (f64 ? 8 : 4), f64);
    }

    /** dst = alpha·value + beta·dst; with beta 0, dst is not read (cuDNN's rule: NaN there does not leak). */
    private void blend(long base, long index, boolean f64, double alpha, double value, double beta) {
        host.put(base + index * (f64 ? 8 : 4), f64, alpha * value + (beta == 0 ? 0 : beta * get(base, index, f64)));
    }

    // ---- batch norm: spatial mode, per channel over (n, h, w) ------------------------------------

    private boolean bnDescriptors(int mode, boolean f64, long xDesc, long bnDesc, long... others) {
        if (mode != CudnnBatchNorm.BATCHNORM_SPATIAL || !(descriptors.get(xDesc) instanceof TensorDesc x)
                || !(descriptors.get(bnDesc) instanceof TensorDesc bn) || x.f64() != f64 || bn.f64() != f64 || bn.n() != 1
                || bn.c() != x.c() || bn.h() != 1 || bn.w() != 1) {
            return false;
        }
        for (long o : others) {
            if (!x.equals(descriptors.get(o))) {
                return false;
            }
        }
        return true;
    }

    public synchronized int cudnnBatchNormForwardTraining(long handle, int mode, boolean f64, double alpha, double beta,
            long xDesc, long x, long yDesc, long y, long bnDesc, long scale, long bias, double eps, long saveMean,
            long saveInvStd) {
        host.count("cudnnBatchNormalizationForwardTraining");
        Long stream = handles.get(handle);
        if (stream == null || !bnDescriptors(mode, f64, xDesc, bnDesc, yDesc) || eps < 1e-5 || scale == 0 || bias == 0) {
            return BAD_PARAM;
        }
        TensorDesc d = (TensorDesc) descriptors.get(xDesc);
        host.enqueue(stream, "cudnnBatchNormalizationForwardTraining", () -> {
            double m = (double) d.n() * d.h() * d.w();
            for (int c = 0; c < d.c(); c++) {
                double sum = 0, sq = 0;
                for (long at : channel(d, c)) {
                    sum += get(x, at, f64);
                }
                double mean = sum / m;
                for (long at : channel(d, c)) {
                    sq += (get(x, at, f64) - mean) * (get(x, at, f64) - mean);
                }
                double inv = 1 / Math.sqrt(sq / m + eps), w = get(scale, c, f64), b = get(bias, c, f64);
                for (long at : channel(d, c)) {
                    blend(y, at, f64, alpha, (get(x, at, f64) - mean) * inv * w + b, beta);
                }
                if (saveMean != 0) {
                    blend(saveMean, c, f64, 1, mean, 0);
                    blend(saveInvStd, c, f64, 1, inv, 0);
                }
            }
        });
        return 0;
    }

    public synchronized int cudnnBatchNormBackward(long handle, int mode, boolean f64, double alphaData, double betaData,
            double alphaParam, double betaParam, long xDesc, long x, long dyDesc, long dy, long dxDesc, long dx, long bnDesc,
            long scale, long dScale, long dBias, double eps, long savedMean, long savedInvStd) {
        host.count("cudnnBatchNormalizationBackward");
        Long stream = handles.get(handle);
        if (stream == null || !bnDescriptors(mode, f64, xDesc, bnDesc, dyDesc, dxDesc) || eps < 1e-5 || savedMean == 0
                || savedInvStd == 0 || dScale == 0 || dBias == 0) {
            return BAD_PARAM;
        }
        TensorDesc d = (TensorDesc) descriptors.get(xDesc);
        host.enqueue(stream, "cudnnBatchNormalizationBackward", () -> {
            double m = (double) d.n() * d.h() * d.w();
            for (int c = 0; c < d.c(); c++) {
                double mean = get(savedMean, c, f64), inv = get(savedInvStd, c, f64), w = get(scale, c, f64);
                double sg = 0, sgx = 0;
                for (long at : channel(d, c)) {
                    double xhat = (get(x, at, f64) - mean) * inv;
                    sg += get(dy, at, f64);
                    sgx += get(dy, at, f64) * xhat;
                }
                for (long at : channel(d, c)) {
                    double xhat = (get(x, at, f64) - mean) * inv;
                    blend(dx, at, f64, alphaData, w * inv * (get(dy, at, f64) - sg / m - xhat * sgx / m), betaData);
                }
                blend(dScale, c, f64, alphaParam, sgx, betaParam);
                blend(dBias, c, f64, alphaParam, sg, betaParam);
            }
        });
        return 0;
    }

    /** Element offsets of channel c over (n, h, w). */
    private static long[] channel(TensorDesc d, int c) {
        long[] out = new long[d.n() * d.h() * d.w()];
        int k = 0;
        for (int n = 0; n < d.n(); n++) {
            for (int y = 0; y < d.h(); y++) {
                for (int x = 0; x < d.w(); x++) {
                    out[k++] = d.at(n, c, y, x);
                }
            }
        }
        return out;
    }

    public String cudnnErrorString(int status) {
        return switch (status) {
            case 0 -> "CUDNN_STATUS_SUCCESS";
            case BAD_PARAM -> "CUDNN_STATUS_BAD_PARAM";
            case NOT_SUPPORTED -> "CUDNN_STATUS_NOT_SUPPORTED";
            case EXECUTION_FAILED -> "CUDNN_STATUS_EXECUTION_FAILED";
            case ALLOC_FAILED -> "CUDNN_STATUS_ALLOC_FAILED";
            default -> "CUDNN_STATUS_UNKNOWN " + status;
        };
    }

}
