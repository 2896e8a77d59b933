package dev.fathom.cuda;

import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Shape;

import java.util.Arrays;
import java.util.function.DoubleFunction;

/**
 * The host side of {@code index.cu}: gather and scatter-add walk the index tensor's shape; the data
 * operand that {@code dim} indexes goes as a descriptor with the index's sizes, its own strides and
 * stride 0 on {@code dim}, plus its size and stride along {@code dim} (as the CPU's IndexKernels).
 *
 * <p>An index out of range is noted in the launch's {@link DeviceChecks} slot, with its value, and
 * the next wait throws the IndexOutOfBoundsException the CPU throws for the first bad index (these
 * ops do not wait themselves). The kernels exist for F32, F64 and I64; BOOL goes
 * through I64 copies (a BOOL scatter-add is a logical or, as on the CPU: a sum of 0s and 1s is
 * nonzero exactly when some term is).
 */
final class IndexLaunches {
    private final CudaKernels kernels;
    private final KernelModule module;

    IndexLaunches(CudaKernels kernels, CudaDevice device) {
        this.kernels = kernels;
        this.module = new KernelModule(device, "index");
    }

    void gather(Strided x, int dim, Strided index, Strided out) {
        CudaBuffer xb = kernels.buffer(x, "gather"), ib = kernels.buffer(index, "gather"), ob = kernels.buffer(out, "gather");
        Object shapes = LazyText.of(() -> Shape.format(x.shape()) + " " + xb.dtype() + " dim " + dim + " index "
                + Shape.format(index.shape()));
        check("gather", x, dim, index, out, xb, ib, ob, shapes);
        if (xb.dtype() == DType.BOOL) {
            throughI64(x, out, (xi, oi) -> gather(xi, dim, index, oi));
            return;
        }
        long n = index.numel();
        if (n == 0) {
            return;
        }
        KernelParams p = KernelParams.of()
                .ptr(xb.address()).struct(withoutDim(x, dim, index.shape())).i64(x.shape()[dim]).i64(x.strides()[dim])
                .ptr(ib.address()).struct(StridedDesc.pack(index)).ptr(ob.address()).struct(StridedDesc.pack(out)).i64(n);
        kernels.checks().launch("gather", outOfRange("gather", dim, x.shape()[dim]),
                slot -> module.launchElements("gather", shapes, "gather_" + CudaBuffer.suffix(xb.dtype()), n, p.ptr(slot)));
    }

    void scatterAdd(Strided src, int dim, Strided index, Strided out) {
        CudaBuffer sb = kernels.buffer(src, "scatterAdd"), ib = kernels.buffer(index, "scatterAdd"),
                ob = kernels.buffer(out, "scatterAdd");
        Object shapes = LazyText.of(() -> Shape.format(src.shape()) + " " + sb.dtype() + " into " + Shape.format(out.shape())
                + " dim " + dim + " index " + Shape.format(index.shape()));
        check("scatterAdd", out, dim, index, src, ob, ib, sb, shapes);
        if (sb.dtype() == DType.BOOL) {
            throughI64(src, out, (si, oi) -> {
                kernels.elementwise().copy(out, oi);
                scatterAdd(si, dim, index, oi);
            });
            return;
        }
        long n = index.numel();
        if (n == 0) {
            return;
        }
        KernelParams p = KernelParams.of()
                .ptr(sb.address()).struct(StridedDesc.pack(src)).ptr(ib.address()).struct(StridedDesc.pack(index))
                .ptr(ob.address()).struct(withoutDim(out, dim, index.shape())).i64(out.shape()[dim]).i64(out.strides()[dim])
                .i64(n);
        kernels.checks().launch("scatterAdd", outOfRange("scatterAdd", dim, out.shape()[dim]),
                slot -> module.launchElements("scatterAdd", shapes, "scatter_add_" + CudaBuffer.suffix(sb.dtype()), n, p.ptr(slot)));
    }

