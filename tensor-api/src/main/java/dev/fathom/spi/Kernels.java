package dev.fathom.spi;

import dev.fathom.tensor.DType;

import java.util.function.DoubleFunction;

/**
 * The kernels of one device. They work on {@link Strided} operands only: the tensor layer has
 * already checked shapes, dtypes and devices, broadcast operands to the output shape (stride 0)
 * and allocated outputs, so a kernel never re-derives a shape rule.
 *
 * <p>Suits an asynchronous device: every method may merely enqueue work, except
 * {@link #download} and {@link #synchronize}, which wait. So an error that only the data shows (an
 * index out of range, an I64 division by zero, a value {@link #checkRange} rejects) may be thrown
 * by the call that finds it or by the next wait. Inputs may alias each other; an output aliases an
 * input only when it is the very same layout (in-place elementwise ops).
 *
 * <p>Unless a method says otherwise, outputs are contiguous (fresh buffers from the tensor layer),
 * while inputs may have any strides, including 0 and permuted ones.
 */
public interface Kernels {

    /** The device these kernels run on. */
    dev.fathom.tensor.Device device();

    // ---- memory -------------------------------------------------------------------------------

    /** A buffer of {@code numel} elements of {@code dtype}; its contents are unspecified. */
    Buffer allocate(DType dtype, long numel);

    /** Returns {@code buffer} to the backend; called exactly once per buffer. */
    void free(Buffer buffer);

    /** The backend's memory counters for this device. */
    MemoryStats memoryStats();

    /** Sets every element of {@code dst} (any strides) to {@code value}, converted to its dtype. */
    void fill(Strided dst, double value);

    /**
     * Copies {@code src} into {@code dst} (same shape, any strides on both sides), converting the
     * dtype when they differ (floats to I64 truncate toward zero; to BOOL is {@code != 0}).
     */
    void copy(Strided src, Strided dst);

    /**
     * Copies {@code count} elements from a host array ({@code float[]}, {@code double[]},
     * {@code long[]} or {@code boolean[]} matching the buffer's dtype) into {@code dst}.
     */
    void upload(Object hostArray, int hostOffset, Buffer dst, long dstOffset, int count);

    /** Copies {@code count} elements of {@code src} into a host array; waits for pending work. */
    void download(Buffer src, long srcOffset, Object hostArray, int hostOffset, int count);

    /** Waits until all work enqueued on this device has finished. */
    void synchronize();

    // ---- elementwise --------------------------------------------------------------------------

    /** {@code out = op(x)}; out may have any strides (in-place ops pass a view of x itself). */
    void unary(UnaryOp op, Strided x, Strided out);

    /** {@code out = op(a, b)}; a and b are broadcast to out's shape; out may have any strides. */
    void binary(BinaryOp op, Strided a, Strided b, Strided out);

    /** {@code out = cond ? a : b}; cond is BOOL; all broadcast to out's shape. */
    void where(Strided cond, Strided a, Strided b, Strided out);

    // ---- reductions ---------------------------------------------------------------------------

    /**
     * Reduces {@code x} over {@code axes} (sorted, distinct; exactly one for ARGMAX/ARGMIN) into
     * {@code out}, which has x's rank with size 1 on the reduced axes (contiguous).
     */
    void reduce(ReduceOp op, Strided x, int[] axes, Strided out);

    // ---- linear algebra -----------------------------------------------------------------------

    /**
     * Batched matrix product {@code out[..., m, n] = Σ_k a[..., m, k]·b[..., k, n]}. All three
     * have the same rank ≥ 2 and the same batch sizes (a and b broadcast by stride 0);
     * transposed inputs arrive as strides. out is contiguous.
     */
    void matmul(Strided a, Strided b, Strided out);

    // ---- indexing -----------------------------------------------------------------------------

    /**
     * {@code out[i] = x[i with i[dim] replaced by index[i]]}; index (I64) has out's shape. Indices
     * are checked: one outside {@code [0, x.shape[dim])} throws IndexOutOfBoundsException (now or
     * at the next wait).
     */
    void gather(Strided x, int dim, Strided index, Strided out);

    /**
     * {@code out[i with i[dim] replaced by index[i]] += src[i]}; index (I64) has src's shape, out
     * is contiguous; repeated indices accumulate.
     */
    void scatterAdd(Strided src, int dim, Strided index, Strided out);

