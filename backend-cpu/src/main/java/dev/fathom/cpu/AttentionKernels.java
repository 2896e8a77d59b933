package dev.fathom.cpu;

import dev.fathom.spi.AttentionGeometry;
import dev.fathom.spi.Strided;

import static dev.fathom.cpu.FusedOperands.floating;

/**
 * Fused scaled-dot-product attention, forward and backward, as {@link dev.fathom.spi.Kernels}
 * defines it (FlashAttention-2, Dao 2023): the {@code [lq, lk]} scores are never stored.
 *
 * <p>Forward: per query row, the visible keys go in tiles of {@link #TILE}; a running max m and sum
 * l are rescaled by {@code exp(m_old − m_new)} when a tile raises the max (online softmax, Milakov
 * and Gimelshein 2018), the output accumulates {@code Σ p_j·v_j} the same way, and
 * {@code lse = m + log l} is saved. Backward: P is recomputed from the scores and lse, with
 * {@code D_i = rowsum(dO∘O)}; dQ row by row, dK and dV accumulated over the rows of their head.
 *
 * <p>F32 runs on the Vector API ({@link AttentionF32}), F64 in scalar loops ({@link AttentionF64}).
 * The forward splits (head, block of {@link #QUERY_BLOCK}
 * rows) units across the pool; the backward splits heads, each owning its dK and dV rows. Operands
 * are read and written through their strides ({@link AttentionRows}), in the order q, k, v, out,
 * logsumexp (forward) and q, k, v, out, gradOut, logsumexp, gradQ, gradK, gradV (backward).
 */
final class AttentionKernels {
    static final int TILE = 128;
    static final int QUERY_BLOCK = 32;

    private AttentionKernels() {
    }

    static void forward(AttentionGeometry g, Strided qs, Strided ks, Strided vs, Strided os, Strided lses) {
        String op = "attentionForward";
        CpuBuffer q = operand(op, "q", qs, g, g.queryShape(), false), k = operand(op, "k", ks, g, g.keyShape(), false),
                v = operand(op, "v", vs, g, g.valueShape(), false), o = operand(op, "out", os, g, g.outputShape(), true),
                lse = operand(op, "logsumexp", lses, g, g.logsumexpShape(), true);
        int blocks = (g.lq() + QUERY_BLOCK - 1) / QUERY_BLOCK;
        long units = (long) g.batchHeads() * blocks;
        long work = Math.max(1, (long) QUERY_BLOCK * Math.max(1, g.lk()) * (g.headDim() + g.valueDim()));
        long grain = Math.max(1, ElementwiseKernels.GRAIN / work);
        AttentionRows[] rows = rows(g, qs, ks, vs, os, lses);
        Parallel.forRange(units, grain, (lo, hi) -> {
            if (q.f != null) {
                AttentionF32.Forward f = new AttentionF32.Forward(g, q.f, k.f, v.f, o.f, lse.f, rows);
                for (long u = lo; u < hi; u++) {
                    f.block((int) (u / blocks), (int) (u % blocks) * QUERY_BLOCK);
                }
            } else {
                for (long u = lo; u < hi; u++) {
                    int row0 = (int) (u % blocks) * QUERY_BLOCK;
                    AttentionF64.forward(g, q.d, k.d, v.d, o.d, lse.d, rows, (int) (u / blocks), row0, Math.min(g.lq(), row0 + QUERY_BLOCK));
                }
            }
        });
    }

    static void backward(AttentionGeometry g, Strided qs, Strided ks, Strided vs, Strided os, Strided gos, Strided lses,
                         Strided gqs, Strided gks, Strided gvs) {
        String op = "attentionBackward";
        CpuBuffer q = operand(op, "q", qs, g, g.queryShape(), false), k = operand(op, "k", ks, g, g.keyShape(), false),
                v = operand(op, "v", vs, g, g.valueShape(), false), o = operand(op, "out", os, g, g.outputShape(), false),
                go = operand(op, "gradOut", gos, g, g.outputShape(), false),
                lse = operand(op, "logsumexp", lses, g, g.logsumexpShape(), false),
                gq = operand(op, "gradQ", gqs, g, g.queryShape(), true), gk = operand(op, "gradK", gks, g, g.keyShape(), true),
                gv = operand(op, "gradV", gvs, g, g.valueShape(), true);
        long work = Math.max(1, (long) Math.max(1, g.lq()) * Math.max(1, g.lk()) * (g.headDim() + g.valueDim()));
        long grain = Math.max(1, ElementwiseKernels.GRAIN / work);
        AttentionRows[] rows = rows(g, qs, ks, vs, os, gos, lses, gqs, gks, gvs);
        Parallel.forRange(g.batchHeads(), grain, (lo, hi) -> {
            AttentionF32.Backward b = q.f != null ? new AttentionF32.Backward(g, q.f, k.f, v.f, o.f, go.f, lse.f, gq.f, gk.f, gv.f, rows) : null;
            for (int h = (int) lo; h < hi; h++) {
                if (b != null) {
                    b.head(h);
                } else {
                    AttentionF64.backward(g, q.d, k.d, v.d, o.d, go.d, lse.d, gq.d, gk.d, gv.d, rows, h);
                }
            }
        });
    }

    private static AttentionRows[] rows(AttentionGeometry g, Strided... operands) {
        AttentionRows[] rows = new AttentionRows[operands.length];
        for (int i = 0; i < operands.length; i++) {
            rows[i] = AttentionRows.of(operands[i], g.heads());
        }
        return rows;
    }

    private static CpuBuffer operand(String op, String name, Strided s, AttentionGeometry g, int[] shape, boolean output) {
        g.checkOperand("cpu " + op, name, s, shape, output);
        CpuBuffer b = floating(op, s);
        if (b.dtype != g.dtype()) {
            throw new IllegalArgumentException("cpu " + op + ": " + name + " is " + b.dtype + " but the geometry says " + g.dtype()
                    + "; build the AttentionGeometry with the operands' dtype");
        }
        return b;
    }
}
