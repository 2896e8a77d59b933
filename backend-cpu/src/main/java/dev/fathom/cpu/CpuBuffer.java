package dev.fathom.cpu;

import dev.fathom.spi.Buffer;
import dev.fathom.tensor.DType;

/** A Java array of the buffer's dtype; exactly one of the array fields is set. */
final class CpuBuffer implements Buffer {
    final DType dtype;
    final float[] f;
    final double[] d;
    final long[] l;
    final boolean[] b;
    final int length;

    private CpuBuffer(DType dtype, int n) {
        this.dtype = dtype;
        this.length = n;
        this.f = dtype == DType.F32 ? new float[n] : null;
        this.d = dtype == DType.F64 ? new double[n] : null;
        this.l = dtype == DType.I64 ? new long[n] : null;
        this.b = dtype == DType.BOOL ? new boolean[n] : null;
    }

    static CpuBuffer allocate(DType dtype, long numel) {
        if (numel > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("cpu: cannot allocate " + numel + " elements of " + dtype
                    + " (a CPU buffer is a Java array: at most " + (Integer.MAX_VALUE - 16) + " elements)");
        }
        return new CpuBuffer(dtype, (int) numel);
    }

    /** The buffer behind an SPI handle; anything else is a caller bug (a tensor from another backend). */
    static CpuBuffer of(Buffer buffer) {
        if (buffer instanceof CpuBuffer c) {
            return c;
        }
        throw new IllegalArgumentException("cpu: buffer " + buffer + " does not belong to the CPU backend");
    }

    /** The backing array, whatever its type. */
    Object array() {
        return switch (dtype) {
            case F32 -> f;
            case F64 -> d;
            case I64 -> l;
            case BOOL -> b;
        };
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public long capacity() {
        return length;
    }

    @Override
    public String toString() {
        return "CpuBuffer[" + dtype + " x " + length + "]";
    }
}
