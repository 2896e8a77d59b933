package dev.fathom.cuda;

import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.Strided;
import dev.fathom.spi.UnaryOp;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Shape;

/**
 * The host side of {@code elementwise.cu}: fill, copy/cast, unary and binary maps, activation
 * gradients, comparisons and where. Every operand goes as its buffer's base address plus a {@link StridedDesc} with the
 * output's sizes (broadcast dims have stride 0, as the tensor layer made them), with the dims that
 * every operand steps through as one merged; the launch is grid-stride over the output's numel,
 * {@value LaunchGeometry#ELEMENTS_PER_THREAD} elements per thread ({@link LaunchGeometry#forElementwise}), or
 * 16 for F32 maps whose operands are all dense and aligned ({@link LaunchGeometry#forDenseF32}).
 *
 * <p>The kernels write NaN or 0 for an op code they do not define, so the op/dtype pairs are
 * checked here first and an undefined one is an IllegalArgumentException, as on the CPU.
 */
final class ElementwiseLaunches {
    private static final DeviceChecks.Failure DIVISION_BY_ZERO = (position, value) ->
            new ArithmeticException(DeviceChecks.reported("div: integer division by zero in an I64 tensor"));

    private final CudaKernels kernels;
    private final KernelModule module;

    ElementwiseLaunches(CudaKernels kernels, CudaDevice device) {
        this.kernels = kernels;
        this.module = new KernelModule(device, "elementwise");
    }

    void fill(Strided dst, double value) {
        CudaBuffer d = kernels.buffer(dst, "fill");
        String kernel = "fill_" + CudaBuffer.suffix(d.dtype());
        launch("fill", LazyText.of(() -> Shape.format(dst.shape()) + " " + d.dtype()), kernel, dst.numel(),
                KernelParams.of().ptr(d.address()).struct(StridedDesc.packCoalesced(dst)[0]).i64(dst.numel()).f64(value));
    }

    void copy(Strided src, Strided dst) {
        CudaBuffer s = kernels.buffer(src, "copy"), d = kernels.buffer(dst, "copy");
        String kernel = "copy_" + CudaBuffer.suffix(s.dtype()) + "_" + CudaBuffer.suffix(d.dtype());
        byte[][] desc = descs(dst, src);
        launch("copy", LazyText.of(() -> Shape.format(src.shape()) + " " + s.dtype() + " -> " + Shape.format(dst.shape()) + " "
                + d.dtype()), kernel, dst.numel(), KernelParams.of().ptr(s.address()).struct(desc[1])
                .ptr(d.address()).struct(desc[0]).i64(dst.numel()));
    }

    void unary(UnaryOp op, Strided x, Strided out) {
        CudaBuffer xb = kernels.buffer(x, "unary"), ob = kernels.buffer(out, "unary");
        DType t = xb.dtype();
        boolean defined = switch (t) {
            case F32, F64 -> op != UnaryOp.NOT;
            case I64 -> UnaryOp.INTEGER.contains(op);
            case BOOL -> UnaryOp.BOOLEAN.contains(op);
        };
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        if (!defined) {
            throw new IllegalArgumentException("cuda: " + name + " is not defined for " + t + " (shape " + Shape.format(x.shape())
                    + "); " + (t.isFloating() ? "use logical ops on BOOL" : "convert with .to(DType.F32) first"));
        }
        sameDtype(name, t, ob.dtype(), out);
        byte[][] desc = descs(out, x);
        module.launch(name, LazyText.of(() -> Shape.format(x.shape()) + " " + t), "unary_" + CudaBuffer.suffix(t),
                geometry(out.numel(), denseF32(out, ob) && denseF32(x, xb)),
                KernelParams.of().i32(op.ordinal()).ptr(xb.address()).struct(desc[1]).ptr(ob.address())
                        .struct(desc[0]).i64(out.numel()));
    }

