package dev.fathom.cuda;

import dev.fathom.cuda.KernelLauncher.Dim3;
import dev.fathom.spi.AttentionGeometry;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;

import java.util.Objects;

import static dev.fathom.cuda.FusedOperandChecks.floatingDtype;
import static dev.fathom.cuda.FusedOperandChecks.required;

/**
 * Fused attention ({@link dev.fathom.spi.Kernels#attentionForward},
 * {@link dev.fathom.spi.Kernels#attentionBackward}) on a {@link CudaDevice}: checks the operands
 * against the {@link AttentionGeometry} (they are read and written through their batch, head and row
 * strides), picks the launch ({@link #plan}) and enqueues the kernels of
 * {@code attention.cu} without waiting: the forward, then for the backward one kernel for dK and dV
 * per key tile and one for dQ per query tile (no atomics: deterministic).
 *
 * <p>When even a tile of one row does not fit the 48 KB of shared memory a kernel may use without an
 * opt-in (a head dim in the thousands), the methods throw UnsupportedOperationException and the
 * tensor layer runs the composite.
 */
final class CudaAttention {
    /** The largest tile: threads per block, rows per shared tile. */
    static final int MAX_TILE = 64;

    /** The three kernels of {@code attention.cu}. */
    enum Kernel {
        FORWARD("attention_forward"), BACKWARD_DQ("attention_backward_dq"), BACKWARD_DKDV("attention_backward_dkdv");

        private final String entry;

        Kernel(String entry) {
            this.entry = entry;
        }

        String entry(DType dt) {
            return entry + (dt == DType.F32 ? "_f32" : "_f64");
        }

        /** Shared elements for a tile of {@code t} rows (the layouts in attention.cu's comment). */
        long sharedElements(long t, long d, long dv) {
            return switch (this) {
                case FORWARD -> t * (2 * d + 2 * dv + 2);
                case BACKWARD_DQ -> t * (3 * d + 2 * dv + 3);
                case BACKWARD_DKDV -> t * (3 * d + 3 * dv + 6);
            };
        }
    }

    /** One launch: {@code tile} threads per block, {@code grid} blocks (0: nothing to do), dynamic shared bytes. */
    record Plan(int tile, int grid, int sharedBytes) {
    }

    private final KernelModule module;
    private final CudaFusedOps.Addresses addresses;

    CudaAttention(CudaDevice device, CudaFusedOps.Addresses addresses) {
        this.module = new KernelModule(Objects.requireNonNull(device, "device"), "attention");
        this.addresses = Objects.requireNonNull(addresses, "addresses");
    }

    /**
     * The launch of {@code kernel}: the largest power-of-two tile up to {@link #MAX_TILE} (and no
     * larger than the rows it tiles need) whose shared memory fits
     * {@link KernelLauncher#MAX_DEFAULT_SHARED_BYTES}; one block task per (head, tile of rows), at
     * most {@code maxGrid} blocks (the rest grid-strided). Null when not even one row fits.
     */
    static Plan plan(Kernel kernel, AttentionGeometry g, int maxGrid) {
        if (maxGrid < 1) {
            throw new IllegalArgumentException("CudaAttention.plan: maxGrid " + maxGrid + " must be >= 1");
        }
        int rows = kernel == Kernel.BACKWARD_DKDV ? g.lk() : g.lq();
        long size = g.dtype() == DType.F32 ? 4 : 8;
        int tile = MAX_TILE;
        while (tile > 1 && (tile / 2 >= rows || kernel.sharedElements(tile, g.headDim(), g.valueDim()) * size > KernelLauncher.MAX_DEFAULT_SHARED_BYTES)) {
            tile /= 2;
        }
        long bytes = kernel.sharedElements(tile, g.headDim(), g.valueDim()) * size;
        if (bytes > KernelLauncher.MAX_DEFAULT_SHARED_BYTES) {
            return null;
        }
        long tasks = (long) g.batchHeads() * ((rows + tile - 1) / tile);
        return new Plan(tile, (int) Math.min(tasks, maxGrid), (int) bytes);
    }

