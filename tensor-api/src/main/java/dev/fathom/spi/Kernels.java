package dev.fathom.spi;

import dev.fathom.tensor.DType;

/**
 * The kernels of one device. They work on {@link Strided} operands only: the tensor layer has
 * already checked shapes, dtypes and devices, broadcast operands to the output shape (stride 0)
 * and allocated outputs, so a kernel never re-derives a shape rule.
 *
 * <p>Suits an asynchronous device: every method may merely enqueue work, except
 * {@link #download} and {@link #synchronize}, which wait. Inputs may alias each other; an output
 * aliases an input only when it is the very same layout (in-place elementwise ops).
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
     * are checked: one outside {@code [0, x.shape[dim])} throws IndexOutOfBoundsException.
     */
    void gather(Strided x, int dim, Strided index, Strided out);

    /**
     * {@code out[i with i[dim] replaced by index[i]] += src[i]}; index (I64) has src's shape, out
     * is contiguous; repeated indices accumulate.
     */
    void scatterAdd(Strided src, int dim, Strided index, Strided out);

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
    // operand: the tensor layer adds it as a broadcast (C_out, 1, 1), so its gradient is a plain sum.
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

    private UnsupportedOperationException unsupported(String op, Strided operand) {
        return new UnsupportedOperationException(device() + ": the backend has no " + op + " kernel (dtype "
                + operand.buffer().dtype() + ")");
    }
}
