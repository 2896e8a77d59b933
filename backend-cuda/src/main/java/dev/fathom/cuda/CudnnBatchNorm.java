package dev.fathom.cuda;

import dev.fathom.spi.Buffer;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Training-mode batch normalization through cuDNN for {@link CudnnOps}: x {@code (N, C, S…)} seen
 * as {@code (N, C, S, 1)} in {@code CUDNN_BATCHNORM_SPATIAL} mode with a {@code (1, C, 1, 1)}
 * parameter descriptor (both cached per shape and dtype), no running averages (the tensor layer
 * keeps them); cuDNN's saved mean and inverse std are the SPI's mean and invstd. cuDNN always
 * scales, shifts and writes both parameter gradients, so a null weight or bias becomes a scratch
 * vector of ones or zeros and an unwanted gradient a scratch output, all from the caching
 * allocator and freed once the call is enqueued. Declines (returns false) what it does not map:
 * a layout other than contiguous F32/F64, one element per channel, {@code eps < }{@value #MIN_EPSILON}.
 */
final class CudnnBatchNorm {
    /** {@code CUDNN_BATCHNORM_SPATIAL}. */
    static final int BATCHNORM_SPATIAL = 1;
    /** {@code CUDNN_BN_MIN_EPSILON} of cuDNN 7 (later versions allow less; below it the own kernels serve). */
    static final double MIN_EPSILON = 1e-5;

    private record NormKey(int n, int c, int s, boolean f64) {
    }

    private record NormDescs(long x, long bn) {
    }

    private final CudnnOps ops;
    private final Map<NormKey, NormDescs> norms = new HashMap<>();

    CudnnBatchNorm(CudnnOps ops) {
        this.ops = ops;
    }

    /*
     * Every method holds the lock of ops, not its own: cuDNN forbids using one handle from two
     * threads at once, and convolutions (CudnnOps) and batch norm share the device's handle.
     */

    boolean batchNorm(Strided x, Strided weight, Strided bias, double eps, Strided out, Strided mean, Strided invstd) {
        synchronized (ops) {
            return forward(x, weight, bias, eps, out, mean, invstd);
        }
    }

    boolean batchNormBackward(Strided gradOut, Strided x, Strided mean, Strided invstd, Strided weight, Strided gradX,
            Strided gradWeight, Strided gradBias) {
        synchronized (ops) {
            return backward(gradOut, x, mean, invstd, weight, gradX, gradWeight, gradBias);
        }
    }

    private boolean forward(Strided x, Strided weight, Strided bias, double eps, Strided out, Strided mean, Strided invstd) {
        String op = "batchNorm";
        int[] ncs = ncs(x);
        if (ncs == null || !(eps >= MIN_EPSILON) || Double.isInfinite(eps)) {
            return false;
        }
        DType dt = x.buffer().dtype();
        if (!CudnnOps.fits(out, x.shape(), dt) || !perChannel(ncs[1], dt, false, mean, invstd)
                || !perChannel(ncs[1], dt, true, weight, bias)) {
            return false;
        }
        ops.address(x, op);  // makes the context current before the handle is made
        long handle = ops.device().dnn();
        if (handle == 0) {
            return false;
        }
        boolean f64 = dt == DType.F64;
        String shapes = "x " + Arrays.toString(x.shape()) + " " + dt;
        NormDescs d = normDescs(op, shapes, ncs, f64);
        List<Buffer> scratch = new ArrayList<>();
        try {
            // cuDNN always scales and shifts: the SPI's null weight is 1, its null bias 0.
            long w = weight != null ? ops.address(weight, op) : constant(scratch, dt, ncs[1], 1.0);
            long b = bias != null ? ops.address(bias, op) : constant(scratch, dt, ncs[1], 0.0);
            ops.check(op, shapes, "cudnnBatchNormalizationForwardTraining", ops.driver().cudnnBatchNormForwardTraining(handle,
                    BATCHNORM_SPATIAL, f64, 1.0, 0.0, d.x(), ops.address(x, op), d.x(), ops.address(out, op), d.bn(), w, b, eps,
                    ops.address(mean, op), ops.address(invstd, op)));
            ops.synced(op, shapes);
        } finally {
            scratch.forEach(ops.kernels()::free);  // reused only by later work on the same stream
        }
        return true;
    }

    private boolean backward(Strided gradOut, Strided x, Strided mean, Strided invstd, Strided weight, Strided gradX,
                              Strided gradWeight, Strided gradBias) {
        String op = "batchNormBackward";
        int[] ncs = ncs(x);
        if (ncs == null) {
            return false;
        }
        DType dt = x.buffer().dtype();
        if (!CudnnOps.fits(gradOut, x.shape(), dt) || !CudnnOps.fits(gradX, x.shape(), dt) || !perChannel(ncs[1], dt, false, mean, invstd)
                || !perChannel(ncs[1], dt, true, weight, gradWeight, gradBias)) {
            return false;
        }
        ops.address(x, op);  // makes the context current before the handle is made
        long handle = ops.device().dnn();
        if (handle == 0) {
            return false;
        }
        boolean f64 = dt == DType.F64;
        String shapes = "x " + Arrays.toString(x.shape()) + " " + dt;
        NormDescs d = normDescs(op, shapes, ncs, f64);
        List<Buffer> scratch = new ArrayList<>();
        try {
            // cuDNN always writes both parameter gradients: unwanted ones go to scratch.
            long w = weight != null ? ops.address(weight, op) : constant(scratch, dt, ncs[1], 1.0);
            long gw = gradWeight != null ? ops.address(gradWeight, op) : scratch(scratch, dt, ncs[1]);
            long gb = gradBias != null ? ops.address(gradBias, op) : scratch(scratch, dt, ncs[1]);
            // eps only matters to cuDNN when no saved statistics are passed; ours always are.
            ops.check(op, shapes, "cudnnBatchNormalizationBackward", ops.driver().cudnnBatchNormBackward(handle, BATCHNORM_SPATIAL, f64,
                    1.0, 0.0, 1.0, 0.0, d.x(), ops.address(x, op), d.x(), ops.address(gradOut, op), d.x(), ops.address(gradX, op), d.bn(),
                    w, gw, gb, MIN_EPSILON, ops.address(mean, op), ops.address(invstd, op)));
            ops.synced(op, shapes);
        } finally {
            scratch.forEach(ops.kernels()::free);
        }
        return true;
    }

    /** The address of c fresh elements from the caching allocator (freed by the caller after the call). */
    private long scratch(List<Buffer> taken, DType dt, int c) {
        Buffer b = ops.kernels().allocate(dt, c);
        taken.add(b);
        return ((CudaBuffer) b).address();
    }

    /** As {@link #scratch}, holding {@code value} (uploaded: C elements, queued before the call on the same stream). */
    private long constant(List<Buffer> taken, DType dt, int c, double value) {
        long address = scratch(taken, dt, c);
        Buffer b = taken.getLast();
        if (dt == DType.F64) {
            double[] v = new double[c];
            Arrays.fill(v, value);
            ops.kernels().upload(v, 0, b, 0, c);
        } else {
            float[] v = new float[c];
            Arrays.fill(v, (float) value);
            ops.kernels().upload(v, 0, b, 0, c);
        }
        return address;
    }

    /** {N, C, S} of x seen as (N, C, S) when x is a non-empty contiguous F32/F64 tensor cuDNN can index; else null. */
    private static int[] ncs(Strided x) {
        if (x == null || x.rank() < 2) {
            return null;
        }
        DType dt = x.buffer().dtype();
        if (dt != DType.F32 && dt != DType.F64 || !CudnnOps.fits(x, x.shape(), dt) || x.numel() > Integer.MAX_VALUE) {
            return null;
        }
        long s = 1;
        for (int d = 2; d < x.rank(); d++) {
            s *= x.shape()[d];
        }
        int n = x.shape()[0], c = x.shape()[1];
        // One element per channel has no variance to normalize by; the own kernels define that case.
        return n * s < 2 || c < 1 ? null : new int[] {n, c, (int) s};
    }

    /** Whether every operand is a contiguous (C,) vector of dt inside its buffer; null passes when {@code optional}. */
    private static boolean perChannel(int c, DType dt, boolean optional, Strided... operands) {
        for (Strided s : operands) {
            if (s == null && optional) {
                continue;
            }
            if (s == null || s.numel() != c || s.buffer().dtype() != dt || !s.isContiguous() || s.offset() < 0
                    || s.offset() + s.numel() > s.buffer().capacity()) {
                return false;
            }
        }
        return true;
    }

    private NormDescs normDescs(String op, Object shapes, int[] ncs, boolean f64) {
        NormKey key = new NormKey(ncs[0], ncs[1], ncs[2], f64);
        NormDescs d = norms.get(key);
        if (d != null) {
            return d;
        }
        long[] h = new long[1];
        ops.check(op, shapes, "cudnnSetTensor4dDescriptorEx(x)", ops.driver().cudnnCreateTensorDescriptor(h, f64, ncs[0], ncs[1],
                ncs[2], 1, ncs[1] * ncs[2], ncs[2], 1, 1));
        long xd = h[0];
        try {
            ops.check(op, shapes, "cudnnSetTensor4dDescriptorEx(scale, bias, mean, invstd)",
                    ops.driver().cudnnCreateTensorDescriptor(h, f64, 1, ncs[1], 1, 1, ncs[1], 1, 1, 1));
        } catch (RuntimeException e) {
            ops.driver().cudnnDestroyDescriptor(xd);
            throw e;
        }
        d = new NormDescs(xd, h[0]);
        norms.put(key, d);
        return d;
    }

    int cachedDescriptorSets() {
        synchronized (ops) {
            return norms.size();
        }
    }

    /** Destroys the cached descriptors. */
    void close() {
        synchronized (ops) {
            for (NormDescs d : norms.values()) {
                ops.driver().cudnnDestroyDescriptor(d.x());
                ops.driver().cudnnDestroyDescriptor(d.bn());
            }
            norms.clear();
        }
    }
}
