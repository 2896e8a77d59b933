package dev.fathom.spi;

import dev.fathom.tensor.DType;

/**
 * The sizes of one fused scaled-dot-product attention ({@link Kernels#attentionForward},
 * {@link Kernels#attentionBackward}), computed and validated once by the tensor layer. Operands are
 * contiguous row-major from their offset: q {@code [batchHeads, lq, headDim]}, k
 * {@code [batchHeads, lk, headDim]}, v {@code [batchHeads, lk, valueDim]}, out
 * {@code [batchHeads, lq, valueDim]}, logsumexp {@code [batchHeads, lq]}; all of {@code dtype}.
 *
 * <p>Scores are {@code s_ij = scale·(q_i·k_j)}. With {@code causal}, query row i sees keys
 * {@code j ≤ i + lk − lq}: the queries align with the <em>last</em> lq keys, as
 * {@code dev.fathom.nn.Attention} (and key/value caching) defines it; a row that sees no key (only
 * when lq > lk, or lk = 0) gets a zero output, logsumexp −∞ and zero gradients.
 */
public record AttentionGeometry(int batchHeads, int lq, int lk, int headDim, int valueDim, double scale, boolean causal, DType dtype) {

    /** Validates the counts, the scale and the dtype (F32 or F64). */
    public AttentionGeometry {
        if (batchHeads < 0 || lq < 0 || lk < 0 || headDim < 1 || valueDim < 1) {
            throw new IllegalArgumentException("AttentionGeometry: sizes must be >= 0 (batchHeads, lq, lk) and >= 1 (headDim, valueDim), got batchHeads="
                    + batchHeads + " lq=" + lq + " lk=" + lk + " headDim=" + headDim + " valueDim=" + valueDim);
        }
        if (!Double.isFinite(scale)) {
            throw new IllegalArgumentException("AttentionGeometry: scale " + scale + " must be finite (usually 1/sqrt(headDim))");
        }
        if (dtype != DType.F32 && dtype != DType.F64) {
            throw new IllegalArgumentException("AttentionGeometry: dtype must be F32 or F64, got " + dtype);
        }
        long[] counts = {(long) batchHeads * lq * headDim, (long) batchHeads * lk * headDim, (long) batchHeads * lk * valueDim,
                (long) batchHeads * lq * valueDim};
        for (long c : counts) {
            if (c > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("AttentionGeometry: an operand of batchHeads=" + batchHeads + " lq=" + lq + " lk=" + lk
                        + " headDim=" + headDim + " valueDim=" + valueDim + " has more than 2^31-1 elements; split the batch");
            }
        }
    }

    /** How many keys query row {@code i} sees: all lk, or with causal {@code clamp(i + lk − lq + 1, 0, lk)}. */
    public int visibleKeys(int i) {
        return causal ? Math.clamp((long) i + lk - lq + 1, 0, lk) : lk;
    }

    public int[] queryShape() {
        return new int[] {batchHeads, lq, headDim};
    }

    public int[] keyShape() {
        return new int[] {batchHeads, lk, headDim};
    }

    public int[] valueShape() {
        return new int[] {batchHeads, lk, valueDim};
    }

    public int[] outputShape() {
        return new int[] {batchHeads, lq, valueDim};
    }

    public int[] logsumexpShape() {
        return new int[] {batchHeads, lq};
    }
}
