package dev.fathom.cpu;

import dev.fathom.spi.Strided;

/**
 * Where the rows of one attention operand lie in its array ({@link AttentionKernels}): an operand is
 * {@code [batch, heads, rows, ...]} (q, k, v, out and the gradients with their row's elements
 * adjacent, the logsumexp with one element per row) and row i of (batch, head) pair p starts at
 * {@link #at}{@code (p, i)}. The strides come from the operand's view, so q, k and v split from one
 * projection ({@code [N, L, H, D]} seen as {@code [N, H, L, D]}) are read where they are.
 */
record AttentionRows(int offset, int batchStride, int headStride, int rowStride, int heads) {

    /** {@code s}'s first three strides; {@code heads} is the geometry's (the pairs per batch). */
    static AttentionRows of(Strided s, int heads) {
        long[] st = s.strides();
        // A size-1 dim may carry any stride; it is only ever multiplied by 0.
        return new AttentionRows((int) s.offset(), s.shape()[0] > 1 ? (int) st[0] : 0, s.shape()[1] > 1 ? (int) st[1] : 0,
                s.shape()[2] > 1 ? (int) st[2] : 0, heads);
    }

    /** The first element of pair p's rows. */
    int head(int p) {
        return offset + p / heads * batchStride + p % heads * headStride;
    }

    /** The first element of row i of pair p. */
    int at(int p, int i) {
        return head(p) + i * rowStride;
    }
}
