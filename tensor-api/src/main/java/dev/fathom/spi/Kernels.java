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
}
