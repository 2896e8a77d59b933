package dev.fathom.conformance;

import dev.fathom.conformance.OptimizerRef.Rule;
import dev.fathom.spi.AdamUpdate;
import dev.fathom.spi.Kernels;
import dev.fathom.spi.SgdUpdate;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import dev.fathom.tensor.internal.KernelOps;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fused SPI kernels called directly (softmax, layer norm, batch norm, forward and backward;
 * the SGD and Adam updates) against the F64 loops of {@link FusedRef} and {@link OptimizerRef}:
 * odd sizes, an axis in the middle, rows of length 1, rows longer than one F32 summation block,
 * infinities, F32 and F64, and every operand at a nonzero storage offset with NaN in front of it
 * (a kernel that ignores the offset, or reads before it, fails). Layer norm's backward also runs in
 * place (gradX over gradOut).
 */
class FusedKernelsTest extends ConformanceTest {
    private static final int PAD = 3;
    private static final DType[] DTYPES = {DType.F64, DType.F32};
    private final Inputs in = new Inputs(2027);

    /** A contiguous tensor holding {@code v} at storage offset PAD, with NaN before it. */
    private static Tensor atOffset(double[] v, DType dtype, int... shape) {
        double[] padded = new double[v.length + PAD];
        Arrays.fill(padded, 0, PAD, Double.NaN);
        System.arraycopy(v, 0, padded, PAD, v.length);
        Tensor t = Inputs.upload(new Ref(new int[] {padded.length}, padded), dtype).narrow(0, PAD, v.length).reshape(shape);
        assertEquals(PAD, t.storageOffset(), "test setup: the operand is a view at an offset");
        return t;
    }

    /** An output at offset PAD, filled with NaN (the kernel must overwrite every element). */
    private static Tensor output(DType dtype, int... shape) {
        double[] v = new double[(int) Ref.numel(shape)];
        Arrays.fill(v, Double.NaN);
        return atOffset(v, dtype, shape);
    }

    private static Strided s(Tensor t) {
        return t == null ? null : KernelOps.hooks().strided(t);
    }