    void binary(BinaryOp op, Strided a, Strided b, Strided out) {
        CudaBuffer ab = kernels.buffer(a, "binary"), bb = kernels.buffer(b, "binary"), ob = kernels.buffer(out, "binary");
        DType t = ab.dtype();
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        Object shapes = LazyText.of(() -> Shape.format(a.shape()) + " " + name + " " + Shape.format(b.shape()) + " " + t);
        if (bb.dtype() != t) {
            throw new IllegalArgumentException("cuda: " + name + ": operands must have one dtype, got " + t + " and " + bb.dtype()
                    + " (" + shapes + "); convert one with .to(dtype)");
        }
        boolean compare = BinaryOp.COMPARISON.contains(op);
        boolean defined = switch (t) {
            case F32, F64 -> !BinaryOp.BOOLEAN_ONLY.contains(op);
            case I64 -> BinaryOp.INTEGER.contains(op);
            case BOOL -> BinaryOp.LOGICAL.contains(op);
        };
        if (!defined) {
            throw new IllegalArgumentException("cuda: " + name + " is not defined for " + t + " (" + shapes + "); "
                    + (t == DType.BOOL ? "convert with .to(DType.I64) first" : "logical ops take BOOL operands"));
        }
        sameDtype(name, compare ? DType.BOOL : t, ob.dtype(), out);
        String family = t == DType.BOOL ? "binary_" : compare ? "compare_" : "binary_";
        String kernel = family + CudaBuffer.suffix(t);
        byte[][] desc = descs(out, a, b);
        KernelParams p = KernelParams.of().i32(op.ordinal()).ptr(ab.address()).struct(desc[1])
                .ptr(bb.address()).struct(desc[2]).ptr(ob.address()).struct(desc[0])
                .i64(out.numel());
        if (kernel.equals("binary_i64")) {
            // Only an integer division can fault: other ops take the word no check reads.
            DeviceChecks checks = kernels.checks();
            if (op != BinaryOp.DIV || out.numel() == 0) {
                launch(name, shapes, kernel, out.numel(), p.ptr(checks.unchecked()));
                return;
            }
            checks.launch(name, DIVISION_BY_ZERO, slot -> launch(name, shapes, kernel, out.numel(), p.ptr(slot)));
            return;
        }
        module.launch(name, shapes, kernel,
                geometry(out.numel(), !compare && denseF32(out, ob) && denseF32(a, ab) && denseF32(b, bb)), p);
    }

    /** {@link dev.fathom.spi.Kernels#activationBackward}: {@code gradIn = gradOut·op'(x)} for RELU and GELU. */
    void activationBackward(UnaryOp op, Strided x, Strided gradOut, Strided gradIn) {
        String name = "activationBackward(" + op.name().toLowerCase(java.util.Locale.ROOT) + ")";
        if (!UnaryOp.FUSED_GRADIENT.contains(op)) {
            throw new IllegalArgumentException("cuda: " + name + ": no fused gradient for " + op + "; the ops are " + UnaryOp.FUSED_GRADIENT);
        }
        CudaBuffer xb = kernels.buffer(x, "activationBackward"), gb = kernels.buffer(gradOut, "activationBackward"),
                ob = kernels.buffer(gradIn, "activationBackward");
        DType t = xb.dtype();
        Object shapes = LazyText.of(() -> "x " + Shape.format(x.shape()) + ", gradOut " + Shape.format(gradOut.shape())
                + ", gradIn " + Shape.format(gradIn.shape()) + " " + t);
        if (!t.isFloating() || gb.dtype() != t || !java.util.Arrays.equals(x.shape(), gradOut.shape())
                || !java.util.Arrays.equals(x.shape(), gradIn.shape())) {
            throw new IllegalArgumentException("cuda: " + name + ": x, gradOut and gradIn need one shape and one floating dtype, got "
                    + shapes + " (gradOut " + gb.dtype() + ")");
        }
        sameDtype(name, t, ob.dtype(), gradIn);
        byte[][] desc = descs(gradIn, x, gradOut);
        module.launch(name, shapes, "activation_backward_" + CudaBuffer.suffix(t),
                geometry(gradIn.numel(), denseF32(gradIn, ob) && denseF32(x, xb) && denseF32(gradOut, gb)),
                KernelParams.of().i32(op.ordinal()).ptr(xb.address()).struct(desc[1]).ptr(gb.address())
                        .struct(desc[2]).ptr(ob.address()).struct(desc[0]).i64(gradIn.numel()));
    }

