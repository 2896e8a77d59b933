package dev.fathom.cpu;

import dev.fathom.spi.Strided;

/**
 * Operand access shared by the fused kernels ({@link SoftmaxKernels}, {@link NormKernels},
 * {@link OptimizerKernels}): their operands are contiguous F32 or F64 arrays with an offset, read
 * and written as double on the generic (non-vector) paths.
 */
final class FusedOperands {
    private FusedOperands() {
    }

    /** The floating buffer behind {@code s}, or IllegalArgumentException naming the kernel. */
    static CpuBuffer floating(String op, Strided s) {
        CpuBuffer b = CpuBuffer.of(s.buffer());
        if (b.f == null && b.d == null) {
            throw new IllegalArgumentException("cpu " + op + ": needs F32 or F64 operands, got " + s);
        }
        return b;
    }

    /** Null for a null operand (an optional weight, bias or gradient). */
    static CpuBuffer optional(String op, Strided s) {
        return s == null ? null : floating(op, s);
    }

    static int off(Strided s) {
        return s == null ? 0 : (int) s.offset();
    }

    static double get(CpuBuffer b, int i) {
        return b.f != null ? b.f[i] : b.d[i];
    }

    static void set(CpuBuffer b, int i, double v) {
        if (b.f != null) {
            b.f[i] = (float) v;
        } else {
            b.d[i] = v;
        }
    }

    /** {@code b[i]}, or {@code dflt} when b is null (an absent weight or bias). */
    static double getOr(CpuBuffer b, int i, double dflt) {
        return b == null ? dflt : get(b, i);
    }
}