    private static double[] round(double[] v, DType dtype) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Inputs.round(v[i], dtype);
        }
        return out;
    }

    private static void close(String what, Tensor t, double[] expected, DType dtype, double f32Tol) {
        double tol = dtype == DType.F64 ? 1e-11 : f32Tol;
        Check.close(what, t, new Ref(t.shape(), expected), dtype, tol, tol);
    }

    record SoftmaxCase(int[] shape, int axis) {
        @Override
        public String toString() {
            return Arrays.toString(shape) + " axis " + axis;
        }
    }

    static final List<SoftmaxCase> SOFTMAX = List.of(
            new SoftmaxCase(new int[] {5, 37}, 1), new SoftmaxCase(new int[] {3, 7, 4}, 1), new SoftmaxCase(new int[] {6, 1}, 1),
            new SoftmaxCase(new int[] {2, 3, 5}, 0), new SoftmaxCase(new int[] {2, 1029}, 1), new SoftmaxCase(new int[] {4, 3, 1}, 2),
            new SoftmaxCase(new int[] {9}, 0), new SoftmaxCase(new int[] {3, 4, 2, 5}, 2), new SoftmaxCase(new int[] {3, 9}, 1));

    @BackendTest
    void softmaxForwardAndBackward(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        for (DType dtype : DTYPES) {
            for (SoftmaxCase c : SOFTMAX) {
                int[] shape = c.shape();
                int n = shape[c.axis()], outer = 1, inner = 1;
                for (int d = 0; d < c.axis(); d++) {
                    outer *= shape[d];
                }
                for (int d = c.axis() + 1; d < shape.length; d++) {
                    inner *= shape[d];
                }
                double[] x = in.values(shape, dtype, -6, 6).data;
                if (Arrays.equals(shape, new int[] {3, 9})) {
                    // A -inf entry (weight 0) in row 0 and a row of -inf only (0/0: NaN, as the composite).
                    x[4] = Double.NEGATIVE_INFINITY;
                    Arrays.fill(x, 9, 18, Double.NEGATIVE_INFINITY);
                }
                if (shape.length == 2 && shape[1] == 1029) {
                    x[700] = Double.NEGATIVE_INFINITY;
                }
                for (boolean log : new boolean[] {false, true}) {
                    String what = (log ? "logSoftmax " : "softmax ") + c;
                    Tensor out = output(dtype, shape);
                    k.softmax(s(atOffset(x, dtype, shape)), c.axis(), log, s(out));
                    double[] y = FusedRef.softmax(x, outer, n, inner, log);
                    close(what, out, y, dtype, 2e-6);

                    double[] yIn = round(y, dtype), gy = in.values(shape, dtype, -1, 1).data;
                    Tensor gx = output(dtype, shape);
                    k.softmaxBackward(s(atOffset(yIn, dtype, shape)), s(atOffset(gy, dtype, shape)), c.axis(), log, s(gx));
                    close(what + " backward", gx, FusedRef.softmaxBackward(yIn, gy, outer, n, inner, log), dtype, 2e-5);
                }
            }
        }
    }

    /** (rows, n, affine). */
    static final int[][] LAYER_NORM = {{5, 37, 1}, {7, 1, 1}, {3, 24, 0}, {2, 1030, 1}, {1, 8, 1}, {4, 3, 0}, {11, 17, 1}, {300, 9, 1}};

    @BackendTest
    void layerNormForwardAndBackward(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        double eps = 1e-5;
        for (DType dtype : DTYPES) {
            for (int[] c : LAYER_NORM) {
                int rows = c[0], n = c[1];
                boolean affine = c[2] == 1;
                String what = "layerNorm rows " + rows + " n " + n + (affine ? " affine" : "");
                // Centered away from 0, so a variance computed as E[x²] − E[x]² would lose digits.
                double[] x = in.values(new int[] {rows * n}, dtype, 2, 6).data;
                double[] w = affine ? in.values(new int[] {n}, dtype, 0.5, 1.5).data : null;
                double[] b = affine ? in.values(new int[] {n}, dtype, -1, 1).data : null;
                Tensor out = output(dtype, rows, n), mean = output(dtype, rows), rstd = output(dtype, rows);
                Tensor xt = atOffset(x, dtype, rows, n);
                Tensor wt = affine ? atOffset(w, dtype, n) : null, bt = affine ? atOffset(b, dtype, n) : null;
                k.layerNorm(s(xt), n, s(wt), s(bt), eps, s(out), s(mean), s(rstd));
                double[][] ref = FusedRef.layerNorm(x, rows, n, w, b, eps);
                close(what + " out", out, ref[0], dtype, 2e-5);
                close(what + " mean", mean, ref[1], dtype, 2e-6);
                close(what + " rstd", rstd, ref[2], dtype, 2e-5);

                double[] gy = in.values(new int[] {rows * n}, dtype, -1, 1).data;
                double[] m = round(ref[1], dtype), r = round(ref[2], dtype);
                Tensor gx = output(dtype, rows, n), gw = affine ? output(dtype, n) : null, gb = affine ? output(dtype, n) : null;
                k.layerNormBackward(s(atOffset(gy, dtype, rows, n)), s(xt), s(atOffset(m, dtype, rows)), s(atOffset(r, dtype, rows)), s(wt),
                        s(gx), s(gw), s(gb));
                double[][] g = FusedRef.layerNormBackward(gy, x, m, r, w, rows, n);
                close(what + " gradX", gx, g[0], dtype, 2e-4);
                if (affine) {
                    close(what + " gradWeight", gw, g[1], dtype, 1e-4);
                    close(what + " gradBias", gb, g[2], dtype, 1e-4);
                }
                // In place: gradX written over gradOut, which the parameter gradients also read.
                Tensor inPlace = atOffset(gy, dtype, rows, n);
                Tensor gw2 = affine ? output(dtype, n) : null, gb2 = affine ? output(dtype, n) : null;
                k.layerNormBackward(s(inPlace), s(xt), s(atOffset(m, dtype, rows)), s(atOffset(r, dtype, rows)), s(wt), s(inPlace), s(gw2), s(gb2));
                close(what + " gradX in place", inPlace, g[0], dtype, 2e-4);
                if (affine) {
                    close(what + " gradWeight (gradX in place)", gw2, g[1], dtype, 1e-4);
                    close(what + " gradBias (gradX in place)", gb2, g[2], dtype, 1e-4);
                }
            }
        }
    }

    record BatchNormCase(int[] shape, boolean affine) {
        @Override
        public String toString() {
            return Arrays.toString(shape) + (affine ? " affine" : "");
        }
    }

    static final List<BatchNormCase> BATCH_NORM = List.of(
            new BatchNormCase(new int[] {5, 3}, true), new BatchNormCase(new int[] {4, 3, 7}, false), new BatchNormCase(new int[] {2, 5, 3, 3}, true),
            new BatchNormCase(new int[] {3, 2, 17}, true), new BatchNormCase(new int[] {1, 4, 9}, true), new BatchNormCase(new int[] {6, 1}, false),
            new BatchNormCase(new int[] {2, 3, 1, 1}, true), new BatchNormCase(new int[] {3, 2, 5, 7}, false),
            // (N, C) with C over one block of channels walked row by row (256 on the CPU).
            new BatchNormCase(new int[] {7, 600}, true), new BatchNormCase(new int[] {3, 300}, false));

    @BackendTest
    void batchNormForwardAndBackward(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        double eps = 1e-5;
        for (DType dtype : DTYPES) {
            for (BatchNormCase c : BATCH_NORM) {
                int[] shape = c.shape();
                int n = shape[0], ch = shape[1], sp = (int) (Ref.numel(shape) / (n * ch));
                String what = "batchNorm " + c;
                double[] x = in.values(shape, dtype, -1, 4).data;
                double[] w = c.affine() ? in.values(new int[] {ch}, dtype, 0.5, 1.5).data : null;
                double[] b = c.affine() ? in.values(new int[] {ch}, dtype, -1, 1).data : null;
                Tensor out = output(dtype, shape), mean = output(dtype, ch), inv = output(dtype, ch);
                Tensor xt = atOffset(x, dtype, shape);
                Tensor wt = c.affine() ? atOffset(w, dtype, ch) : null, bt = c.affine() ? atOffset(b, dtype, ch) : null;
                k.batchNorm(s(xt), s(wt), s(bt), eps, s(out), s(mean), s(inv));
                double[][] ref = FusedRef.batchNorm(x, n, ch, sp, w, b, eps);
                close(what + " out", out, ref[0], dtype, 2e-5);
                close(what + " mean", mean, ref[1], dtype, 2e-6);
                close(what + " invstd", inv, ref[2], dtype, 2e-5);

                double[] gy = in.values(shape, dtype, -1, 1).data;
                double[] m = round(ref[1], dtype), r = round(ref[2], dtype);
                Tensor gx = output(dtype, shape), gw = c.affine() ? output(dtype, ch) : null, gb = c.affine() ? output(dtype, ch) : null;
                k.batchNormBackward(s(atOffset(gy, dtype, shape)), s(xt), s(atOffset(m, dtype, ch)), s(atOffset(r, dtype, ch)), s(wt), s(gx),
                        s(gw), s(gb));
                double[][] g = FusedRef.batchNormBackward(gy, x, m, r, w, n, ch, sp);
                close(what + " gradX", gx, g[0], dtype, 2e-4);
                if (c.affine()) {
                    close(what + " gradWeight", gw, g[1], dtype, 1e-4);
                    close(what + " gradBias", gb, g[2], dtype, 1e-4);
                }
            }
        }
    }

    /** (lr, momentum, dampening, weightDecay, nesterov). */
    static final double[][] SGD = {{0.1, 0, 0, 0, 0}, {0.1, 0.9, 0, 0.01, 1}, {0.05, 0.8, 0.3, 0.05, 0}, {0.2, 0.5, 0, 0, 0}};

    @BackendTest
    void sgdUpdateAgainstTheF64Step(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        for (DType dtype : DTYPES) {
            for (int numel : new int[] {37, 1000, 1}) {
                for (double[] h : SGD) {
                    String what = "sgdUpdate numel " + numel + " " + Arrays.toString(h);
                    double[] p = in.values(new int[] {numel}, dtype, -2, 2).data;
                    Tensor pt = atOffset(p, dtype, numel);
                    // The buffer starts as NaN: the first step must overwrite it, not decay it.
                    Tensor buf = h[1] != 0 ? output(dtype, numel) : null;
                    Rule ref = OptimizerRef.sgd(h[0], h[1], h[2], h[4] == 1, h[3]);
                    for (int step = 1; step <= 4; step++) {
                        double[] g = in.values(new int[] {numel}, dtype, -1, 1).data;
                        k.sgdUpdate(s(pt), s(atOffset(g, dtype, numel)), s(buf), new SgdUpdate(h[0], h[1], h[2], h[3], h[4] == 1, step == 1));
                        ref.step(p, g);
                        close(what + " step " + step, pt, p, dtype, 1e-5);
                    }
                }
            }
        }
    }

    /** (lr, beta1, beta2, eps, weightDecay, decoupled, amsgrad). */
    static final double[][] ADAM = {{0.01, 0.9, 0.999, 1e-8, 0, 0, 0}, {0.05, 0.5, 0.6, 1e-3, 0.1, 0, 1}, {0.01, 0.9, 0.999, 1e-8, 0.1, 1, 0},
        {0.3, 0.5, 0.6, 1e-8, 0.01, 1, 1}};

    @BackendTest
    void adamUpdateAgainstTheF64Step(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        for (DType dtype : DTYPES) {
            for (int numel : new int[] {37, 1000, 1}) {
                for (double[] h : ADAM) {
                    String what = "adamUpdate numel " + numel + " " + Arrays.toString(h);
                    boolean decoupled = h[5] == 1, amsgrad = h[6] == 1;
                    double[] p = in.values(new int[] {numel}, dtype, -2, 2).data;
                    Tensor pt = atOffset(p, dtype, numel);
                    double[] zeros = new double[numel];
                    Tensor m = atOffset(zeros, dtype, numel), v = atOffset(zeros, dtype, numel);
                    Tensor vmax = amsgrad ? atOffset(zeros, dtype, numel) : null;
                    Rule ref = OptimizerRef.adam(h[0], h[1], h[2], h[3], h[4], amsgrad, decoupled);
                    for (int step = 1; step <= 5; step++) {
                        // Gradients shrink over the steps, so amsgrad's max differs from v.
                        double scale = 1.0 / step;
                        double[] g = in.values(new int[] {numel}, dtype, -scale, scale).data;
                        k.adamUpdate(s(pt), s(atOffset(g, dtype, numel)), s(m), s(v), s(vmax),
                                new AdamUpdate(h[0], h[1], h[2], h[3], h[4], decoupled, amsgrad, step));
                        ref.step(p, g);
                        close(what + " step " + step, pt, p, dtype, 2e-5);
                    }
                }
            }
        }
    }
}
