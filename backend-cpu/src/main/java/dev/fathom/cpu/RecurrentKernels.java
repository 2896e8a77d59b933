package dev.fathom.cpu;

import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.Strided;
import dev.fathom.spi.UnaryOp;
import jdk.incubator.vector.FloatVector;

import static dev.fathom.cpu.FusedOperands.floating;
import static dev.fathom.cpu.FusedOperands.optional;

/**
 * The LSTM cell's elementwise part in one pass per row, forward and backward, as
 * {@link dev.fathom.spi.Kernels#lstmCell} defines it. Composed of tensor ops, a cell step was ten
 * kernels forward and about twenty back, each over a [32, 256] slice of the batch's gates: a fifth
 * of the reference LSTM char-LM's step. Here a row's gates, state and activations are handled in a
 * few loops while they are in L1, and h', c' and the activations written once.
 *
 * <p>F32 rows run on vectors with {@link ExpF32}'s sigmoid and tanh, in the composite's order of
 * operations ({@code c' = f·c + i·g}, {@code h' = o·tanh(c')}), so the forward gives the
 * composite's bits; the loop tail uses the scalar twins. F64 uses {@link ScalarMath}, as the F64
 * unary kernels do. Rows are split over the pool.
 */
final class RecurrentKernels {
    private static final int L = VectorF32.L;
    private static final int UNITS_PER_PART = 2048;

    private RecurrentKernels() {
    }

    static void lstmCell(Strided gates, Strided inputGates, Strided c, Strided out, Strided acts) {
        String op = "lstmCell";
        CpuBuffer z = floating(op, gates), x = optional(op, inputGates), cp = floating(op, c), o = floating(op, out),
                a = floating(op, acts);
        int h = units(op, gates, c, out, acts, "out", "acts", null);
        addend(op, "inputGates", inputGates, gates, 4L * c.numel(), c);
        long rows = h == 0 ? 0 : c.numel() / h;
        int zo = (int) gates.offset(), xo = x == null ? 0 : (int) inputGates.offset(), co = (int) c.offset(), oo = (int) out.offset(),
                ao = (int) acts.offset();
        int plane = (int) c.numel();
        Parallel.forRange(rows, grain(h), (lo, hi) -> {
            for (int r = (int) lo; r < hi; r++) {
                int zr = zo + 4 * r * h, xr = xo + 4 * r * h, ar = ao + 5 * r * h;
                if (z.f != null) {
                    forwardRowF32(z.f, zr, x == null ? null : x.f, xr, cp.f, co + r * h, o.f, oo + r * h, oo + plane + r * h, a.f, ar, h);
                } else {
                    forwardRowF64(z.d, zr, x == null ? null : x.d, xr, cp.d, co + r * h, o.d, oo + r * h, oo + plane + r * h, a.d, ar, h);
                }
            }
        });
    }

    static void lstmCellBackward(Strided acts, Strided c, Strided gradOut, Strided gradH, Strided gradGates, Strided gradC) {
        String op = "lstmCellBackward";
        CpuBuffer a = floating(op, acts), cp = floating(op, c), g = floating(op, gradOut), hx = optional(op, gradH),
                gz = floating(op, gradGates), gc = floating(op, gradC);
        int h = units(op, gradGates, c, gradOut, acts, "gradOut", "acts", gradC);
        addend(op, "gradH", gradH, gradOut, c.numel(), c);
        long rows = h == 0 ? 0 : c.numel() / h;
        int ao = (int) acts.offset(), co = (int) c.offset(), go = (int) gradOut.offset(), ho = hx == null ? 0 : (int) gradH.offset(),
                zo = (int) gradGates.offset(), gco = (int) gradC.offset();
        int plane = (int) c.numel();
        Parallel.forRange(rows, grain(h), (lo, hi) -> {
            for (int r = (int) lo; r < hi; r++) {
                int ar = ao + 5 * r * h, cr = co + r * h, gh = go + r * h, gcr = go + plane + r * h, hr = ho + r * h, zr = zo + 4 * r * h,
                        dcr = gco + r * h;
                if (a.f != null) {
                    backwardRowF32(a.f, ar, cp.f, cr, g.f, gh, gcr, hx == null ? null : hx.f, hr, gz.f, zr, gc.f, dcr, h);
                } else {
                    backwardRowF64(a.d, ar, cp.d, cr, g.d, gh, gcr, hx == null ? null : hx.d, hr, gz.d, zr, gc.d, dcr, h);
                }
            }
        });
    }

