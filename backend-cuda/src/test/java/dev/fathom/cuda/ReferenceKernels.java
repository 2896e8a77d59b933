package dev.fathom.cuda;

import dev.fathom.cuda.FakeKernels.Desc;
import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.Philox;
import dev.fathom.spi.RandomOp;
import dev.fathom.spi.ReduceOp;
import dev.fathom.spi.UnaryOp;
import org.apache.commons.math3.special.Erf;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Every kernel of the elementwise, reduce, gemm, index and random modules as a plain Java loop over
 * the {@link FakeDriver}'s memory, with the parameter lists of the {@code .cu} entries and the
 * scalar meaning of the CPU backend. Installed on a fake driver ({@link ReferenceDriver}), they
 * let host-side layout logic (descriptors, permuted copies, batch offsets, splits) be checked
 * numerically, down to running the conformance suite, without the kernel emulator.
 */
final class ReferenceKernels {
    private static final List<String> TYPES = List.of("f32", "f64", "i64", "u8");

    private ReferenceKernels() {
    }

    /** Typed element access to device memory from a base address. */
    private record Mem(ByteBuffer b, String t) {
        static Mem of(FakeDriver d, long address, String t) {
            return new Mem(d.from(address), t);
        }

        double d(long i) {
            return switch (t) {
                case "f32" -> b.getFloat((int) (4 * i));
                case "f64" -> b.getDouble((int) (8 * i));
                case "i64" -> b.getLong((int) (8 * i));
                default -> b.get((int) i);
            };
        }

        long l(long i) {
            return switch (t) {
                case "i64" -> b.getLong((int) (8 * i));
                case "u8" -> b.get((int) i);
                default -> (long) d(i);
            };
        }

        void putD(long i, double v) {
            switch (t) {
                case "f32" -> b.putFloat((int) (4 * i), (float) v);
                case "f64" -> b.putDouble((int) (8 * i), v);
                case "i64" -> b.putLong((int) (8 * i), (long) v);
                default -> b.put((int) i, (byte) (v != 0 ? 1 : 0));
            }
        }

        void putL(long i, long v) {
            switch (t) {
                case "f32" -> b.putFloat((int) (4 * i), (float) v);
                case "f64" -> b.putDouble((int) (8 * i), (double) v);
                case "i64" -> b.putLong((int) (8 * i), v);
                default -> b.put((int) i, (byte) (v != 0 ? 1 : 0));
            }
        }

        /** Copies element i of this into element j of dst with Kernels.copy's conversions. */
        void copyTo(long i, Mem dst, long j) {
            if (t.equals("i64") || t.equals("u8")) {
                dst.putL(j, l(i));
            } else {
                dst.putD(j, d(i));
            }
        }
    }

    private static void setStatus(FakeDriver d, long status) {
        d.writeBytes(status, new byte[] {1, 0, 0, 0});
    }

