package dev.fathom.cuda;

import dev.fathom.cuda.KernelLauncher.Dim3;
import dev.fathom.spi.AdamUpdate;
import dev.fathom.spi.SgdUpdate;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;

import java.util.Map;
import java.util.Objects;

import static dev.fathom.cuda.FusedOperandChecks.dtype;
import static dev.fathom.cuda.FusedOperandChecks.numel;
import static dev.fathom.cuda.FusedOperandChecks.required;
import static dev.fathom.cuda.FusedOperandChecks.sameShape;
import static dev.fathom.cuda.FusedOperandChecks.shapes;

/**
 * The fused ops of {@link dev.fathom.spi.Kernels} (softmax, layer norm, batch norm, the SGD and Adam
 * updates) on a {@link CudaDevice}: checks the operands ({@link FusedOperandChecks}), picks kernel
 * and geometry ({@link FusedLaunchPlan}) and enqueues the launches of {@code softmax.cu},
 * {@code norm.cu} and {@code optim.cu} on the device's stream without waiting. Each method has the
 * SPI method's signature and meaning; {@code CudaKernels} delegates to it.
 *
 * <p>Every kernel takes a buffer's base address plus the operand's element offset, so views with an
 * offset need no copy; absent optional operands are null pointers. An op with no elements enqueues
 * nothing, except that zero rows still write zero parameter gradients.
 */
final class CudaFusedOps {
    private final CudaDevice device;
    private final Addresses addresses;
    private final Map<String, KernelModule> modules;

    /** The device address of an operand's buffer (element 0), checked to belong to this device. */
    @FunctionalInterface
    interface Addresses {
        /** @param op the op, named in the error when the buffer is not this device's */
        long of(Strided operand, String op);
    }

    /**
     * @param device    the GPU; its modules {@code softmax}, {@code norm} and {@code optim} load on first use
     * @param addresses the buffers' device addresses, e.g. {@code (s, op) -> kernels.buffer(s, op).address()}
     *                  (which also makes the context current on the calling thread)
     */
    CudaFusedOps(CudaDevice device, Addresses addresses) {
        this.device = Objects.requireNonNull(device, "device");
        this.addresses = Objects.requireNonNull(addresses, "addresses");
        this.modules = Map.of("softmax", new KernelModule(device, "softmax"), "norm", new KernelModule(device, "norm"), "optim",
                new KernelModule(device, "optim"));
    }

    // ---- softmax -------------------------------------------------------------------------------

    void softmax(Strided x, int axis, boolean log, Strided out) {
        String op = log ? "logSoftmax" : "softmax";
        required(op, "x", x);
        required(op, "out", out);
        DType dt = dtype(op, new String[] {"x", "out"}, x, out);
        sameShape(op, "x", x, "out", out);
        long[] oni = outerNInner(op, x, axis);
        FusedLaunchPlan.Softmax plan = FusedLaunchPlan.softmax(oni[0], oni[1], oni[2], LaunchGeometry.MAX_GRID);
        launch("softmax", op, LazyText.of(() -> shapes(x) + " axis " + axis),
                "softmax_" + plan.kernel().suffix() + "_" + suffix(dt),
                plan.geometry(), KernelParams.of().ptr(address(x, op)).i64(x.offset()).ptr(address(out, op)).i64(out.offset())
                        .i64(oni[0]).i64(oni[1]).i64(oni[2]).i32(log ? 1 : 0));
    }

    void softmaxBackward(Strided y, Strided gradY, int axis, boolean log, Strided gradX) {
        String op = log ? "logSoftmaxBackward" : "softmaxBackward";
        required(op, "y", y);
        required(op, "gradY", gradY);
        required(op, "gradX", gradX);
        DType dt = dtype(op, new String[] {"y", "gradY", "gradX"}, y, gradY, gradX);
        sameShape(op, "y", y, "gradY", gradY);
        sameShape(op, "y", y, "gradX", gradX);
        long[] oni = outerNInner(op, y, axis);
        FusedLaunchPlan.Softmax plan = FusedLaunchPlan.softmax(oni[0], oni[1], oni[2], LaunchGeometry.MAX_GRID);
        launch("softmax", op, LazyText.of(() -> shapes(y) + " axis " + axis),
                "softmax_backward_" + plan.kernel().suffix() + "_" + suffix(dt),
                plan.geometry(), KernelParams.of().ptr(address(y, op)).i64(y.offset()).ptr(address(gradY, op)).i64(gradY.offset())
                        .ptr(address(gradX, op)).i64(gradX.offset()).i64(oni[0]).i64(oni[1]).i64(oni[2]).i32(log ? 1 : 0));
    }

