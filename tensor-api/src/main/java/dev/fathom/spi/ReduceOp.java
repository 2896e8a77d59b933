package dev.fathom.spi;

/**
 * Reductions over a set of axes. Floating sums accumulate accurately (at least as well as
 * pairwise summation in the dtype; the CPU and CUDA backends accumulate F32 blocks into F64).
 */
public enum ReduceOp implements Op {
    /** Sum; BOOL input counts trues into an I64 output; an empty reduction gives 0. */
    SUM,
    /** Maximum; NaN propagates. Not defined on empty reductions. */
    MAX,
    /** Minimum; NaN propagates. Not defined on empty reductions. */
    MIN,
    /** Index (I64) of the first maximum along exactly one axis; NaN counts as the maximum. */
    ARGMAX,
    /** Index (I64) of the first minimum along exactly one axis; NaN counts as the minimum. */
    ARGMIN
}
