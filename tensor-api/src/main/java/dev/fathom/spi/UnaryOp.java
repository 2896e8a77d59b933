package dev.fathom.spi;

import java.util.EnumSet;
import java.util.Set;

/**
 * Elementwise maps {@code out[i] = f(x[i])}; input and output have the same dtype. The meaning of
 * each constant is the scalar formula in its comment, evaluated in the dtype's precision.
 */
public enum UnaryOp implements Op {
    /** {@code -x}. F32, F64, I64. */
    NEG,
    /** {@code |x|}. F32, F64, I64. */
    ABS,
    /** {@code -1, 0 or 1} by the sign of x (0 for ±0, NaN for NaN). F32, F64, I64. */
    SIGN,
    /** {@code e^x}. */
    EXP,
    /** {@code ln x}. */
    LOG,
    /** {@code √x}. */
    SQRT,
    /** {@code 1/√x}. */
    RSQRT,
    /** {@code 1/x}. */
    RECIPROCAL,
    /** {@code sin x}. */
    SIN,
    /** {@code cos x}. */
    COS,
    /** {@code tanh x}. */
    TANH,
    /** {@code 1/(1+e^-x)}, computed without overflow for large |x|. */
    SIGMOID,
    /** {@code max(x, 0)}; NaN stays NaN. */
    RELU,
    /** Exact GELU: {@code x·Φ(x) = x/2·(1+erf(x/√2))}. */
    GELU,
    /** GELU's tanh approximation: {@code x/2·(1+tanh(√(2/π)(x+0.044715x³)))}. */
    GELU_TANH,
    /** SiLU (swish): {@code x·sigmoid(x)}. */
    SILU,
    /** The error function {@code erf x}. */
    ERF,
    /** Logical not. BOOL only. */
    NOT;

    /** The ops defined on I64 as well as on the floating dtypes. */
    public static final Set<UnaryOp> INTEGER = EnumSet.of(NEG, ABS, SIGN);
    /** The ops defined on BOOL. */
    public static final Set<UnaryOp> BOOLEAN = EnumSet.of(NOT);
    /** The activations whose gradient {@link Kernels#activationBackward} computes in one pass. */
    public static final Set<UnaryOp> FUSED_GRADIENT = EnumSet.of(RELU, GELU);
}
