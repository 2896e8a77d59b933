package dev.fathom.cuda;

import dev.fathom.spi.Conv2dGeometry;
import dev.fathom.spi.Pool2dGeometry;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;

import java.util.Arrays;
import java.util.Objects;

/**
 * The convolution and pooling kernels of the SPI ({@link dev.fathom.spi.Kernels#conv2dForward}
 * and the six after it) on the own kernels of {@code conv.cu} and {@code pool.cu}: checks the
 * operands against the geometry, computes the launch geometry ({@link ConvGeometry},
 * {@link PoolGeometry}) and enqueues the launches on the device's stream; nothing waits.
 *
 * <p>Operands are as the SPI documents them: NCHW, contiguous from their offset, F32 or F64 (all
 * of one dtype; max-pool indices I64), outputs overwritten. The weight gradient of a long
 * reduction borrows a split-K workspace of {@link ConvGeometry#workspaceElements} elements from the
 * device's caching allocator and gives it back as soon as both launches are enqueued: blocks are
 * reused only by later launches on the same stream, which run after these.
 */
final class CudaConvolutions {
    private final CudaKernels kernels;
    private final CudaDevice device;
    private final KernelModule convModule;
    private final KernelModule poolModule;

    CudaConvolutions(CudaKernels kernels, CudaDevice device) {
        this.kernels = Objects.requireNonNull(kernels, "kernels");
        this.device = Objects.requireNonNull(device, "device");
        this.convModule = new KernelModule(device, "conv");
        this.poolModule = new KernelModule(device, "pool");
    }

    // ---- convolution ------------------------------------------------------------------------

    void conv2dForward(Conv2dGeometry g, Strided x, Strided w, Strided out) {
        String op = "conv2dForward";
        ConvGeometry cg = convGeometry(op, g);
        DType dt = floating(op, g, x, "x", g.inputShape());
        operand(op, g, w, "w", g.weightShape(), dt);
        operand(op, g, out, "out", g.outputShape(), dt);
        if (!cg.forward().isEmpty()) {
            conv(op, g, "conv2d_fwd_", dt, cg.forward(), convArgs(op, x, w, out));
        }
    }

    void conv2dBackwardData(Conv2dGeometry g, Strided gradOut, Strided w, Strided gradIn) {
        String op = "conv2dBackwardData";
        ConvGeometry cg = convGeometry(op, g);
        DType dt = floating(op, g, gradOut, "gradOut", g.outputShape());
        operand(op, g, w, "w", g.weightShape(), dt);
        operand(op, g, gradIn, "gradIn", g.inputShape(), dt);
        if (!cg.backwardData().isEmpty()) {
            conv(op, g, "conv2d_bwd_data_", dt, cg.backwardData(), convArgs(op, gradOut, w, gradIn));
        }
    }

    void conv2dBackwardWeight(Conv2dGeometry g, Strided x, Strided gradOut, Strided gradW) {
        String op = "conv2dBackwardWeight";
        ConvGeometry cg = convGeometry(op, g);
        DType dt = floating(op, g, x, "x", g.inputShape());
        operand(op, g, gradOut, "gradOut", g.outputShape(), dt);
        operand(op, g, gradW, "gradW", g.weightShape(), dt);
        if (cg.splits() == 1) {
            conv(op, g, "conv2d_bwd_weight_", dt, cg.backwardWeight(), KernelParams.of()
                    .ptr(ptr(x, op)).i64(x.offset()).ptr(ptr(gradOut, op)).i64(gradOut.offset()).ptr(ptr(gradW, op))
                    .i64(gradW.offset()).i64(cg.chunk()));
            return;
        }
        long size = gradW.numel();
        long workspace = device.allocator().allocate(op, cg.workspaceElements(g) * dt.byteSize());
        try {
            conv(op, g, "conv2d_bwd_weight_", dt, cg.backwardWeight(), KernelParams.of()
                    .ptr(ptr(x, op)).i64(x.offset()).ptr(ptr(gradOut, op)).i64(gradOut.offset()).ptr(workspace).i64(0)
                    .i64(cg.chunk()));
            LaunchGeometry r = cg.reduce();
            convModule.launch(op, ConvGeometry.describe(g) + " split-K " + cg.splits() + " x " + cg.chunk(),
                    "conv2d_bwd_weight_reduce_" + suffix(dt), KernelLauncher.Dim3.of(r.grid()),
                    KernelLauncher.Dim3.of(r.block()),
                    KernelParams.of().ptr(workspace).i64(size).i32(cg.splits()).ptr(ptr(gradW, op)).i64(gradW.offset()));
        } finally {
            device.allocator().free(workspace);
        }
    }