    /** An optional addend ({@code inputGates}, {@code gradH}) must hold {@code numel} elements of {@code like}'s dtype. */
    private static void addend(String op, String name, Strided s, Strided like, long numel, Strided c) {
        if (s == null) {
            return;
        }
        if ((CpuBuffer.of(s.buffer()).f != null) != (CpuBuffer.of(like.buffer()).f != null)) {
            throw new IllegalArgumentException("cpu " + op + ": operands must share one dtype, got " + s + " with c " + c);
        }
        if (s.numel() != numel) {
            throw new IllegalArgumentException("cpu " + op + ": for c " + c + " " + name + " must hold " + numel + " elements (shaped as "
                    + (name.equals("gradH") ? "c" : "the gates") + "), got " + s);
        }
    }

    /**
     * H, from c's last dim, after checking that the operands agree: one floating dtype,
     * {@code fourWide} 4H per row, {@code pair} ([2, R, H]) and {@code fiveWide} (acts) sized to c,
     * and {@code likeC} (the backward's gradC, else null) shaped as c.
     */
    private static int units(String op, Strided fourWide, Strided c, Strided pair, Strided fiveWide, String pairName, String actsName,
                             Strided likeC) {
        int[] cs = c.shape();
        int h = cs.length == 0 ? 1 : cs[cs.length - 1];
        long n = c.numel();
        boolean f32 = CpuBuffer.of(c.buffer()).f != null;
        for (Strided s : new Strided[] {fourWide, pair, fiveWide, likeC}) {
            if (s != null && (CpuBuffer.of(s.buffer()).f != null) != f32) {
                throw new IllegalArgumentException("cpu " + op + ": operands must share one dtype, got " + s + " with c " + c);
            }
        }
        if (likeC != null && likeC.numel() != n) {
            throw new IllegalArgumentException("cpu " + op + ": gradC must be like c, got " + likeC + " and " + c);
        }
        if (fourWide.numel() != 4 * n || pair.numel() != 2 * n || fiveWide.numel() != 5 * n) {
            throw new IllegalArgumentException("cpu " + op + ": for c " + c + " (R rows of H = " + h + ") the gates must hold R·4H, "
                    + pairName + " 2·R·H and " + actsName + " R·5H elements; got " + fourWide + ", " + pair + ", " + fiveWide);
        }
        return h;
    }

    /**
     * Rows per parallel part: about {@value #UNITS_PER_PART} units. A unit costs five
     * transcendentals forward (some 3 ns), far more than an elementwise op's element, so the
     * reference LSTM's 32 × 256 cell is worth splitting: on one thread it took 58 µs.
     */
    private static long grain(int h) {
        return Math.max(1, UNITS_PER_PART / Math.max(1, h));
    }

    /**
     * A row in four loops over contiguous runs, at most one transcendental each: the gates'
     * activations (i and f are one run of 2H), then c', tanh(c') and h'. One loop doing all five
     * was too large for C2 to inline its ExpF32 calls, and their vectors went through the heap:
     * a cell then took 150 µs for 8192 units, more than the composite.
     */
    private static void forwardRowF32(float[] z, int zr, float[] x, int xr, float[] c, int cr, float[] o, int hr, int cnr, float[] a,
                                      int ar, int h) {
        if (x != null) {
            // z + x into the row's acts, whose first 4H the activations then overwrite in place.
            VectorF32.binary(BinaryOp.ADD, z, zr, x, xr, 1, a, ar, 4 * h);
            z = a;
            zr = ar;
        }
        VectorF32.unary(UnaryOp.SIGMOID, z, zr, a, ar, 2 * h);
        VectorF32.unary(UnaryOp.TANH, z, zr + 2 * h, a, ar + 2 * h, h);
        VectorF32.unary(UnaryOp.SIGMOID, z, zr + 3 * h, a, ar + 3 * h, h);
        int j = 0;
        for (; j <= h - L; j += L) {
            FloatVector i = FloatVector.fromArray(VectorF32.S, a, ar + j), f = FloatVector.fromArray(VectorF32.S, a, ar + h + j);
            FloatVector g = FloatVector.fromArray(VectorF32.S, a, ar + 2 * h + j);
            FloatVector cn = f.mul(FloatVector.fromArray(VectorF32.S, c, cr + j)).add(i.mul(g));
            FloatVector t = ExpF32.tanh(cn);
            FloatVector.fromArray(VectorF32.S, a, ar + 3 * h + j).mul(t).intoArray(o, hr + j);
            cn.intoArray(o, cnr + j);
            t.intoArray(a, ar + 4 * h + j);
        }
        for (; j < h; j++) {
            float cn = a[ar + h + j] * c[cr + j] + a[ar + j] * a[ar + 2 * h + j];
            float t = ExpF32.tanh(cn);
            o[hr + j] = a[ar + 3 * h + j] * t;
            o[cnr + j] = cn;
            a[ar + 4 * h + j] = t;
        }
    }

