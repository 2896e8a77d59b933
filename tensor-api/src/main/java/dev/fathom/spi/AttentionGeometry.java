package dev.fathom.spi;

import dev.fathom.tensor.DType;

import java.util.Arrays;

/**
 * The sizes of one fused scaled-dot-product attention ({@link Kernels#attentionForward},
 * {@link Kernels#attentionBackward}), computed and validated once by the tensor layer. Operands are
 * {@code [batch, heads, rows, width]}: q {@code [batch, heads, lq, headDim]}, k
 * {@code [batch, heads, lk, headDim]}, v {@code [batch, heads, lk, valueDim]}, out and its gradient
 * {@code [batch, heads, lq, valueDim]}, the gradients of q, k and v shaped as they are; all of
 * {@code dtype}. Their rows are read and written in place through their strides, so that the
 * {@code [N, L, H, D]} layout of a projection split into heads needs no copy; only a row's own
 * elements must be adjacent (stride 1 along the last dim, {@link #checkOperand}). Inputs may repeat
 * a head or a batch (stride 0: keys and values shared by several query heads); outputs must not
 * overlap themselves. The logsumexp is {@code [batch, heads, lq]}, contiguous.
 *
 * <p>Scores are {@code s_ij = scale·(q_i·k_j)}. With {@code causal}, query row i sees keys
 * {@code j ≤ i + lk − lq}: the queries align with the <em>last</em> lq keys, as
 * {@code dev.fathom.nn.Attention} (and key/value caching) defines it; a row that sees no key (only
 * when lq > lk, or lk = 0) gets a zero output, logsumexp −∞ and zero gradients.
 */
public record AttentionGeometry(int batch, int heads, int lq, int lk, int headDim, int valueDim, double scale, boolean causal,
                                DType dtype) {

    /** Validates the counts, the scale and the dtype (F32 or F64). */
    public AttentionGeometry {
        if (batch < 0 || heads < 0 || lq < 0 || lk < 0 || headDim < 1 || valueDim < 1) {
            throw new IllegalArgumentException("AttentionGeometry: sizes must be >= 0 (batch, heads, lq, lk) and >= 1 (headDim, valueDim), got batch="
                    + batch + " heads=" + heads + " lq=" + lq + " lk=" + lk + " headDim=" + headDim + " valueDim=" + valueDim);
        }
        if (!Double.isFinite(scale)) {
            throw new IllegalArgumentException("AttentionGeometry: scale " + scale + " must be finite (usually 1/sqrt(headDim))");
        }
        if (dtype != DType.F32 && dtype != DType.F64) {
            throw new IllegalArgumentException("AttentionGeometry: dtype must be F32 or F64, got " + dtype);
        }
        long bh = (long) batch * heads;
        long[] counts = {bh, bh * lq * headDim, bh * lk * headDim, bh * lk * valueDim, bh * lq * valueDim};
        for (long c : counts) {
            if (c > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("AttentionGeometry: an operand of batch=" + batch + " heads=" + heads + " lq=" + lq + " lk="
                        + lk + " headDim=" + headDim + " valueDim=" + valueDim + " has more than 2^31-1 elements; split the batch");
            }
        }
    }

    /** {@code batch·heads}: the (batch, head) pairs, each an independent attention; pair p is batch {@code p / heads}, head {@code p % heads}. */
    public int batchHeads() {
        return batch * heads;
    }

    /** How many keys query row {@code i} sees: all lk, or with causal {@code clamp(i + lk − lq + 1, 0, lk)}. */
    public int visibleKeys(int i) {
        return causal ? Math.clamp((long) i + lk - lq + 1, 0, lk) : lk;
    }

    public int[] queryShape() {
        return new int[] {batch, heads, lq, headDim};
    }

    public int[] keyShape() {
        return new int[] {batch, heads, lk, headDim};
    }

    public int[] valueShape() {
        return new int[] {batch, heads, lk, valueDim};
    }

    public int[] outputShape() {
        return new int[] {batch, heads, lq, valueDim};
    }

    public int[] logsumexpShape() {
        return new int[] {batch, heads, lq};
    }

    /**
     * Checks one operand of a backend's {@code op} against {@code shape} (one of this geometry's):
     * present, that shape, strides ≥ 0, adjacent elements within a row, and for {@code output}s no
     * repeated (stride 0) batch, head or row, and for the logsumexp contiguity. The dtype is the
     * backend's to check, with its buffer types. Throws IllegalArgumentException naming the backend's
     * op, the operand and how to build it.
     */
    public void checkOperand(String op, String name, Strided s, int[] shape, boolean output) {
        if (s == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null; pass a " + Arrays.toString(shape) + " " + dtype + " operand");
        }
        boolean ok = Arrays.equals(s.shape(), shape);
        for (int d = 0; ok && d < shape.length; d++) {
            long stride = s.strides()[d];
            ok = stride >= 0 && (shape[d] <= 1 || (d == shape.length - 1 ? stride == 1 : !output || stride > 0));
        }
        if (!ok || (shape.length == 3 && !s.isContiguous())) {
            throw new IllegalArgumentException(op + ": " + name + " must be " + Arrays.toString(shape) + (shape.length == 3 ? ", contiguous"
                    : " with stride 1 along its rows" + (output ? " and no repeated row" : "")) + ", for " + this + "; got " + s);
        }
    }
}