    private KernelParams convArgs(String op, Strided a, Strided b, Strided out) {
        return KernelParams.of().ptr(ptr(a, op)).i64(a.offset()).ptr(ptr(b, op)).i64(b.offset()).ptr(ptr(out, op))
                .i64(out.offset());
    }

    /** Appends the shape (Conv2dGeometry's order, conv.cu's CONV_SHAPE_PARAMS) and launches. */
    private void conv(String op, Conv2dGeometry g, String kernel, DType dt, ConvGeometry.Grid grid, KernelParams p) {
        p.i32(g.n()).i32(g.cIn()).i32(g.h()).i32(g.w()).i32(g.cOut()).i32(g.kh()).i32(g.kw()).i32(g.strideH())
                .i32(g.strideW()).i32(g.padH()).i32(g.padW()).i32(g.dilH()).i32(g.dilW()).i32(g.groups()).i32(g.outH())
                .i32(g.outW());
        convModule.launch(op, ConvGeometry.describe(g), kernel + suffix(dt), new KernelLauncher.Dim3(grid.x(), grid.y(), grid.z()),
                KernelLauncher.Dim3.of(ConvGeometry.BLOCK), p);
    }

    private static ConvGeometry convGeometry(String op, Conv2dGeometry g) {
        Objects.requireNonNull(g, op + ": geometry");
        try {
            return ConvGeometry.of(g);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cuda: " + op + ": " + e.getMessage(), e);
        }
    }

    // ---- pooling ------------------------------------------------------------------------------

    void maxPool2dForward(Pool2dGeometry g, Strided x, Strided out, Strided indices) {
        String op = "maxPool2dForward";
        PoolGeometry pg = poolGeometry(op, g);
        DType dt = floating(op, g, x, "x", g.inputShape());
        operand(op, g, out, "out", g.outputShape(), dt);
        operand(op, g, indices, "indices", g.outputShape(), DType.I64);
        pool(op, g, "max_pool2d_fwd_", dt, pg.forward(), KernelParams.of().ptr(ptr(x, op)).i64(x.offset()).ptr(ptr(out, op))
                .i64(out.offset()).ptr(ptr(indices, op)).i64(indices.offset()));
    }

    void maxPool2dBackward(Pool2dGeometry g, Strided gradOut, Strided indices, Strided gradIn) {
        String op = "maxPool2dBackward";
        PoolGeometry pg = poolGeometry(op, g);
        DType dt = floating(op, g, gradOut, "gradOut", g.outputShape());
        operand(op, g, indices, "indices", g.outputShape(), DType.I64);
        operand(op, g, gradIn, "gradIn", g.inputShape(), dt);
        pool(op, g, "max_pool2d_bwd_", dt, pg.backward(), KernelParams.of().ptr(ptr(gradOut, op)).i64(gradOut.offset())
                .ptr(ptr(indices, op)).i64(indices.offset()).ptr(ptr(gradIn, op)).i64(gradIn.offset()));
    }

    void avgPool2dForward(Pool2dGeometry g, boolean countIncludePad, Strided x, Strided out) {
        String op = "avgPool2dForward";
        PoolGeometry pg = avgGeometry(op, g);
        DType dt = floating(op, g, x, "x", g.inputShape());
        operand(op, g, out, "out", g.outputShape(), dt);
        pool(op, g, "avg_pool2d_fwd_", dt, pg.forward(), KernelParams.of().ptr(ptr(x, op)).i64(x.offset()).ptr(ptr(out, op))
                .i64(out.offset()).i32(countIncludePad ? 1 : 0));
    }