    /**
     * Checks contiguous {@code x} (F32, F64 or I64): every element must lie in {@code [lo, hi]} (NaN
     * never does) or equal {@code allowed} (an ignore index; NaN allows nothing). For the first
     * element in row-major order that does not, throws {@code failure.apply(value)}, now or at the
     * next wait: the tensor layer checks class targets, embedding ids and probabilities this way
     * without waiting for the device. A device may report the value rounded (to F32, or an I64 at
     * or beyond an int's bounds as ±infinity).
     *
     * <p>The default downloads x and checks it on the host (the CPU's download is one array copy);
     * a device that can check where the data lives, without waiting, should override it.
     */
    default void checkRange(String op, Strided x, double lo, double hi, double allowed, DoubleFunction<RuntimeException> failure) {
        if (!x.isContiguous()) {
            throw new IllegalArgumentException(device() + ": " + op + ": checkRange takes a contiguous operand, got " + x);
        }
        int n = Math.toIntExact(x.numel());
        Object host = switch (x.buffer().dtype()) {
            case F32 -> new float[n];
            case F64 -> new double[n];
            case I64 -> new long[n];
            default -> throw new IllegalArgumentException(device() + ": " + op + ": checkRange takes F32, F64 or I64, got "
                    + x.buffer().dtype());
        };
        download(x.buffer(), x.offset(), host, 0, n);
        for (int i = 0; i < n; i++) {
            double v = host instanceof float[] f ? f[i] : host instanceof double[] d ? d[i] : ((long[]) host)[i];
            if (!(v >= lo && v <= hi) && v != allowed) {
                throw failure.apply(v);
            }
        }
    }

    // ---- random -------------------------------------------------------------------------------

    /**
     * Fills contiguous {@code out} from the Philox stream (key {@code seed}, counter base
     * {@code counter}) as {@link RandomOp} defines; {@code a, b} are (lo, hi), (mean, std) or (p, -).
     */
    void random(RandomOp op, Strided out, long seed, long counter, double a, double b);

    // ---- convolution and pooling ----------------------------------------------------------------
    //
    // NCHW. Every operand is contiguous row-major (any offset): the tensor layer makes inputs
    // contiguous and allocates the outputs, which the kernel overwrites entirely (a gradient output
    // is not accumulated into). Geometry comes validated from the tensor layer. Bias is not a kernel
    // operand: the tensor layer adds it into the fresh output in place, as a broadcast (C_out, 1, 1)
    // binary op, so its gradient is a plain sum.
    // The defaults throw, so a backend without these kernels says so by name.

    /**
     * {@code out[n, o, i, j] = Σ_{c, p, q} x[n, G·C_in/g + c, i·sH − pH + p·dH, j·sW − pW + q·dW] · w[o, c, p, q]}
     * over the input channels c of o's group G (padding reads as 0). x {@code (N, C_in, H, W)},
     * w {@code (C_out, C_in/groups, KH, KW)}, out {@code (N, C_out, OH, OW)}.
     */
    default void conv2dForward(Conv2dGeometry g, Strided x, Strided w, Strided out) {
        throw unsupported("conv2dForward", x);
    }

    /**
     * The gradient of {@link #conv2dForward} with respect to x (a transposed convolution):
     * gradIn {@code (N, C_in, H, W)} from gradOut {@code (N, C_out, OH, OW)} and w
     * {@code (C_out, C_in/groups, KH, KW)}.
     */
    default void conv2dBackwardData(Conv2dGeometry g, Strided gradOut, Strided w, Strided gradIn) {
        throw unsupported("conv2dBackwardData", gradOut);
    }

    /**
     * The gradient of {@link #conv2dForward} with respect to w, summed over the batch: gradW
     * {@code (C_out, C_in/groups, KH, KW)} from x {@code (N, C_in, H, W)} and gradOut
     * {@code (N, C_out, OH, OW)}.
     */
    default void conv2dBackwardWeight(Conv2dGeometry g, Strided x, Strided gradOut, Strided gradW) {
        throw unsupported("conv2dBackwardWeight", x);
    }