    void forward(AttentionGeometry g, Strided q, Strided k, Strided v, Strided out, Strided lse) {
        String op = "attentionForward";
        check(op, g, new String[] {"q", "k", "v", "out", "logsumexp"}, new Strided[] {q, k, v, out, lse},
                new int[][] {g.queryShape(), g.keyShape(), g.valueShape(), g.outputShape(), g.logsumexpShape()}, 3);
        launch(op, g, Kernel.FORWARD, rows(op, KernelParams.of(), q, k, v, out).ptr(address(lse, op)).i64(lse.offset()));
    }

    void backward(AttentionGeometry g, Strided q, Strided k, Strided v, Strided out, Strided gradOut, Strided lse, Strided gradQ,
                  Strided gradK, Strided gradV) {
        String op = "attentionBackward";
        check(op, g, new String[] {"q", "k", "v", "out", "gradOut", "logsumexp", "gradQ", "gradK", "gradV"},
                new Strided[] {q, k, v, out, gradOut, lse, gradQ, gradK, gradV},
                new int[][] {g.queryShape(), g.keyShape(), g.valueShape(), g.outputShape(), g.outputShape(), g.logsumexpShape(),
                        g.queryShape(), g.keyShape(), g.valueShape()}, 6);
        // Both plans first: an unsupported size must throw before anything is enqueued.
        plans(op, g, Kernel.BACKWARD_DKDV, Kernel.BACKWARD_DQ);
        launch(op, g, Kernel.BACKWARD_DKDV, rows(op, inputs(op, q, k, v, out, gradOut, lse), gradK, gradV));
        launch(op, g, Kernel.BACKWARD_DQ, rows(op, inputs(op, q, k, v, out, gradOut, lse), gradQ));
    }

    /** The backward's inputs: q, k, v, out and gradOut as rows, then the logsumexp. */
    private KernelParams inputs(String op, Strided q, Strided k, Strided v, Strided out, Strided gradOut, Strided lse) {
        return rows(op, KernelParams.of(), q, k, v, out, gradOut).ptr(address(lse, op)).i64(lse.offset());
    }

    /** Appends each operand as attention.cu's five parameters: pointer, offset, batch, head and row strides. */
    private KernelParams rows(String op, KernelParams p, Strided... operands) {
        for (Strided s : operands) {
            long[] st = s.strides();
            p.ptr(address(s, op)).i64(s.offset()).i64(st[0]).i64(st[1]).i64(st[2]);
        }
        return p;
    }

    private static void plans(String op, AttentionGeometry g, Kernel... kernels) {
        for (Kernel kernel : kernels) {
            if (plan(kernel, g, LaunchGeometry.MAX_GRID) == null) {
                throw new UnsupportedOperationException("cuda " + op + ": head dims " + g.headDim() + " and " + g.valueDim() + " ("
                        + g.dtype() + ") do not fit one row of " + kernel.entry(g.dtype()) + " in 48 KB of shared memory");
            }
        }
    }

    private void launch(String op, AttentionGeometry g, Kernel kernel, KernelParams params) {
        plans(op, g, kernel);
        Plan p = plan(kernel, g, LaunchGeometry.MAX_GRID);
        if (p.grid() == 0) {
            return;
        }
        params.i32(g.batchHeads()).i32(g.heads()).i32(g.lq()).i32(g.lk()).i32(g.headDim()).i32(g.valueDim()).f64(g.scale()).i32(g.causal() ? 1 : 0);
        module.launcher().launch(op, g.toString(), kernel.entry(g.dtype()), Dim3.of(p.grid()), Dim3.of(p.tile()), p.sharedBytes(), params);
    }

    /** Operands from index {@code firstOutput} on are written. */
    private static void check(String op, AttentionGeometry g, String[] names, Strided[] operands, int[][] shapes, int firstOutput) {
        Objects.requireNonNull(g, "cuda " + op + ": geometry");
        for (int i = 0; i < operands.length; i++) {
            required(op, names[i], operands[i]);
        }
        DType dt = floatingDtype(op, names, operands);
        if (dt != g.dtype()) {
            throw new IllegalArgumentException("cuda " + op + ": operands are " + dt + " but the geometry says " + g.dtype()
                    + "; build the AttentionGeometry with the operands' dtype");
        }
        for (int i = 0; i < operands.length; i++) {
            g.checkOperand("cuda " + op, names[i], operands[i], shapes[i], i >= firstOutput);
        }
    }

    private long address(Strided s, String op) {
        return addresses.of(s, op);
    }
}
