package dev.fathom.cuda;

import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Shape;

import java.util.Arrays;

/**
 * The input rules of {@link CudaFusedOps}, checked before any launch: the fused kernels address
 * every operand as a contiguous run from its element offset (attention's through its strides,
 * {@link #floatingDtype}), in one floating dtype per call. A
 * violation is an IllegalArgumentException naming the op, the operand, its shape and dtype, and
 * the fix.
 */
final class FusedOperandChecks {
    private FusedOperandChecks() {
    }

    /**
     * The dtype of the call: {@code first}'s, which must be F32 or F64; every other non-null operand
     * must have it, and every non-empty one must be contiguous.
     */
    static DType dtype(String op, String[] names, Strided... operands) {
        DType dt = floatingDtype(op, names, operands);
        for (int i = 0; i < operands.length; i++) {
            Strided s = operands[i];
            // An empty operand is never read or written, whatever strides its view has.
            if (s != null && s.numel() != 0 && !s.isContiguous()) {
                throw new IllegalArgumentException("cuda " + op + ": " + names[i] + " " + describe(s)
                        + " is not contiguous; the fused kernels take contiguous row-major operands (call contiguous() first)");
            }
        }
        return dt;
    }

    /** {@link #dtype} without the contiguity, for kernels that read their operands through strides. */
    static DType floatingDtype(String op, String[] names, Strided... operands) {
        DType dt = null;
        for (int i = 0; i < operands.length; i++) {
            Strided s = operands[i];
            if (s == null) {
                continue;
            }
            DType d = s.buffer().dtype();
            if (dt == null) {
                if (d != DType.F32 && d != DType.F64) {
                    throw new IllegalArgumentException("cuda " + op + ": needs F32 or F64 operands, got " + names[i] + " "
                            + describe(s) + "; cast it first");
                }
                dt = d;
            } else if (d != dt) {
                throw new IllegalArgumentException("cuda " + op + ": every operand must have one dtype, got " + names[0]
                        + " " + dt + " and " + names[i] + " " + describe(s) + "; cast to one dtype");
            }
        }
        if (dt == null) {
            throw new IllegalArgumentException("cuda " + op + ": no operands");
        }
        return dt;
    }

    static void required(String op, String name, Strided s) {
        if (s == null) {
            throw new IllegalArgumentException("cuda " + op + ": " + name + " is required, got null");
        }
    }

    static void sameShape(String op, String name, Strided ref, String otherName, Strided other) {
        if (!Arrays.equals(ref.shape(), other.shape())) {
            throw new IllegalArgumentException("cuda " + op + ": " + otherName + " must have " + name + "'s shape "
                    + Shape.format(ref.shape()) + ", got " + Shape.format(other.shape()));
        }
    }

    /** A null operand passes; a present one must have {@code numel} elements. */
    static void numel(String op, String name, Strided s, long numel, String why) {
        if (s != null && s.numel() != numel) {
            throw new IllegalArgumentException("cuda " + op + ": " + name + " must have " + numel + " elements (" + why
                    + "), got shape " + Shape.format(s.shape()));
        }
    }

    static String describe(Strided s) {
        return s.buffer().dtype() + Shape.format(s.shape());
    }

    /** {@code a + b + ...} of the operands' shapes, for launch error messages. */
    static String shapes(Strided... operands) {
        StringBuilder b = new StringBuilder();
        for (Strided s : operands) {
            if (s != null) {
                b.append(b.isEmpty() ? "" : ", ").append(Shape.format(s.shape()));
            }
        }
        return b.toString();
    }
}