    private static void forwardRowF64(double[] z, int zr, double[] x, int xr, double[] c, int cr, double[] o, int hr, int cnr,
                                      double[] a, int ar, int h) {
        for (int j = 0; j < h; j++) {
            double zi = z[zr + j], zf = z[zr + h + j], zg = z[zr + 2 * h + j], zo = z[zr + 3 * h + j];
            if (x != null) {
                zi += x[xr + j];
                zf += x[xr + h + j];
                zg += x[xr + 2 * h + j];
                zo += x[xr + 3 * h + j];
            }
            double i = ScalarMath.sigmoid(zi), f = ScalarMath.sigmoid(zf);
            double g = Math.tanh(zg), og = ScalarMath.sigmoid(zo);
            double cn = f * c[cr + j] + i * g;
            double t = Math.tanh(cn);
            o[hr + j] = og * t;
            o[cnr + j] = cn;
            a[ar + j] = i;
            a[ar + h + j] = f;
            a[ar + 2 * h + j] = g;
            a[ar + 3 * h + j] = og;
            a[ar + 4 * h + j] = t;
        }
    }

    private static void backwardRowF32(float[] a, int ar, float[] c, int cr, float[] g, int gh, int gc, float[] hx, int hr, float[] gz,
                                       int zr, float[] dc, int dcr, int h) {
        int j = 0;
        for (; j <= h - L; j += L) {
            FloatVector i = FloatVector.fromArray(VectorF32.S, a, ar + j), f = FloatVector.fromArray(VectorF32.S, a, ar + h + j);
            FloatVector gg = FloatVector.fromArray(VectorF32.S, a, ar + 2 * h + j);
            FloatVector og = FloatVector.fromArray(VectorF32.S, a, ar + 3 * h + j), t = FloatVector.fromArray(VectorF32.S, a, ar + 4 * h + j);
            FloatVector dh = FloatVector.fromArray(VectorF32.S, g, gh + j);
            if (hx != null) {
                dh = dh.add(FloatVector.fromArray(VectorF32.S, hx, hr + j));
            }
            FloatVector d = FloatVector.fromArray(VectorF32.S, g, gc + j).add(dh.mul(og).mul(t.mul(t).neg().add(1f)));
            d.mul(gg).mul(i.mul(i.neg().add(1f))).intoArray(gz, zr + j);
            d.mul(FloatVector.fromArray(VectorF32.S, c, cr + j)).mul(f.mul(f.neg().add(1f))).intoArray(gz, zr + h + j);
            d.mul(i).mul(gg.mul(gg).neg().add(1f)).intoArray(gz, zr + 2 * h + j);
            dh.mul(t).mul(og.mul(og.neg().add(1f))).intoArray(gz, zr + 3 * h + j);
            d.mul(f).intoArray(dc, dcr + j);
        }
        for (; j < h; j++) {
            float i = a[ar + j], f = a[ar + h + j], gg = a[ar + 2 * h + j], og = a[ar + 3 * h + j], t = a[ar + 4 * h + j];
            float dh = hx == null ? g[gh + j] : g[gh + j] + hx[hr + j];
            float d = g[gc + j] + dh * og * (1f - t * t);
            gz[zr + j] = d * gg * (i * (1f - i));
            gz[zr + h + j] = d * c[cr + j] * (f * (1f - f));
            gz[zr + 2 * h + j] = d * i * (1f - gg * gg);
            gz[zr + 3 * h + j] = dh * t * (og * (1f - og));
            dc[dcr + j] = d * f;
        }
    }

    private static void backwardRowF64(double[] a, int ar, double[] c, int cr, double[] g, int gh, int gc, double[] hx, int hr,
                                       double[] gz, int zr, double[] dc, int dcr, int h) {
        for (int j = 0; j < h; j++) {
            double i = a[ar + j], f = a[ar + h + j], gg = a[ar + 2 * h + j], og = a[ar + 3 * h + j], t = a[ar + 4 * h + j];
            double dh = hx == null ? g[gh + j] : g[gh + j] + hx[hr + j];
            double d = g[gc + j] + dh * og * (1 - t * t);
            gz[zr + j] = d * gg * (i * (1 - i));
            gz[zr + h + j] = d * c[cr + j] * (f * (1 - f));
            gz[zr + 2 * h + j] = d * i * (1 - gg * gg);
            gz[zr + 3 * h + j] = dh * t * (og * (1 - og));
            dc[dcr + j] = d * f;
        }
    }
}
