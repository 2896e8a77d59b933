package dev.fathom.cpu;

import dev.fathom.spi.AdamUpdate;
import dev.fathom.spi.AttentionGeometry;
import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.Conv2dGeometry;
import dev.fathom.spi.Buffer;
import dev.fathom.spi.Kernels;
import dev.fathom.spi.MemoryStats;
import dev.fathom.spi.Pool2dGeometry;
import dev.fathom.spi.RandomOp;
import dev.fathom.spi.ReduceOp;
import dev.fathom.spi.SgdUpdate;
import dev.fathom.spi.Strided;
import dev.fathom.spi.UnaryOp;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The CPU's {@link Kernels}: synchronous (every call has finished when it returns), buffers are
 * Java arrays. Each family of kernels lives in its own class; this one dispatches and counts memory.
 */
final class CpuKernels implements Kernels {
    private final AtomicLong liveBuffers = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong peakBytes = new AtomicLong();
    private final AtomicLong allocations = new AtomicLong();
    private final AtomicLong cacheHits = new AtomicLong();
    private final BufferPool pool = new BufferPool();

    @Override
    public Device device() {
        return Device.cpu();
    }

    @Override
    public Buffer allocate(DType dtype, long numel) {
        CpuBuffer b = pool.take(dtype, numel);
        if (b != null) {
            cacheHits.incrementAndGet();
        } else {
            b = CpuBuffer.allocate(dtype, Math.max(numel, Math.min(BufferPool.sizeClass(numel), Integer.MAX_VALUE - 16)));
        }
        long bytes = (long) b.length * dtype.byteSize();
        liveBuffers.incrementAndGet();
        allocations.incrementAndGet();
        peakBytes.accumulateAndGet(liveBytes.addAndGet(bytes), Math::max);
        return b;
    }

    @Override
    public void free(Buffer buffer) {
        CpuBuffer b = CpuBuffer.of(buffer);
        liveBuffers.decrementAndGet();
        liveBytes.addAndGet(-(long) b.length * b.dtype.byteSize());
        pool.give(b);
    }

    @Override
    public MemoryStats memoryStats() {
        return new MemoryStats(liveBuffers.get(), liveBytes.get(), peakBytes.get(), allocations.get(), cacheHits.get());
    }

    @Override
    public void fill(Strided dst, double value) {
        ElementwiseKernels.fill(dst, value);
    }

    @Override
    public void copy(Strided src, Strided dst) {
        ElementwiseKernels.copy(src, dst);
    }

    @Override
    public void upload(Object hostArray, int hostOffset, Buffer dst, long dstOffset, int count) {
        CpuBuffer b = CpuBuffer.of(dst);
        checkHost("upload", hostArray, b.dtype);
        System.arraycopy(hostArray, hostOffset, b.array(), (int) dstOffset, count);
    }

    @Override
    public void download(Buffer src, long srcOffset, Object hostArray, int hostOffset, int count) {
        CpuBuffer b = CpuBuffer.of(src);
        checkHost("download", hostArray, b.dtype);
        System.arraycopy(b.array(), (int) srcOffset, hostArray, hostOffset, count);
    }

    private static void checkHost(String op, Object host, DType dtype) {
        boolean ok = switch (dtype) {
            case F32 -> host instanceof float[];
            case F64 -> host instanceof double[];
            case I64 -> host instanceof long[];
            case BOOL -> host instanceof boolean[];
        };
        if (!ok) {
            throw new IllegalArgumentException("cpu " + op + ": host array " + host.getClass().getSimpleName() + " does not match dtype " + dtype);
        }
    }

    @Override
    public void synchronize() {
        // Every CPU kernel has finished when it returns.
    }

    @Override
    public void unary(UnaryOp op, Strided x, Strided out) {
        ElementwiseKernels.unary(op, x, out);
    }

    @Override
    public void activationBackward(UnaryOp op, Strided x, Strided gradOut, Strided gradIn) {
        ElementwiseKernels.activationBackward(op, x, gradOut, gradIn);
    }