    static void install(FakeDriver d) {
        for (String t : TYPES) {
            d.kernel("fill_" + t, (dev, l) -> {
                Mem m = Mem.of(dev, l.ptr(0), t);
                Desc desc = Desc.of(l.struct(1));
                for (long i = 0; i < l.i64(2); i++) {
                    m.putD(desc.at(i), l.f64(3));
                }
            });
            for (String u : TYPES) {
                d.kernel("copy_" + t + "_" + u, (dev, l) -> {
                    Mem s = Mem.of(dev, l.ptr(0), t), o = Mem.of(dev, l.ptr(2), u);
                    Desc sd = Desc.of(l.struct(1)), od = Desc.of(l.struct(3));
                    for (long i = 0; i < l.i64(4); i++) {
                        s.copyTo(sd.at(i), o, od.at(i));
                    }
                });
            }
            d.kernel("where_" + t, (dev, l) -> {
                Mem c = Mem.of(dev, l.ptr(0), "u8"), a = Mem.of(dev, l.ptr(2), t), b = Mem.of(dev, l.ptr(4), t),
                        o = Mem.of(dev, l.ptr(6), t);
                Desc cd = Desc.of(l.struct(1)), ad = Desc.of(l.struct(3)), bd = Desc.of(l.struct(5)), od = Desc.of(l.struct(7));
                for (long i = 0; i < l.i64(8); i++) {
                    (c.l(cd.at(i)) != 0 ? a : b).copyTo(c.l(cd.at(i)) != 0 ? ad.at(i) : bd.at(i), o, od.at(i));
                }
            });
            d.kernel("random_" + t, (dev, l) -> random(dev, l, t));
        }
        for (String t : List.of("f32", "f64", "i64", "u8")) {
            d.kernel("unary_" + t, (dev, l) -> map(dev, l, t, t, false));
            d.kernel("binary_" + t, (dev, l) -> map(dev, l, t, t, true));
            d.kernel("reduce_" + t, (dev, l) -> reduce(dev, l, t));
        }
        for (String t : List.of("f32", "f64", "i64")) {
            d.kernel("compare_" + t, (dev, l) -> map(dev, l, t, "u8", true));
            d.kernel("gemm_" + t, (dev, l) -> gemm(dev, l, t));
            d.kernel("gather_" + t, (dev, l) -> index(dev, l, t, true));
            d.kernel("scatter_add_" + t, (dev, l) -> index(dev, l, t, false));
        }
    }