    void where(Strided cond, Strided a, Strided b, Strided out) {
        CudaBuffer cb = kernels.buffer(cond, "where"), ab = kernels.buffer(a, "where"), bb = kernels.buffer(b, "where"),
                ob = kernels.buffer(out, "where");
        DType t = ab.dtype();
        Object shapes = LazyText.of(() -> "where(" + Shape.format(cond.shape()) + ", " + Shape.format(a.shape()) + ", "
                + Shape.format(b.shape()) + ") " + t);
        if (cb.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("cuda: where: the condition must be BOOL, got " + cb.dtype() + " (" + shapes
                    + "); compare first, e.g. x.gt(0)");
        }
        if (bb.dtype() != t) {
            throw new IllegalArgumentException("cuda: where: both branches must have one dtype, got " + t + " and " + bb.dtype()
                    + " (" + shapes + "); convert one with .to(dtype)");
        }
        sameDtype("where", t, ob.dtype(), out);
        byte[][] desc = descs(out, cond, a, b);
        launch("where", shapes, "where_" + CudaBuffer.suffix(t), out.numel(),
                KernelParams.of().ptr(cb.address()).struct(desc[1]).ptr(ab.address())
                        .struct(desc[2]).ptr(bb.address()).struct(desc[3]).ptr(ob.address())
                        .struct(desc[0]).i64(out.numel()));
    }

    /** Launches an elementwise.cu kernel over {@code n} output elements ({@link LaunchGeometry#forElementwise}). */
    private void launch(String op, Object shapes, String kernel, long n, KernelParams params) {
        module.launch(op, shapes, kernel, LaunchGeometry.forElementwise(n), params);
    }

    /**
     * The geometry of a map over {@code n} elements whose kernel has the quad path (F32 unary, binary
     * and activation gradients, elementwise.cu's map2_dense4): {@link LaunchGeometry#forDenseF32}
     * when that path will take it ({@code dense}: every operand {@link #denseF32}), else
     * {@link LaunchGeometry#forElementwise}.
     */
    private static LaunchGeometry geometry(long n, boolean dense) {
        return dense ? LaunchGeometry.forDenseF32(n) : LaunchGeometry.forElementwise(n);
    }

    /** Whether operand {@code s} in buffer {@code b} is F32, contiguous and starts on 16 bytes, as the kernel's quad path checks. */
    private static boolean denseF32(Strided s, CudaBuffer b) {
        return b.dtype() == DType.F32 && s.isContiguous() && ((b.address() + 4 * s.offset()) & 15) == 0;
    }

    /** Fills {@code bytes} bytes at {@code address} with 0 (the device checks' slots, the reduction tickets), in stream order. */
    void zeroBytes(String op, long address, int bytes) {
        launch(op, "zeroing " + bytes + " bytes", "fill_u8", bytes, KernelParams.of().ptr(address)
                .struct(StridedDesc.pack(new int[] {bytes}, new long[] {1}, 0)).i64(bytes).f64(0));
    }

    /**
     * The descriptors of one launch, the output's first, with the dims merged that every operand
     * steps through as one ({@link StridedDesc#packCoalesced}). The kernel indexes every operand by
     * the output's flat index, so an input must have the output's shape; a mismatch is a caller bug
     * that would read out of bounds.
     */
    static byte[][] descs(Strided out, Strided... ins) {
        Strided[] all = new Strided[ins.length + 1];
        all[0] = out;
        for (int i = 0; i < ins.length; i++) {
            if (!java.util.Arrays.equals(ins[i].shape(), out.shape())) {
                throw new IllegalArgumentException("cuda: an elementwise input of shape " + Shape.format(ins[i].shape())
                        + " does not match the output shape " + Shape.format(out.shape())
                        + "; broadcast it to the output shape first (stride 0 on broadcast dims)");
            }
            all[i + 1] = ins[i];
        }
        return StridedDesc.packCoalesced(all);
    }

    private static void sameDtype(String op, DType expected, DType got, Strided out) {
        if (expected != got) {
            throw new IllegalArgumentException("cuda: " + op + ": the output must be " + expected + ", got " + got + " (shape "
                    + Shape.format(out.shape()) + "); allocate it with dtype " + expected);
        }
    }
}