    /**
     * Max over each window of x {@code (N, C, H, W)} (padding never wins) into out
     * {@code (N, C, OH, OW)}, and into indices (I64, same shape) the position {@code h·W + w} of
     * the max within its input plane, as PyTorch's {@code return_indices}. Ties keep the first
     * position in row-major window order; a NaN wins (and propagates).
     */
    default void maxPool2dForward(Pool2dGeometry g, Strided x, Strided out, Strided indices) {
        throw unsupported("maxPool2dForward", x);
    }

    /**
     * {@code gradIn[n, c].flat[indices[n, c, i, j]] += gradOut[n, c, i, j]} on a zeroed gradIn
     * {@code (N, C, H, W)}; gradOut and indices {@code (N, C, OH, OW)}.
     */
    default void maxPool2dBackward(Pool2dGeometry g, Strided gradOut, Strided indices, Strided gradIn) {
        throw unsupported("maxPool2dBackward", gradOut);
    }

    /**
     * Mean over each window of x {@code (N, C, H, W)} into out {@code (N, C, OH, OW)}: the sum of
     * the real elements divided by KH·KW when {@code countIncludePad} (PyTorch's default), else by
     * the number of real elements in the window.
     */
    default void avgPool2dForward(Pool2dGeometry g, boolean countIncludePad, Strided x, Strided out) {
        throw unsupported("avgPool2dForward", x);
    }

    /** The gradient of {@link #avgPool2dForward}: gradIn {@code (N, C, H, W)} from gradOut {@code (N, C, OH, OW)}. */
    default void avgPool2dBackward(Pool2dGeometry g, boolean countIncludePad, Strided gradOut, Strided gradIn) {
        throw unsupported("avgPool2dBackward", gradOut);
    }

    // ---- fused normalization and optimizer updates -----------------------------------------------
    //
    // Single-pass versions of composites the tensor layer also has (softmax, layer and batch norm,
    // the SGD and Adam steps); the composite is the definition. Every operand is contiguous
    // row-major (any offset), F32 or F64 with one dtype per call; outputs are overwritten, never
    // accumulated into. Statistics are accumulated accurately (an F32 row is summed as F64 or in
    // blocks). The defaults throw, and the tensor layer then falls back to the composite.

    /**
     * {@code out = softmax(x)} along {@code axis}, or log-softmax when {@code log}. x and out have the
     * same shape; the axis has {@code n = shape[axis]} elements, and the rows are
     * {@code (outer = Π shape[..axis], inner = Π shape[axis+1..])}. Numerically stable: each row is
     * shifted by its max, or by 0 when that max is infinite (as the composite's shift), so
     * {@code out = exp(x − m) / Σ exp(x − m)}, resp. {@code (x − m) − log Σ exp(x − m)}.
     */
    default void softmax(Strided x, int axis, boolean log, Strided out) {
        throw unsupported("softmax", x);
    }

    /**
     * The gradient of {@link #softmax} from its forward output y:
     * softmax {@code gradX = y·(gradY − Σ_axis gradY·y)}; log-softmax
     * {@code gradX = gradY − exp(y)·Σ_axis gradY}.
     */
    default void softmaxBackward(Strided y, Strided gradY, int axis, boolean log, Strided gradX) {
        throw unsupported("softmaxBackward", y);
    }

    /**
     * Layer normalization over the trailing {@code normalized} elements: x is seen as
     * {@code (rows, n = normalized)}; {@code mean[r]} is row r's mean,
     * {@code rstd[r] = 1/sqrt(biased var + eps)} and {@code out = (x − mean)·rstd·w + b}. weight and
     * bias are {@code (n,)} or null (then 1 and 0); mean and rstd are {@code (rows,)} of x's dtype.
     */
    default void layerNorm(Strided x, long normalized, Strided weight, Strided bias, double eps, Strided out, Strided mean, Strided rstd) {
        throw unsupported("layerNorm", x);
    }

    /**
     * The gradient of {@link #layerNorm} from the saved mean and rstd: with
     * {@code xhat = (x − mean)·rstd} and {@code g = gradOut·w} (w = 1 when weight is null),
     * {@code gradX = rstd·(g − mean_n(g) − xhat·mean_n(g·xhat))} {@code (rows, n)}; when non-null,
     * {@code gradWeight = Σ_rows gradOut·xhat} and {@code gradBias = Σ_rows gradOut} {@code (n,)}.
     */
    default void layerNormBackward(Strided gradOut, Strided x, Strided mean, Strided rstd, Strided weight,
                                   Strided gradX, Strided gradWeight, Strided gradBias) {
        throw unsupported("layerNormBackward", x);
    }