    /** unary(op, x, xd, out, od, n) and binary/compare(op, a, ad, b, bd, out, od, n[, status]). */
    private static void map(FakeDriver dev, FakeDriver.Launch l, String t, String outType, boolean binary) {
        int op = l.i32(0);
        Mem a = Mem.of(dev, l.ptr(1), t);
        Desc ad = Desc.of(l.struct(2));
        Mem b = binary ? Mem.of(dev, l.ptr(3), t) : null;
        Desc bd = binary ? Desc.of(l.struct(4)) : null;
        int o0 = binary ? 5 : 3;
        Mem o = Mem.of(dev, l.ptr(o0), outType);
        Desc od = Desc.of(l.struct(o0 + 1));
        long n = l.i64(o0 + 2);
        for (long i = 0; i < n; i++) {
            long oi = od.at(i);
            if (!binary) {
                if (t.equals("i64") || t.equals("u8")) {
                    long x = a.l(ad.at(i));
                    o.putL(oi, switch (UnaryOp.values()[op]) {
                        case NEG -> -x;
                        case ABS -> Math.abs(x);
                        case SIGN -> Long.signum(x);
                        case NOT -> x == 0 ? 1 : 0;
                        default -> throw new IllegalStateException("unary " + op + " on " + t);
                    });
                } else {
                    o.putD(oi, unary(UnaryOp.values()[op], a.d(ad.at(i))));
                }
                continue;
            }
            BinaryOp bop = BinaryOp.values()[op];
            if (t.equals("i64") || t.equals("u8")) {
                long x = a.l(ad.at(i)), y = b.l(bd.at(i));
                if (bop == BinaryOp.DIV && y == 0) {
                    setStatus(dev, l.ptr(8));
                    o.putL(oi, 0);
                    continue;
                }
                o.putL(oi, switch (bop) {
                    case ADD -> x + y;
                    case SUB -> x - y;
                    case MUL -> x * y;
                    case DIV -> x / y;
                    case MAXIMUM -> Math.max(x, y);
                    case MINIMUM -> Math.min(x, y);
                    case EQ -> x == y ? 1 : 0;
                    case NE, XOR -> x != y ? 1 : 0;
                    case LT -> x < y ? 1 : 0;
                    case LE -> x <= y ? 1 : 0;
                    case GT -> x > y ? 1 : 0;
                    case GE -> x >= y ? 1 : 0;
                    case AND -> x != 0 && y != 0 ? 1 : 0;
                    case OR -> x != 0 || y != 0 ? 1 : 0;
                    default -> throw new IllegalStateException("binary " + bop + " on " + t);
                });
                continue;
            }
            double x = a.d(ad.at(i)), y = b.d(bd.at(i));
            o.putD(oi, switch (bop) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
                case POW -> Math.pow(x, y);
                case MAXIMUM -> Math.max(x, y);
                case MINIMUM -> Math.min(x, y);
                case EQ -> x == y ? 1 : 0;
                case NE -> x != y ? 1 : 0;
                case LT -> x < y ? 1 : 0;
                case LE -> x <= y ? 1 : 0;
                case GT -> x > y ? 1 : 0;
                case GE -> x >= y ? 1 : 0;
                default -> throw new IllegalStateException("binary " + bop + " on " + t);
            });
        }
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    private static double unary(UnaryOp op, double x) {
        return switch (op) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case RECIPROCAL -> 1 / x;
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> sigmoid(x);
            case RELU -> x > 0 || Double.isNaN(x) ? x : 0;
            case GELU -> 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case SILU -> x * sigmoid(x);
            case ERF -> Erf.erf(x);
            case NOT -> throw new IllegalStateException("NOT on a float");
        };
    }

    /** reduce(op, x, x_offset, row_stride, inner, out, out_offset, outer). */
    private static void reduce(FakeDriver dev, FakeDriver.Launch l, String t) {
        ReduceOp op = ReduceOp.values()[l.i32(0)];
        Mem x = Mem.of(dev, l.ptr(1), t);
        long off = l.i64(2), rs = l.i64(3), inner = l.i64(4), ooff = l.i64(6), outer = l.i64(7);
        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN, max = op == ReduceOp.MAX || op == ReduceOp.ARGMAX;
        Mem o = Mem.of(dev, l.ptr(5), arg || t.equals("u8") ? "i64" : t);
        for (long r = 0; r < outer; r++) {
            long base = off + r * rs;
            if (op == ReduceOp.SUM) {
                if (t.equals("i64") || t.equals("u8")) {
                    long s = 0;
                    for (long j = 0; j < inner; j++) {
                        s += t.equals("u8") ? (x.l(base + j) != 0 ? 1 : 0) : x.l(base + j);
                    }
                    o.putL(ooff + r, s);
                } else {
                    double s = 0;
                    for (long j = 0; j < inner; j++) {
                        s += x.d(base + j);
                    }
                    o.putD(ooff + r, s);
                }
                continue;
            }
            long best = -1;
            for (long j = 0; j < inner; j++) {
                if (best < 0) {
                    best = j;
                    continue;
                }
                if (t.equals("i64")) {
                    long v = x.l(base + j), b = x.l(base + best);
                    if (max ? v > b : v < b) {
                        best = j;
                    }
                } else {
                    double v = x.d(base + j), b = x.d(base + best);
                    if (!Double.isNaN(b) && (Double.isNaN(v) || (max ? v > b : v < b))) {
                        best = j;
                    }
                }
            }
            if (arg) {
                o.putL(ooff + r, best);
            } else if (best < 0) {
                o.putD(ooff + r, t.equals("i64") ? 0 : Double.NaN);
            } else {
                x.copyTo(base + best, o, ooff + r);
            }
        }
    }

    /** gemm(a, a_off, a_bo, a_bi, a_rs, a_cs, b, b_off, b_bo, b_bi, b_rs, b_cs, c, c_off, m, n, k, batch_inner, acc). */
    private static void gemm(FakeDriver dev, FakeDriver.Launch l, String t) {
        Mem a = Mem.of(dev, l.ptr(0), t), b = Mem.of(dev, l.ptr(6), t), c = Mem.of(dev, l.ptr(12), t);
        int m = l.i32(14), n = l.i32(15), k = l.i32(16), bi = l.i32(17), acc = l.i32(18);
        for (long z = 0; z < l.grid()[2]; z++) {
            long zo = z / bi, zi = z % bi;
            long ab = l.i64(1) + zo * l.i64(2) + zi * l.i64(3), bb = l.i64(7) + zo * l.i64(8) + zi * l.i64(9);
            for (long i = 0; i < m; i++) {
                for (long j = 0; j < n; j++) {
                    long ci = l.i64(13) + z * m * n + i * n + j;
                    if (t.equals("i64")) {
                        long s = acc != 0 ? c.l(ci) : 0;
                        for (long p = 0; p < k; p++) {
                            s += a.l(ab + i * l.i64(4) + p * l.i64(5)) * b.l(bb + p * l.i64(10) + j * l.i64(11));
                        }
                        c.putL(ci, s);
                    } else {
                        double s = acc != 0 ? c.d(ci) : 0;
                        for (long p = 0; p < k; p++) {
                            s += a.d(ab + i * l.i64(4) + p * l.i64(5)) * b.d(bb + p * l.i64(10) + j * l.i64(11));
                        }
                        c.putD(ci, s);
                    }
                }
            }
        }
    }

    /**
     * gather(x, xd, dim_size, dim_stride, index, id, out, od, n, status) and
     * scatter_add(src, sd, index, id, out, od, dim_size, dim_stride, n, status).
     */
    private static void index(FakeDriver dev, FakeDriver.Launch l, String t, boolean gather) {
        if (gather) {
            Mem x = Mem.of(dev, l.ptr(0), t), idx = Mem.of(dev, l.ptr(4), "i64"), o = Mem.of(dev, l.ptr(6), t);
            Desc xd = Desc.of(l.struct(1)), id = Desc.of(l.struct(5)), od = Desc.of(l.struct(7));
            for (long i = 0; i < l.i64(8); i++) {
                long j = idx.l(id.at(i));
                if (j < 0 || j >= l.i64(2)) {
                    setStatus(dev, l.ptr(9));
                    o.putL(od.at(i), 0);
                } else {
                    x.copyTo(xd.at(i) + j * l.i64(3), o, od.at(i));
                }
            }
            return;
        }
        Mem s = Mem.of(dev, l.ptr(0), t), idx = Mem.of(dev, l.ptr(2), "i64"), o = Mem.of(dev, l.ptr(4), t);
        Desc sd = Desc.of(l.struct(1)), id = Desc.of(l.struct(3)), od = Desc.of(l.struct(5));
        for (long i = 0; i < l.i64(8); i++) {
            long j = idx.l(id.at(i));
            if (j < 0 || j >= l.i64(6)) {
                setStatus(dev, l.ptr(9));
                continue;
            }
            long at = od.at(i) + j * l.i64(7);
            if (t.equals("i64")) {
                o.putL(at, o.l(at) + s.l(sd.at(i)));
            } else {
                o.putD(at, o.d(at) + s.d(sd.at(i)));
            }
        }
    }

    /** random(op, out, offset, n, seed, counter, a, b), as the CPU's RandomKernels. */
    private static void random(FakeDriver dev, FakeDriver.Launch l, String t) {
        RandomOp op = RandomOp.values()[l.i32(0)];
        Mem o = Mem.of(dev, l.ptr(1), t);
        long base = l.i64(2), n = l.i64(3), seed = l.i64(4), counter = l.i64(5);
        double a = l.f64(6), b = l.f64(7);
        int[] w = new int[4];
        for (long i = 0; i < n; i++) {
            Philox.block(counter + (i >>> 1), seed, w);
            int w0 = w[(int) (i & 1) * 2], w1 = w[(int) (i & 1) * 2 + 1];
            double v = switch (op) {
                case UNIFORM -> t.equals("f32") ? a + (b - a) * Philox.uniformFloat(w0) : a + (b - a) * Philox.uniformDouble(w0, w1);
                case NORMAL -> a + b * Philox.normal(w0, w1);
                case BERNOULLI -> Philox.uniformFloat(w0) < a ? 1 : 0;
            };
            o.putD(base + i, v);
        }
    }
}
