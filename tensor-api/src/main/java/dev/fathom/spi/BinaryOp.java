package dev.fathom.spi;

import java.util.EnumSet;
import java.util.Set;

/**
 * Elementwise maps {@code out[i] = f(a[i], b[i])} on operands already broadcast to the output
 * shape (stride 0 on broadcast dims). Both inputs have one dtype; comparisons write BOOL.
 */
public enum BinaryOp implements Op {
    /** {@code a + b}. F32, F64, I64. */
    ADD,
    /** {@code a - b}. F32, F64, I64. */
    SUB,
    /** {@code a · b}. F32, F64, I64. */
    MUL,
    /** {@code a / b} (true division; I64 rounds toward zero and throws on /0 like Java). */
    DIV,
    /** {@code a^b} ({@link Math#pow} semantics). F32, F64. */
    POW,
    /** {@code max(a, b)}, NaN if either is NaN. F32, F64, I64. */
    MAXIMUM,
    /** {@code min(a, b)}, NaN if either is NaN. F32, F64, I64. */
    MINIMUM,
    /** {@code a == b} → BOOL. All dtypes. */
    EQ,
    /** {@code a != b} → BOOL. All dtypes. */
    NE,
    /** {@code a < b} → BOOL. F32, F64, I64. */
    LT,
    /** {@code a <= b} → BOOL. F32, F64, I64. */
    LE,
    /** {@code a > b} → BOOL. F32, F64, I64. */
    GT,
    /** {@code a >= b} → BOOL. F32, F64, I64. */
    GE,
    /** Logical and. BOOL only. */
    AND,
    /** Logical or. BOOL only. */
    OR,
    /** Logical exclusive or. BOOL only. */
    XOR;

    /** Ops whose result is BOOL whatever the input dtype. */
    public static final Set<BinaryOp> COMPARISON = EnumSet.of(EQ, NE, LT, LE, GT, GE);
    /** Ops defined on BOOL inputs only. */
    public static final Set<BinaryOp> BOOLEAN_ONLY = EnumSet.of(AND, OR, XOR);
    /** Ops defined on BOOL inputs. */
    public static final Set<BinaryOp> LOGICAL = EnumSet.of(AND, OR, XOR, EQ, NE);
    /** Arithmetic ops defined on I64 (all but POW). */
    public static final Set<BinaryOp> INTEGER = EnumSet.of(ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, EQ, NE, LT, LE, GT, GE);
}
