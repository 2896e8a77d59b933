package dev.fathom.cpu;

import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.Strided;
import dev.fathom.spi.UnaryOp;
import dev.fathom.tensor.DType;

import java.util.Arrays;

/**
 * Unary and binary maps, where, fill and copy/cast over arbitrary strides. Rows that are
 * contiguous in F32 take the Vector API loops of {@link VectorF32}; everything else runs the
 * scalar meaning from {@link ScalarMath}.
 */
final class ElementwiseKernels {
    /** Elements per task below which a map stays on the calling thread. */
    static final long GRAIN = 1 << 15;

    private ElementwiseKernels() {
    }

    static void unary(UnaryOp op, Strided xs, Strided os) {
        CpuBuffer x = CpuBuffer.of(xs.buffer()), o = CpuBuffer.of(os.buffer());
        StridedLoop loop = new StridedLoop(os.shape(), xs, os);
        int sx = loop.innerStride(0), so = loop.innerStride(1);
        StridedLoop.Row row = switch (x.dtype) {
            case F32 -> (n, off) -> {
                if (sx == 1 && so == 1 && VectorF32.unary(op, x.f, off[0], o.f, off[1], n)) {
                    return;
                }
                for (int i = 0, xi = off[0], oi = off[1]; i < n; i++, xi += sx, oi += so) {
                    o.f[oi] = (float) ScalarMath.unary(op, x.f[xi]);
                }
            };
            case F64 -> (n, off) -> {
                for (int i = 0, xi = off[0], oi = off[1]; i < n; i++, xi += sx, oi += so) {
                    o.d[oi] = ScalarMath.unary(op, x.d[xi]);
                }
            };
            case I64 -> (n, off) -> {
                for (int i = 0, xi = off[0], oi = off[1]; i < n; i++, xi += sx, oi += so) {
                    o.l[oi] = ScalarMath.unaryLong(op, x.l[xi]);
                }
            };
            case BOOL -> (n, off) -> {
                for (int i = 0, xi = off[0], oi = off[1]; i < n; i++, xi += sx, oi += so) {
                    o.b[oi] = !x.b[xi];
                }
            };
        };
        loop.runParallel(GRAIN, row);
    }

    /** {@link dev.fathom.spi.Kernels#activationBackward}: {@code gx = g·op'(x)} for RELU and GELU. */
    static void activationBackward(UnaryOp op, Strided xs, Strided gs, Strided os) {
        if (!UnaryOp.FUSED_GRADIENT.contains(op)) {
            throw new IllegalArgumentException("cpu activationBackward: " + op + " has no fused gradient; the ops are "
                    + UnaryOp.FUSED_GRADIENT);
        }
        CpuBuffer x = CpuBuffer.of(xs.buffer()), g = CpuBuffer.of(gs.buffer()), o = CpuBuffer.of(os.buffer());
        if (x.dtype != g.dtype || x.dtype != o.dtype || !x.dtype.isFloating()
                || !Arrays.equals(xs.shape(), gs.shape()) || !Arrays.equals(xs.shape(), os.shape())) {
            throw new IllegalArgumentException("cpu activationBackward: x, gradOut and gradIn need one shape and one floating dtype, got "
                    + xs + ", " + gs + ", " + os);
        }
        boolean relu = op == UnaryOp.RELU;
        StridedLoop loop = new StridedLoop(os.shape(), xs, gs, os);
        int sx = loop.innerStride(0), sg = loop.innerStride(1), so = loop.innerStride(2);
        StridedLoop.Row row = x.dtype == DType.F32 ? (n, off) -> {
            if (sx == 1 && sg == 1 && so == 1) {
                if (relu) {
                    MaskF32.reluGrad(x.f, off[0], g.f, off[1], o.f, off[2], n);
                } else {
                    Erf32.geluGradRow(x.f, off[0], g.f, off[1], o.f, off[2], n);
                }
                return;
            }
            for (int i = 0, xi = off[0], gi = off[1], oi = off[2]; i < n; i++, xi += sx, gi += sg, oi += so) {
                o.f[oi] = relu ? (x.f[xi] > 0 ? g.f[gi] : 0f) : (float) (g.f[gi] * Erf32.geluGrad(x.f[xi]));
            }
        } : (n, off) -> {
            for (int i = 0, xi = off[0], gi = off[1], oi = off[2]; i < n; i++, xi += sx, gi += sg, oi += so) {
                double v = x.d[xi];
                o.d[oi] = relu ? (v > 0 ? g.d[gi] : 0) : g.d[gi] * ScalarMath.geluGrad(v);
            }
        };
        loop.runParallel(GRAIN, row);
    }