    /** {@link dev.fathom.spi.Kernels#checkRange}: one thread per element, a fault noted in a {@link DeviceChecks} slot. */
    void checkRange(String op, Strided x, double lo, double hi, double allowed, DoubleFunction<RuntimeException> failure) {
        CudaBuffer xb = kernels.buffer(x, op);
        DType t = xb.dtype();
        if (t != DType.F32 && t != DType.F64 && t != DType.I64) {
            throw new IllegalArgumentException("cuda: " + op + ": checkRange takes F32, F64 or I64, got " + t + " ("
                    + Shape.format(x.shape()) + ")");
        }
        if (!x.isContiguous()) {
            throw new IllegalArgumentException("cuda: " + op + ": checkRange takes a contiguous operand, got " + x);
        }
        long n = x.numel();
        if (n == 0) {
            return;
        }
        KernelParams p = KernelParams.of().ptr(xb.address() + x.offset() * t.byteSize()).i64(n).f64(lo).f64(hi).f64(allowed);
        DeviceChecks.Failure f = (position, value) -> failure.apply(t == DType.I64
                ? value == Integer.MAX_VALUE ? Double.POSITIVE_INFINITY : value == Integer.MIN_VALUE ? Double.NEGATIVE_INFINITY : value
                : Float.intBitsToFloat(value));
        kernels.checks().launch(op, f, slot -> module.launchElements(op, LazyText.of(() -> Shape.format(x.shape()) + " " + t),
                "check_range_" + CudaBuffer.suffix(t), n, p.ptr(slot)));
    }

    private interface I64Op {
        void run(Strided in, Strided out);
    }

    /**
     * Runs {@code op} on I64 copies of a BOOL input and output, then converts the result back
     * ({@code != 0}). The output copy is contiguous; {@code op} decides whether it needs out's old values.
     */
    private void throughI64(Strided in, Strided out, I64Op op) {
        CudaBuffer ti = (CudaBuffer) kernels.allocate(DType.I64, in.numel());
        CudaBuffer to = (CudaBuffer) kernels.allocate(DType.I64, out.numel());
        try {
            Strided si = Strided.contiguous(ti, in.shape()), so = Strided.contiguous(to, out.shape());
            kernels.elementwise().copy(in, si);
            op.run(si, so);
            kernels.elementwise().copy(so, out);
        } finally {
            kernels.free(to);
            kernels.free(ti);
        }
    }

    /** {@code s} seen with the index's sizes and stride 0 on {@code dim}: the index value supplies that offset. */
    private static byte[] withoutDim(Strided s, int dim, int[] indexShape) {
        long[] st = s.strides().clone();
        st[dim] = 0;
        return StridedDesc.pack(indexShape, st, s.offset());
    }

    /**
     * The CPU's exception for the first index (in row-major order) outside {@code [0, size)}; the
     * kernel notes its value clamped to an int, so a larger one reads as at least the int's bound.
     */
    private static DeviceChecks.Failure outOfRange(String op, int dim, int size) {
        return (position, value) -> new IndexOutOfBoundsException(DeviceChecks.reported(op + ": index "
                + (value == Integer.MAX_VALUE ? "≥ " + value : value == Integer.MIN_VALUE ? "≤ " + value : String.valueOf(value))
                + " is out of range for dim " + dim + " of size " + size));
    }

    /**
     * {@code data} is the operand {@code dim} indexes into (gather's x, scatter-add's out), {@code walked}
     * the one walked with the index (gather's out, scatter-add's src).
     */
    private static void check(String op, Strided data, int dim, Strided index, Strided walked, CudaBuffer db, CudaBuffer ib,
            CudaBuffer wb, Object shapes) {
        if (ib.dtype() != DType.I64) {
            throw new IllegalArgumentException("cuda: " + op + ": the index must be I64, got " + ib.dtype() + " (" + shapes
                    + "); convert it with .to(DType.I64)");
        }
        if (db.dtype() != wb.dtype()) {
            throw new IllegalArgumentException("cuda: " + op + ": source and output must have one dtype, got " + db.dtype() + " and "
                    + wb.dtype() + " (" + shapes + ")");
        }
        if (dim < 0 || dim >= data.rank() || index.rank() != data.rank() || !Arrays.equals(index.shape(), walked.shape())) {
            throw new IllegalArgumentException("cuda: " + op + ": dim must be in [0, " + data.rank() + ") and the index must have the "
                    + "rank of the data and the shape of " + (op.equals("gather") ? "the output" : "the source") + ", got " + shapes);
        }
    }
}