    void avgPool2dBackward(Pool2dGeometry g, boolean countIncludePad, Strided gradOut, Strided gradIn) {
        String op = "avgPool2dBackward";
        PoolGeometry pg = avgGeometry(op, g);
        DType dt = floating(op, g, gradOut, "gradOut", g.outputShape());
        operand(op, g, gradIn, "gradIn", g.inputShape(), dt);
        pool(op, g, "avg_pool2d_bwd_", dt, pg.backward(), KernelParams.of().ptr(ptr(gradOut, op)).i64(gradOut.offset())
                .ptr(ptr(gradIn, op)).i64(gradIn.offset()).i32(countIncludePad ? 1 : 0));
    }

    /** Appends the shape (Pool2dGeometry's order, pool.cu's POOL_SHAPE_PARAMS) and launches, unless empty. */
    private void pool(String op, Pool2dGeometry g, String kernel, DType dt, LaunchGeometry lg, KernelParams p) {
        if (lg.isEmpty()) {
            return;
        }
        p.i32(g.n()).i32(g.c()).i32(g.h()).i32(g.w()).i32(g.kh()).i32(g.kw()).i32(g.strideH()).i32(g.strideW())
                .i32(g.padH()).i32(g.padW()).i32(g.dilH()).i32(g.dilW()).i32(g.outH()).i32(g.outW());
        poolModule.launch(op, PoolGeometry.describe(g), kernel + suffix(dt), KernelLauncher.Dim3.of(lg.grid()),
                KernelLauncher.Dim3.of(lg.block()), p);
    }

    private static PoolGeometry poolGeometry(String op, Pool2dGeometry g) {
        Objects.requireNonNull(g, op + ": geometry");
        try {
            return PoolGeometry.of(g);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cuda: " + op + ": " + e.getMessage(), e);
        }
    }

    private static PoolGeometry avgGeometry(String op, Pool2dGeometry g) {
        PoolGeometry pg = poolGeometry(op, g);
        if (g.dilH() != 1 || g.dilW() != 1) {
            throw new IllegalArgumentException("cuda: " + op + ": " + PoolGeometry.describe(g)
                    + ": average pooling has no dilation; pass dilation (1, 1)");
        }
        return pg;
    }

    // ---- operands -----------------------------------------------------------------------------

    /** Checks a floating operand (F32 or F64) and returns its dtype, which every other operand must share. */
    private static DType floating(String op, Record g, Strided s, String name, int[] shape) {
        Objects.requireNonNull(s, op + ": " + name);
        DType dt = s.buffer().dtype();
        if (dt != DType.F32 && dt != DType.F64) {
            throw new IllegalArgumentException("cuda: " + op + ": " + name + " is " + dt + ", but the kernels take F32 or F64 ("
                    + describe(g) + "); convert with to(DType.F32)");
        }
        operand(op, g, s, name, shape, dt);
        return dt;
    }

    /** Checks dtype, shape, contiguity and that the elements lie inside the buffer. */
    private static void operand(String op, Record g, Strided s, String name, int[] shape, DType dtype) {
        Objects.requireNonNull(s, op + ": " + name);
        String where = "cuda: " + op + ": " + name + " " + s + " (" + describe(g) + ")";
        if (s.buffer().dtype() != dtype) {
            throw new IllegalArgumentException(where + " must be " + dtype + " like the other operands; convert it with to("
                    + dtype + ")");
        }
        if (!Arrays.equals(s.shape(), shape)) {
            throw new IllegalArgumentException(where + " must have shape " + Arrays.toString(shape)
                    + " as the geometry says; build the geometry from the operands' shapes");
        }
        if (!s.isContiguous()) {
            throw new IllegalArgumentException(where + " must be contiguous (NCHW, row-major); call contiguous() first");
        }
        if (s.offset() < 0 || s.offset() + s.numel() > s.buffer().capacity()) {
            throw new IllegalArgumentException(where + " reaches past its buffer of " + s.buffer().capacity()
                    + " elements; the view's offset and shape must lie inside it");
        }
    }

    private static String describe(Record g) {
        return g instanceof Conv2dGeometry c ? ConvGeometry.describe(c) : PoolGeometry.describe((Pool2dGeometry) g);
    }

    /** The device address of s's buffer, checked to be a live buffer of these kernels. */
    private long ptr(Strided s, String op) {
        return kernels.buffer(s, op).address();
    }

    private static String suffix(DType dt) {
        return CudaBuffer.suffix(dt);
    }
}