    static void binary(BinaryOp op, Strided as, Strided bs, Strided os) {
        CpuBuffer a = CpuBuffer.of(as.buffer()), b = CpuBuffer.of(bs.buffer()), o = CpuBuffer.of(os.buffer());
        StridedLoop loop = new StridedLoop(os.shape(), as, bs, os);
        int sa = loop.innerStride(0), sb = loop.innerStride(1), so = loop.innerStride(2);
        boolean cmp = BinaryOp.COMPARISON.contains(op);
        StridedLoop.Row row = switch (a.dtype) {
            case F32 -> cmp ? (n, off) -> {
                if (so == 1 && sa == 1 && (sb == 1 || sb == 0) && MaskF32.compare(op, a.f, off[0], b.f, off[1], sb, o.b, off[2], n)) {
                    return;
                }
                for (int i = 0, ai = off[0], bi = off[1], oi = off[2]; i < n; i++, ai += sa, bi += sb, oi += so) {
                    o.b[oi] = ScalarMath.compare(op, a.f[ai], b.f[bi]);
                }
            } : (n, off) -> {
                if (so == 1 && sa == 1 && (sb == 1 || sb == 0) && VectorF32.binary(op, a.f, off[0], b.f, off[1], sb, o.f, off[2], n)) {
                    return;
                }
                if (so == 1 && sa == 0 && sb == 1 && commutes(op)
                        && VectorF32.binary(op, b.f, off[1], a.f, off[0], 0, o.f, off[2], n)) {
                    return;
                }
                for (int i = 0, ai = off[0], bi = off[1], oi = off[2]; i < n; i++, ai += sa, bi += sb, oi += so) {
                    o.f[oi] = (float) ScalarMath.binary(op, a.f[ai], b.f[bi]);
                }
            };
            case F64 -> cmp ? (n, off) -> {
                for (int i = 0, ai = off[0], bi = off[1], oi = off[2]; i < n; i++, ai += sa, bi += sb, oi += so) {
                    o.b[oi] = ScalarMath.compare(op, a.d[ai], b.d[bi]);
                }
            } : (n, off) -> {
                for (int i = 0, ai = off[0], bi = off[1], oi = off[2]; i < n; i++, ai += sa, bi += sb, oi += so) {
                    o.d[oi] = ScalarMath.binary(op, a.d[ai], b.d[bi]);
                }
            };
            case I64 -> cmp ? (n, off) -> {
                for (int i = 0, ai = off[0], bi = off[1], oi = off[2]; i < n; i++, ai += sa, bi += sb, oi += so) {
                    o.b[oi] = ScalarMath.compareLong(op, a.l[ai], b.l[bi]);
                }
            } : (n, off) -> {
                for (int i = 0, ai = off[0], bi = off[1], oi = off[2]; i < n; i++, ai += sa, bi += sb, oi += so) {
                    o.l[oi] = ScalarMath.binaryLong(op, a.l[ai], b.l[bi]);
                }
            };
            case BOOL -> (n, off) -> {
                for (int i = 0, ai = off[0], bi = off[1], oi = off[2]; i < n; i++, ai += sa, bi += sb, oi += so) {
                    o.b[oi] = ScalarMath.logical(op, a.b[ai], b.b[bi]);
                }
            };
        };
        loop.runParallel(GRAIN, row);
    }

    private static boolean commutes(BinaryOp op) {
        return op == BinaryOp.ADD || op == BinaryOp.MUL || op == BinaryOp.MAXIMUM || op == BinaryOp.MINIMUM;
    }

