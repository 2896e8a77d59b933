package dev.fathom.cuda;

import java.util.List;

/**
 * {@link FakeDriver} with the {@link ReferenceCudnn}: its cuDNN calls compute on the fake's
 * memory, queued on the handle's stream (so a result read without waiting is stale), and are
 * counted by their C names like every other call.
 */
class FakeCudnnDriver extends FakeDriver {
    static final int BAD_PARAM = ReferenceCudnn.BAD_PARAM;
    static final int NOT_SUPPORTED = ReferenceCudnn.NOT_SUPPORTED;
    static final int EXECUTION_FAILED = ReferenceCudnn.EXECUTION_FAILED;

    private final ReferenceCudnn cudnn = new ReferenceCudnn(new ReferenceCudnn.Host() {
        @Override
        public double get(long address, boolean f64) {
            return f64 ? slice(address, 8).getDouble() : slice(address, 4).getFloat();
        }

        @Override
        public void put(long address, boolean f64, double value) {
            if (f64) {
                slice(address, 8).putDouble(value);
            } else {
                slice(address, 4).putFloat((float) value);
            }
        }

        @Override
        public void touch(long address, long bytes) {
            slice(address, bytes);
        }

        @Override
        public void enqueue(long stream, String label, Runnable work) {
            FakeCudnnDriver.this.enqueue(stream, label, work);
        }

        @Override
        public void count(String call) {
            FakeCudnnDriver.this.count(call);
        }
    });

    /** Replaces what the heuristics answer for {@code pass}. */
    synchronized FakeCudnnDriver ranking(ConvPass pass, List<AlgoPerf> ranked) {
        cudnn.ranking(pass, ranked);
        return this;
    }

    /** Sets the times the algorithm search reports for {@code pass}, by algorithm. */
    synchronized FakeCudnnDriver times(ConvPass pass, java.util.Map<Integer, Float> byAlgo) {
        cudnn.times(pass, byAlgo);
        return this;
    }

    List<ReferenceCudnn.ConvCall> convCalls() {
        return cudnn.convCalls();
    }

    int liveDescriptors() {
        return cudnn.liveDescriptors();
    }

    <T> List<T> descriptors(Class<T> kind) {
        return cudnn.descriptors(kind);
    }

    @Override
    public synchronized int cudnnCreate(long[] handle, long stream) {
        return cudnn.cudnnCreate(handle, stream);
    }

    @Override
    public synchronized int cudnnDestroy(long handle) {
        return cudnn.cudnnDestroy(handle);
    }

    @Override
    public synchronized int cudnnCreateTensorDescriptor(long[] desc, boolean f64, int n, int c, int h, int w, int nStride,
            int cStride, int hStride, int wStride) {
        return cudnn.cudnnCreateTensorDescriptor(desc, f64, n, c, h, w, nStride, cStride, hStride, wStride);
    }

    @Override
    public synchronized int cudnnCreateFilterDescriptor(long[] desc, boolean f64, int k, int c, int h, int w) {
        return cudnn.cudnnCreateFilterDescriptor(desc, f64, k, c, h, w);
    }

    @Override
    public synchronized int cudnnCreateConvolutionDescriptor(long[] desc, boolean f64, int padH, int padW, int strideH,
            int strideW, int dilH, int dilW, int groups, int mode, int mathType) {
        return cudnn.cudnnCreateConvolutionDescriptor(desc, f64, padH, padW, strideH, strideW, dilH, dilW, groups, mode, mathType);
    }

    @Override
    public synchronized int cudnnDestroyDescriptor(long desc) {
        return cudnn.cudnnDestroyDescriptor(desc);
    }

    @Override
    public synchronized int cudnnGetConvolutionAlgorithms(long handle, ConvPass pass, long xDesc, long wDesc, long convDesc,
            long yDesc, List<AlgoPerf> out) {
        return cudnn.cudnnGetConvolutionAlgorithms(handle, pass, xDesc, wDesc, convDesc, yDesc, out);
    }

    @Override
    public synchronized int cudnnFindConvolutionAlgorithms(long handle, ConvPass pass, long xDesc, long x, long wDesc, long w,
            long convDesc, long yDesc, long y, long workspace, long workspaceBytes, List<AlgoPerf> out) {
        return cudnn.cudnnFindConvolutionAlgorithms(handle, pass, xDesc, x, wDesc, w, convDesc, yDesc, y, workspace,
                workspaceBytes, out);
    }

    @Override
    public synchronized int cudnnGetConvolutionWorkspaceSize(long handle, ConvPass pass, long xDesc, long wDesc, long convDesc,
            long yDesc, int algo, long[] bytes) {
        return cudnn.cudnnGetConvolutionWorkspaceSize(handle, pass, xDesc, wDesc, convDesc, yDesc, algo, bytes);
    }

    @Override
    public synchronized int cudnnConvolution(long handle, ConvPass pass, boolean f64, double alpha, long xDesc, long x,
            long wDesc, long w, long convDesc, int algo, long workspace, long workspaceBytes, double beta, long yDesc, long y) {
        return cudnn.cudnnConvolution(handle, pass, f64, alpha, xDesc, x, wDesc, w, convDesc, algo, workspace, workspaceBytes,
                beta, yDesc, y);
    }

    @Override
    public synchronized int cudnnBatchNormForwardTraining(long handle, int mode, boolean f64, double alpha, double beta,
            long xDesc, long x, long yDesc, long y, long bnDesc, long scale, long bias, double eps, long saveMean,
            long saveInvStd) {
        return cudnn.cudnnBatchNormForwardTraining(handle, mode, f64, alpha, beta, xDesc, x, yDesc, y, bnDesc, scale, bias, eps,
                saveMean, saveInvStd);
    }

    @Override
    public synchronized int cudnnBatchNormBackward(long handle, int mode, boolean f64, double alphaData, double betaData,
            double alphaParam, double betaParam, long xDesc, long x, long dyDesc, long dy, long dxDesc, long dx, long bnDesc,
            long scale, long dScale, long dBias, double eps, long savedMean, long savedInvStd) {
        return cudnn.cudnnBatchNormBackward(handle, mode, f64, alphaData, betaData, alphaParam, betaParam, xDesc, x, dyDesc, dy,
                dxDesc, dx, bnDesc, scale, dScale, dBias, eps, savedMean, savedInvStd);
    }

    @Override
    public String cudnnErrorString(int status) {
        return cudnn.cudnnErrorString(status);
    }
}