    /**
     * Training-mode batch normalization: x is seen as {@code (N, C, S)} with {@code C = shape[1]} and
     * S the product of {@code shape[2..]} (1 for {@code (N, C)}). Per channel, over its
     * {@code M = N·S} elements: the mean, the biased variance, {@code invstd = 1/sqrt(var + eps)}
     * and {@code out = (x − mean)·invstd·w + b}. weight and bias are {@code (C,)} or null; writes
     * mean and invstd {@code (C,)}. The caller updates running statistics (the unbiased variance
     * follows from invstd).
     */
    default void batchNorm(Strided x, Strided weight, Strided bias, double eps, Strided out, Strided mean, Strided invstd) {
        throw unsupported("batchNorm", x);
    }

    /**
     * The gradient of {@link #batchNorm} from the saved mean and invstd: with
     * {@code xhat = (x − mean)·invstd} and {@code g = gradOut·w},
     * {@code gradX = invstd·(g − mean_M(g) − xhat·mean_M(g·xhat))}; when non-null,
     * {@code gradWeight = Σ_M gradOut·xhat} and {@code gradBias = Σ_M gradOut} {@code (C,)}.
     */
    default void batchNormBackward(Strided gradOut, Strided x, Strided mean, Strided invstd, Strided weight,
                                   Strided gradX, Strided gradWeight, Strided gradBias) {
        throw unsupported("batchNormBackward", x);
    }

    /**
     * The gradient of an activation in {@link UnaryOp#FUSED_GRADIENT} in one pass:
     * {@code gradIn = gradOut·op'(x)}, elementwise over three operands of one shape and one
     * floating dtype (gradOut may be strided). RELU: gradOut where {@code x > 0}, else 0 (a NaN or
     * infinite gradOut where {@code x ≤ 0} gives 0, as {@code where} does); GELU:
     * {@code gradOut·(Φ(x) + x·φ(x))}. The composites in {@code dev.fathom.autograd.GradientRules}
     * define them, and serve where a backend has no such kernel (each is several passes).
     */
    default void activationBackward(UnaryOp op, Strided x, Strided gradOut, Strided gradIn) {
        throw unsupported("activationBackward", x);
    }

    /**
     * One SGD step in place, elementwise over param, grad and momentumBuffer (same numel;
     * {@code torch.optim.SGD}): {@code g = grad + weightDecay·param}; when {@code momentum != 0},
     * {@code buf = firstStep ? g : momentum·buf + (1 − dampening)·g} and
     * {@code g = nesterov ? g + momentum·buf : buf}; then {@code param −= lr·g}. momentumBuffer is
     * null when momentum is 0.
     */
    default void sgdUpdate(Strided param, Strided grad, Strided momentumBuffer, SgdUpdate hyper) {
        throw unsupported("sgdUpdate", param);
    }

    /**
     * One Adam (Kingma and Ba 2015) or AdamW (Loshchilov and Hutter 2019) step in place at step t
     * (1-based), elementwise: decoupled: {@code param *= 1 − lr·weightDecay}, else
     * {@code g = grad + weightDecay·param}; {@code m = β1·m + (1 − β1)·g},
     * {@code v = β2·v + (1 − β2)·g²}; with amsgrad {@code vmax = max(vmax, v)} replaces v below
     * (maxExpAvgSq is null without amsgrad); {@code param −= lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + eps)}.
     */
    default void adamUpdate(Strided param, Strided grad, Strided expAvg, Strided expAvgSq, Strided maxExpAvgSq, AdamUpdate hyper) {
        throw unsupported("adamUpdate", param);
    }

    // ---- recurrent cells -------------------------------------------------------------------------
    //
    // One LSTM step's elementwise part in one pass; the composite in dev.fathom.nn.LSTM is the
    // definition and serves where a backend has no such kernel (ten kernels forward, more back).
    // Every operand is contiguous (any offset), one floating dtype; R rows of H units; outputs are
    // overwritten.