    static void where(Strided cs, Strided as, Strided bs, Strided os) {
        CpuBuffer c = CpuBuffer.of(cs.buffer()), a = CpuBuffer.of(as.buffer()), b = CpuBuffer.of(bs.buffer()), o = CpuBuffer.of(os.buffer());
        StridedLoop loop = new StridedLoop(os.shape(), cs, as, bs, os);
        int sc = loop.innerStride(0), sa = loop.innerStride(1), sb = loop.innerStride(2), so = loop.innerStride(3);
        StridedLoop.Row row = switch (a.dtype) {
            case F32 -> (n, off) -> {
                if (sc == 1 && so == 1 && (sa == 1 || sa == 0) && (sb == 1 || sb == 0)) {
                    MaskF32.where(c.b, off[0], a.f, off[1], sa, b.f, off[2], sb, o.f, off[3], n);
                    return;
                }
                for (int i = 0, ci = off[0], ai = off[1], bi = off[2], oi = off[3]; i < n; i++, ci += sc, ai += sa, bi += sb, oi += so) {
                    o.f[oi] = c.b[ci] ? a.f[ai] : b.f[bi];
                }
            };
            case F64 -> (n, off) -> {
                for (int i = 0, ci = off[0], ai = off[1], bi = off[2], oi = off[3]; i < n; i++, ci += sc, ai += sa, bi += sb, oi += so) {
                    o.d[oi] = c.b[ci] ? a.d[ai] : b.d[bi];
                }
            };
            case I64 -> (n, off) -> {
                for (int i = 0, ci = off[0], ai = off[1], bi = off[2], oi = off[3]; i < n; i++, ci += sc, ai += sa, bi += sb, oi += so) {
                    o.l[oi] = c.b[ci] ? a.l[ai] : b.l[bi];
                }
            };
            case BOOL -> (n, off) -> {
                for (int i = 0, ci = off[0], ai = off[1], bi = off[2], oi = off[3]; i < n; i++, ci += sc, ai += sa, bi += sb, oi += so) {
                    o.b[oi] = c.b[ci] ? a.b[ai] : b.b[bi];
                }
            };
        };
        loop.runParallel(GRAIN, row);
    }

    static void fill(Strided ds, double value) {
        CpuBuffer d = CpuBuffer.of(ds.buffer());
        StridedLoop loop = new StridedLoop(ds.shape(), ds);
        int s = loop.innerStride(0);
        float fv = (float) value;
        long lv = (long) value;
        boolean bv = value != 0;
        loop.runParallel(GRAIN, (n, off) -> {
            int at = off[0];
            if (s == 1) {
                switch (d.dtype) {
                    case F32 -> Arrays.fill(d.f, at, at + n, fv);
                    case F64 -> Arrays.fill(d.d, at, at + n, value);
                    case I64 -> Arrays.fill(d.l, at, at + n, lv);
                    case BOOL -> Arrays.fill(d.b, at, at + n, bv);
                }
                return;
            }
            for (int i = 0; i < n; i++, at += s) {
                switch (d.dtype) {
                    case F32 -> d.f[at] = fv;
                    case F64 -> d.d[at] = value;
                    case I64 -> d.l[at] = lv;
                    case BOOL -> d.b[at] = bv;
                }
            }
        });
    }

    /** Strided copy with conversion: floats to I64 truncate toward zero, anything to BOOL is != 0. */
    static void copy(Strided ss, Strided ds) {
        CpuBuffer s = CpuBuffer.of(ss.buffer()), d = CpuBuffer.of(ds.buffer());
        StridedLoop loop = new StridedLoop(ds.shape(), ss, ds);
        int si = loop.innerStride(0), di = loop.innerStride(1);
        if (s.dtype == d.dtype && si == 1 && di == 1) {
            Object src = s.array(), dst = d.array();
            loop.runParallel(GRAIN, (n, off) -> System.arraycopy(src, off[0], dst, off[1], n));
            return;
        }
        loop.runParallel(GRAIN, (n, off) -> {
            for (int i = 0, a = off[0], b = off[1]; i < n; i++, a += si, b += di) {
                switch (d.dtype) {
                    case F32 -> d.f[b] = switch (s.dtype) {
                        case F32 -> s.f[a];
                        case F64 -> (float) s.d[a];
                        case I64 -> (float) s.l[a];
                        case BOOL -> s.b[a] ? 1f : 0f;
                    };
                    case F64 -> d.d[b] = switch (s.dtype) {
                        case F32 -> s.f[a];
                        case F64 -> s.d[a];
                        case I64 -> (double) s.l[a];
                        case BOOL -> s.b[a] ? 1 : 0;
                    };
                    case I64 -> d.l[b] = switch (s.dtype) {
                        case F32 -> (long) s.f[a];
                        case F64 -> (long) s.d[a];
                        case I64 -> s.l[a];
                        case BOOL -> s.b[a] ? 1 : 0;
                    };
                    case BOOL -> d.b[b] = switch (s.dtype) {
                        case F32 -> s.f[a] != 0;
                        case F64 -> s.d[a] != 0;
                        case I64 -> s.l[a] != 0;
                        case BOOL -> s.b[a];
                    };
                }
            }
        });
    }
}