    /** {outer, n, inner} around {@code axis}; a scalar is one row of one element. */
    private static long[] outerNInner(String op, Strided x, int axis) {
        int[] shape = x.shape();
        if (shape.length == 0) {
            return new long[] {1, 1, 1};
        }
        if (axis < 0 || axis >= shape.length) {
            throw new IllegalArgumentException("cuda " + op + ": axis " + axis + " is out of range for shape "
                    + FusedOperandChecks.describe(x) + "; pass 0.." + (shape.length - 1) + " (normalize negative axes first)");
        }
        long outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) {
            outer *= shape[d];
        }
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        return new long[] {outer, shape[axis], inner};
    }

    // ---- layer norm ----------------------------------------------------------------------------

    void layerNorm(Strided x, long normalized, Strided weight, Strided bias, double eps, Strided out, Strided mean, Strided rstd) {
        String op = "layerNorm";
        required(op, "x", x);
        required(op, "out", out);
        required(op, "mean", mean);
        required(op, "rstd", rstd);
        DType dt = dtype(op, new String[] {"x", "weight", "bias", "out", "mean", "rstd"}, x, weight, bias, out, mean, rstd);
        sameShape(op, "x", x, "out", out);
        checkEps(op, eps);
        if (normalized < 1 || x.numel() % normalized != 0) {
            throw new IllegalArgumentException("cuda layerNorm: normalized size " + normalized + " must be >= 1 and divide x's "
                    + x.numel() + " elements (shape " + FusedOperandChecks.describe(x) + "); pass the product of the normalized trailing dims");
        }
        long rows = x.numel() / normalized;
        numel(op, "weight", weight, normalized, "the normalized size");
        numel(op, "bias", bias, normalized, "the normalized size");
        numel(op, "mean", mean, rows, "one per row");
        numel(op, "rstd", rstd, rows, "one per row");
        launch("norm", op, LazyText.of(() -> shapes(x) + " normalized " + normalized), "layer_norm_" + suffix(dt),
                FusedLaunchPlan.rows(rows, normalized, LaunchGeometry.MAX_GRID),
                KernelParams.of().ptr(address(x, op)).i64(x.offset()).ptr(address(weight, op)).i64(offset(weight))
                        .ptr(address(bias, op)).i64(offset(bias)).ptr(address(out, op)).i64(out.offset())
                        .ptr(address(mean, op)).i64(mean.offset()).ptr(address(rstd, op)).i64(rstd.offset())
                        .i64(rows).i64(normalized).f64(eps));
    }

    void layerNormBackward(Strided gradOut, Strided x, Strided mean, Strided rstd, Strided weight,
                           Strided gradX, Strided gradWeight, Strided gradBias) {
        String op = "layerNormBackward";
        required(op, "gradOut", gradOut);
        required(op, "x", x);
        required(op, "mean", mean);
        required(op, "rstd", rstd);
        required(op, "gradX", gradX);
        DType dt = dtype(op, new String[] {"gradOut", "x", "mean", "rstd", "weight", "gradX", "gradWeight", "gradBias"},
                gradOut, x, mean, rstd, weight, gradX, gradWeight, gradBias);
        sameShape(op, "x", x, "gradOut", gradOut);
        sameShape(op, "x", x, "gradX", gradX);
        // The row length is not an argument: rows = mean's numel, n = x's numel / rows (or, with no
        // rows, the parameters' length, whose gradients are then zeros).
        long rows = mean.numel();
        long n;
        if (rows > 0) {
            if (x.numel() % rows != 0) {
                throw new IllegalArgumentException("cuda layerNormBackward: mean has " + rows + " elements, which do not divide x's "
                        + x.numel() + " (shape " + FusedOperandChecks.describe(x) + "); pass the forward's mean (one per row)");
            }
            n = x.numel() / rows;
        } else {
            n = firstNumel(weight, gradWeight, gradBias);
        }
        numel(op, "rstd", rstd, rows, "one per row, as mean");
        numel(op, "weight", weight, n, "the row length");
        numel(op, "gradWeight", gradWeight, n, "the row length");
        numel(op, "gradBias", gradBias, n, "the row length");
        Object where = LazyText.of(() -> shapes(x) + " rows " + rows);
        // Parameter gradients first: they read gradOut and x, which gradX may alias.
        if (gradWeight != null || gradBias != null) {
            launch("norm", op, where, "layer_norm_param_grads_" + suffix(dt), FusedLaunchPlan.columnSums(n, LaunchGeometry.MAX_GRID),
                    KernelParams.of().ptr(address(gradOut, op)).i64(gradOut.offset()).ptr(address(x, op)).i64(x.offset())
                            .ptr(address(mean, op)).i64(mean.offset()).ptr(address(rstd, op)).i64(rstd.offset())
                            .ptr(address(gradWeight, op)).i64(offset(gradWeight)).ptr(address(gradBias, op)).i64(offset(gradBias))
                            .i64(rows).i64(n));
        }
        if (rows > 0 && n > 0) {
            launch("norm", op, where, "layer_norm_backward_" + suffix(dt), FusedLaunchPlan.rows(rows, n, LaunchGeometry.MAX_GRID),
                    KernelParams.of().ptr(address(gradOut, op)).i64(gradOut.offset()).ptr(address(x, op)).i64(x.offset())
                            .ptr(address(mean, op)).i64(mean.offset()).ptr(address(rstd, op)).i64(rstd.offset())
                            .ptr(address(weight, op)).i64(offset(weight)).ptr(address(gradX, op)).i64(gradX.offset())
                            .i64(rows).i64(n));
        }
    }

    // ---- batch norm ----------------------------------------------------------------------------

    void batchNorm(Strided x, Strided weight, Strided bias, double eps, Strided out, Strided mean, Strided invstd) {
        String op = "batchNorm";
        required(op, "x", x);
        required(op, "out", out);
        required(op, "mean", mean);
        required(op, "invstd", invstd);
        DType dt = dtype(op, new String[] {"x", "weight", "bias", "out", "mean", "invstd"}, x, weight, bias, out, mean, invstd);
        sameShape(op, "x", x, "out", out);
        checkEps(op, eps);
        long[] ncs = ncs(op, x);
        for (Object[] p : new Object[][] {{"weight", weight}, {"bias", bias}, {"mean", mean}, {"invstd", invstd}}) {
            numel(op, (String) p[0], (Strided) p[1], ncs[1], "one per channel, shape[1]");
        }
        FusedLaunchPlan.BatchNorm plan = FusedLaunchPlan.batchNorm(ncs[1], ncs[0] * ncs[2], LaunchGeometry.MAX_GRID);
        long xa = address(x, op);  // resolved first: it makes the context current for the workspace
        KernelParams tail = KernelParams.of().ptr(address(weight, op)).i64(offset(weight))
                .ptr(address(bias, op)).i64(offset(bias)).ptr(address(out, op)).i64(out.offset())
                .ptr(address(mean, op)).i64(mean.offset()).ptr(address(invstd, op)).i64(invstd.offset());
        if (plan.parts() == 1) {
            launch("norm", op, LazyText.of(() -> shapes(x)), "batch_norm_" + suffix(dt), plan.geometry(),
                    join(KernelParams.of().ptr(xa).i64(x.offset()), tail).i64(ncs[0]).i64(ncs[1]).i64(ncs[2]).f64(eps));
            return;
        }
        long ws = device.allocator().allocate(op, plan.workspaceBytes(ncs[1]));
        try {
            Object where = LazyText.of(() -> shapes(x) + " in " + plan.parts() + " parts per channel");
            launch("norm", op, where, "batch_norm_partials_" + suffix(dt), plan.geometry(), KernelParams.of().ptr(xa)
                    .i64(x.offset()).ptr(ws).i64(ncs[0]).i64(ncs[1]).i64(ncs[2]).i64(plan.parts()));
            launch("norm", op, where, "batch_norm_apply_" + suffix(dt), plan.geometry(),
                    join(KernelParams.of().ptr(xa).i64(x.offset()), tail).ptr(ws).i64(ncs[0]).i64(ncs[1]).i64(ncs[2])
                            .i64(plan.parts()).f64(eps));
        } finally {
            device.allocator().free(ws);  // reused only by later launches on the same stream
        }
    }

    void batchNormBackward(Strided gradOut, Strided x, Strided mean, Strided invstd, Strided weight,
                           Strided gradX, Strided gradWeight, Strided gradBias) {
        String op = "batchNormBackward";
        required(op, "gradOut", gradOut);
        required(op, "x", x);
        required(op, "mean", mean);
        required(op, "invstd", invstd);
        required(op, "gradX", gradX);
        DType dt = dtype(op, new String[] {"gradOut", "x", "mean", "invstd", "weight", "gradX", "gradWeight", "gradBias"},
                gradOut, x, mean, invstd, weight, gradX, gradWeight, gradBias);
        sameShape(op, "x", x, "gradOut", gradOut);
        sameShape(op, "x", x, "gradX", gradX);
        long[] ncs = ncs(op, x);
        for (Object[] p : new Object[][] {{"mean", mean}, {"invstd", invstd}, {"weight", weight}, {"gradWeight", gradWeight},
                {"gradBias", gradBias}}) {
            numel(op, (String) p[0], (Strided) p[1], ncs[1], "one per channel, shape[1]");
        }
        FusedLaunchPlan.BatchNorm plan = FusedLaunchPlan.batchNorm(ncs[1], ncs[0] * ncs[2], LaunchGeometry.MAX_GRID);
        KernelParams head = KernelParams.of().ptr(address(gradOut, op)).i64(gradOut.offset()).ptr(address(x, op)).i64(x.offset())
                .ptr(address(mean, op)).i64(mean.offset()).ptr(address(invstd, op)).i64(invstd.offset());
        KernelParams grads = KernelParams.of().ptr(address(weight, op)).i64(offset(weight)).ptr(address(gradX, op))
                .i64(gradX.offset()).ptr(address(gradWeight, op)).i64(offset(gradWeight)).ptr(address(gradBias, op))
                .i64(offset(gradBias));
        if (plan.parts() == 1) {
            launch("norm", op, LazyText.of(() -> shapes(x)), "batch_norm_backward_" + suffix(dt), plan.geometry(),
                    join(join(KernelParams.of(), head), grads).i64(ncs[0]).i64(ncs[1]).i64(ncs[2]));
            return;
        }
        long ws = device.allocator().allocate(op, plan.workspaceBytes(ncs[1]));
        try {
            Object where = LazyText.of(() -> shapes(x) + " in " + plan.parts() + " parts per channel");
            launch("norm", op, where, "batch_norm_backward_partials_" + suffix(dt), plan.geometry(),
                    join(KernelParams.of(), head).ptr(ws).i64(ncs[0]).i64(ncs[1]).i64(ncs[2]).i64(plan.parts()));
            launch("norm", op, where, "batch_norm_backward_apply_" + suffix(dt), plan.geometry(),
                    join(join(KernelParams.of(), head), grads).ptr(ws).i64(ncs[0]).i64(ncs[1]).i64(ncs[2]).i64(plan.parts()));
        } finally {
            device.allocator().free(ws);
        }
    }

    /** {N, C, S} of batch norm's view: C = shape[1], S = Π shape[2..]. */
    private static long[] ncs(String op, Strided x) {
        int[] shape = x.shape();
        if (shape.length < 2) {
            throw new IllegalArgumentException("cuda " + op + ": x must be (N, C, ...) with at least 2 dims, got "
                    + FusedOperandChecks.describe(x));
        }
        long s = 1;
        for (int d = 2; d < shape.length; d++) {
            s *= shape[d];
        }
        return new long[] {shape[0], shape[1], s};
    }

    // ---- optimizer updates ---------------------------------------------------------------------

    void sgdUpdate(Strided param, Strided grad, Strided momentumBuffer, SgdUpdate h) {
        String op = "sgdUpdate";
        required(op, "param", param);
        required(op, "grad", grad);
        Objects.requireNonNull(h, "cuda sgdUpdate: hyperparameters");
        if (h.momentum() != 0 && momentumBuffer == null) {
            throw new IllegalArgumentException("cuda sgdUpdate: momentum " + h.momentum()
                    + " needs a momentum buffer, got null; pass the parameter's buffer (zeros before the first step)");
        }
        DType dt = dtype(op, new String[] {"param", "grad", "momentumBuffer"}, param, grad, momentumBuffer);
        long n = param.numel();
        numel(op, "grad", grad, n, "param's numel");
        numel(op, "momentumBuffer", momentumBuffer, n, "param's numel");
        Strided buf = h.momentum() != 0 ? momentumBuffer : null;
        launch("optim", op, LazyText.of(() -> shapes(param)), "sgd_update_" + suffix(dt), LaunchGeometry.forElements(n),
                KernelParams.of().ptr(address(param, op)).i64(param.offset()).ptr(address(grad, op)).i64(grad.offset())
                        .ptr(address(buf, op)).i64(offset(buf)).i64(n).f64(h.lr()).f64(h.momentum()).f64(h.dampening())
                        .f64(h.weightDecay()).i32(h.nesterov() ? 1 : 0).i32(h.firstStep() ? 1 : 0));
    }

    void adamUpdate(Strided param, Strided grad, Strided expAvg, Strided expAvgSq, Strided maxExpAvgSq, AdamUpdate h) {
        String op = "adamUpdate";
        required(op, "param", param);
        required(op, "grad", grad);
        required(op, "expAvg", expAvg);
        required(op, "expAvgSq", expAvgSq);
        Objects.requireNonNull(h, "cuda adamUpdate: hyperparameters");
        if (h.amsgrad() && maxExpAvgSq == null) {
            throw new IllegalArgumentException("cuda adamUpdate: amsgrad needs maxExpAvgSq, got null; pass the running max "
                    + "of the second moment (zeros before the first step)");
        }
        if (h.step() < 1) {
            throw new IllegalArgumentException("cuda adamUpdate: step " + h.step() + " must be >= 1 (1-based, for the bias corrections)");
        }
        DType dt = dtype(op, new String[] {"param", "grad", "expAvg", "expAvgSq", "maxExpAvgSq"}, param, grad, expAvg, expAvgSq,
                maxExpAvgSq);
        long n = param.numel();
        for (Object[] p : new Object[][] {{"grad", grad}, {"expAvg", expAvg}, {"expAvgSq", expAvgSq}, {"maxExpAvgSq", maxExpAvgSq}}) {
            numel(op, (String) p[0], (Strided) p[1], n, "param's numel");
        }
        Strided vmax = h.amsgrad() ? maxExpAvgSq : null;
        // The bias corrections once, in F64, on the host: a pow per GPU thread would cost more than the update.
        double bc1 = 1 - Math.pow(h.beta1(), h.step()), bc2 = 1 - Math.pow(h.beta2(), h.step());
        launch("optim", op, LazyText.of(() -> shapes(param) + " step " + h.step()), "adam_update_" + suffix(dt),
                LaunchGeometry.forElements(n),
                KernelParams.of().ptr(address(param, op)).i64(param.offset()).ptr(address(grad, op)).i64(grad.offset())
                        .ptr(address(expAvg, op)).i64(expAvg.offset()).ptr(address(expAvgSq, op)).i64(expAvgSq.offset())
                        .ptr(address(vmax, op)).i64(offset(vmax)).i64(n).f64(h.lr()).f64(h.beta1()).f64(h.beta2()).f64(h.eps())
                        .f64(h.weightDecay()).f64(bc1).f64(bc2).i32(h.decoupled() ? 1 : 0).i32(h.amsgrad() ? 1 : 0));
    }

    // ---- plumbing ------------------------------------------------------------------------------

    private void launch(String module, String op, Object shapes, String kernel, LaunchGeometry g, KernelParams params) {
        if (g.isEmpty()) {
            return;
        }
        modules.get(module).launch(op, shapes, kernel, Dim3.of(g.grid()), Dim3.of(g.block()), params);
    }

    /** {@code to} with {@code more}'s arguments appended (shared runs of a kernel family's parameter lists). */
    private static KernelParams join(KernelParams to, KernelParams more) {
        for (KernelParams.Arg a : more.args()) {
            switch (a) {
                case KernelParams.Ptr p -> to.ptr(p.address());
                case KernelParams.I32 i -> to.i32(i.value());
                case KernelParams.I64 i -> to.i64(i.value());
                case KernelParams.F32 f -> to.f32(f.value());
                case KernelParams.F64 f -> to.f64(f.value());
                case KernelParams.Struct st -> to.struct(st.bytes());
            }
        }
        return to;
    }

    private long address(Strided s, String op) {
        return s == null ? 0 : addresses.of(s, op);
    }

    private static long offset(Strided s) {
        return s == null ? 0 : s.offset();
    }

    private static String suffix(DType dt) {
        return dt == DType.F32 ? "f32" : "f64";
    }

    private static long firstNumel(Strided... operands) {
        for (Strided s : operands) {
            if (s != null) {
                return s.numel();
            }
        }
        return 0;
    }

    private static void checkEps(String op, double eps) {
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("cuda " + op + ": eps " + eps + " must be finite and >= 0 (e.g. 1e-5)");
        }
    }
}