    /**
     * The LSTM cell in PyTorch's gate order (input, forget, cell, output): with the pre-activations
     * {@code z = gates[r] + inputGates[r]} ({@code [R, 4H]} each: a step's h·W_hhᵀ and its input
     * projection; inputGates may be null, then {@code z = gates[r]}) and {@code cPrev = c[r, j]}
     * ({@code [R, H]}): {@code i = σ(z_j)}, {@code f = σ(z_{H+j})}, {@code g = tanh(z_{2H+j})},
     * {@code o = σ(z_{3H+j})}; {@code c' = f·cPrev + i·g}, {@code h' = o·tanh(c')}, evaluated in
     * that order (F32 in F32). Writes {@code out[0, r, j] = h'} and {@code out[1, r, j] = c'}
     * ({@code [2, R, H]}) and {@code acts[r] = (i, f, g, o, tanh(c'))} ({@code [R, 5H]}, each H
     * wide) for {@link #lstmCellBackward}. Taking the input projection here saves a recurrent layer
     * one launch per step.
     */
    default void lstmCell(Strided gates, Strided inputGates, Strided c, Strided out, Strided acts) {
        throw unsupported("lstmCell", gates);
    }

    /**
     * The gradients of {@link #lstmCell} from its acts, its cPrev {@code c} and {@code gradOut}
     * ({@code [2, R, H]}: the gradients of h' and c'), plus {@code gradH} ({@code [R, H]}, or null
     * for none) added to the gradient of h' (the next step's share of it, so that a recurrent
     * layer needs no add per step): with {@code dh = gradOut[0] + gradH} and {@code t = tanh(c')},
     * {@code dc = gradOut[1] + dh·o·(1 − t²)}; {@code gradGates[r]} ({@code [R, 4H]}) gets
     * {@code dc·g·i·(1 − i)}, {@code dc·cPrev·f·(1 − f)}, {@code dc·i·(1 − g²)} and
     * {@code dh·t·o·(1 − o)}; {@code gradC = dc·f} ({@code [R, H]}).
     */
    default void lstmCellBackward(Strided acts, Strided c, Strided gradOut, Strided gradH, Strided gradGates, Strided gradC) {
        throw unsupported("lstmCellBackward", acts);
    }

    // ---- fused attention ------------------------------------------------------------------------
    //
    // Scaled dot-product attention without materializing the [lq, lk] scores (FlashAttention-2,
    // Dao 2023); the composite softmax(scale·q·kᵀ, causal)·v in dev.fathom.nn is the definition.
    // Operands as AttentionGeometry describes them: [batch, heads, rows, width] read and written
    // through their strides (a row's elements adjacent), the logsumexp contiguous, one dtype,
    // outputs overwritten.

    /**
     * {@code out_i = Σ_j p_ij·v_j} with {@code p_ij = exp(s_ij − lse_i)} over the keys row i sees,
     * {@code s_ij = scale·q_i·k_j} and {@code lse_i = log Σ_j exp(s_ij)} written to logsumexp.
     * Numerically stable (a running max with rescaling, never {@code exp} of a large score); a row
     * that sees no key gets {@code out_i = 0} and {@code lse_i = −∞}.
     */
    default void attentionForward(AttentionGeometry g, Strided q, Strided k, Strided v, Strided out, Strided logsumexp) {
        throw unsupported("attentionForward", q);
    }

    /**
     * The gradients of {@link #attentionForward} from its out and logsumexp, P recomputed:
     * {@code D_i = Σ_c gradOut_ic·out_ic}, {@code dP_ij = gradOut_i·v_j},
     * {@code dS_ij = p_ij·(dP_ij − D_i)}; {@code gradQ_i = scale·Σ_j dS_ij·k_j},
     * {@code gradK_j = scale·Σ_i dS_ij·q_i}, {@code gradV_j = Σ_i p_ij·gradOut_i}. All three
     * outputs are written (zeros where no query sees a key).
     */
    default void attentionBackward(AttentionGeometry g, Strided q, Strided k, Strided v, Strided out, Strided gradOut, Strided logsumexp,
                                   Strided gradQ, Strided gradK, Strided gradV) {
        throw unsupported("attentionBackward", q);
    }

    private UnsupportedOperationException unsupported(String op, Strided operand) {
        return new UnsupportedOperationException(device() + ": the backend has no " + op + " kernel (dtype "
                + operand.buffer().dtype() + ")");
    }
}