    @Override
    public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
        ElementwiseKernels.binary(op, a, b, out);
    }

    @Override
    public void where(Strided cond, Strided a, Strided b, Strided out) {
        ElementwiseKernels.where(cond, a, b, out);
    }

    @Override
    public void reduce(ReduceOp op, Strided x, int[] axes, Strided out) {
        ReduceKernels.reduce(op, x, axes, out);
    }

    @Override
    public void matmul(Strided a, Strided b, Strided out) {
        MatmulKernel.matmul(a, b, out);
    }

    @Override
    public void gather(Strided x, int dim, Strided index, Strided out) {
        IndexKernels.gather(x, dim, index, out);
    }

    @Override
    public void scatterAdd(Strided src, int dim, Strided index, Strided out) {
        IndexKernels.scatterAdd(src, dim, index, out);
    }

    @Override
    public void random(RandomOp op, Strided out, long seed, long counter, double a, double b) {
        RandomKernels.random(op, out, seed, counter, a, b);
    }

    @Override
    public void conv2dForward(Conv2dGeometry g, Strided x, Strided w, Strided out) {
        ConvKernels.forward(g, x, w, out);
    }

    @Override
    public void conv2dBackwardData(Conv2dGeometry g, Strided gradOut, Strided w, Strided gradIn) {
        ConvKernels.backwardData(g, gradOut, w, gradIn);
    }

    @Override
    public void conv2dBackwardWeight(Conv2dGeometry g, Strided x, Strided gradOut, Strided gradW) {
        ConvKernels.backwardWeight(g, x, gradOut, gradW);
    }

    @Override
    public void maxPool2dForward(Pool2dGeometry g, Strided x, Strided out, Strided indices) {
        PoolKernels.maxForward(g, x, out, indices);
    }

    @Override
    public void maxPool2dBackward(Pool2dGeometry g, Strided gradOut, Strided indices, Strided gradIn) {
        PoolKernels.maxBackward(g, gradOut, indices, gradIn);
    }

    @Override
    public void avgPool2dForward(Pool2dGeometry g, boolean countIncludePad, Strided x, Strided out) {
        PoolKernels.avgForward(g, countIncludePad, x, out);
    }

    @Override
    public void avgPool2dBackward(Pool2dGeometry g, boolean countIncludePad, Strided gradOut, Strided gradIn) {
        PoolKernels.avgBackward(g, countIncludePad, gradOut, gradIn);
    }

    @Override
    public void softmax(Strided x, int axis, boolean log, Strided out) {
        SoftmaxKernels.forward(x, axis, log, out);
    }

    @Override
    public void softmaxBackward(Strided y, Strided gradY, int axis, boolean log, Strided gradX) {
        SoftmaxKernels.backward(y, gradY, axis, log, gradX);
    }

    @Override
    public void layerNorm(Strided x, long normalized, Strided weight, Strided bias, double eps, Strided out, Strided mean, Strided rstd) {
        LayerNormKernels.forward(x, normalized, weight, bias, eps, out, mean, rstd);
    }

    @Override
    public void layerNormBackward(Strided gradOut, Strided x, Strided mean, Strided rstd, Strided weight,
                                  Strided gradX, Strided gradWeight, Strided gradBias) {
        LayerNormKernels.backward(gradOut, x, mean, rstd, weight, gradX, gradWeight, gradBias);
    }

    @Override
    public void batchNorm(Strided x, Strided weight, Strided bias, double eps, Strided out, Strided mean, Strided invstd) {
        BatchNormKernels.forward(x, weight, bias, eps, out, mean, invstd);
    }

    @Override
    public void batchNormBackward(Strided gradOut, Strided x, Strided mean, Strided invstd, Strided weight,
                                  Strided gradX, Strided gradWeight, Strided gradBias) {
        BatchNormKernels.backward(gradOut, x, mean, invstd, weight, gradX, gradWeight, gradBias);
    }

    @Override
    public void attentionForward(AttentionGeometry g, Strided q, Strided k, Strided v, Strided out, Strided logsumexp) {
        AttentionKernels.forward(g, q, k, v, out, logsumexp);
    }

    @Override
    public void attentionBackward(AttentionGeometry g, Strided q, Strided k, Strided v, Strided out, Strided gradOut, Strided logsumexp,
                                  Strided gradQ, Strided gradK, Strided gradV) {
        AttentionKernels.backward(g, q, k, v, out, gradOut, logsumexp, gradQ, gradK, gradV);
    }

    @Override
    public void sgdUpdate(Strided param, Strided grad, Strided momentumBuffer, SgdUpdate hyper) {
        OptimizerKernels.sgd(param, grad, momentumBuffer, hyper);
    }

    @Override
    public void lstmCell(Strided gates, Strided inputGates, Strided c, Strided out, Strided acts) {
        RecurrentKernels.lstmCell(gates, inputGates, c, out, acts);
    }

    @Override
    public void lstmCellBackward(Strided acts, Strided c, Strided gradOut, Strided gradH, Strided gradGates, Strided gradC) {
        RecurrentKernels.lstmCellBackward(acts, c, gradOut, gradH, gradGates, gradC);
    }

    @Override
    public void adamUpdate(Strided param, Strided grad, Strided expAvg, Strided expAvgSq, Strided maxExpAvgSq, AdamUpdate hyper) {
        OptimizerKernels.adam(param, grad, expAvg, expAvgSq, maxExpAvgSq, hyper);
    }
}
