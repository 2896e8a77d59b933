package dev.fathom.cpu;

import dev.fathom.spi.Strided;
import dev.fathom.spi.UnaryOp;
import jdk.incubator.vector.FloatVector;

import static dev.fathom.cpu.FusedOperands.floating;

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

    static void lstmCell(Strided gates, Strided c, Strided out, Strided acts) {
        String op = "lstmCell";
        CpuBuffer z = floating(op, gates), cp = floating(op, c), o = floating(op, out), a = floating(op, acts);
        int h = units(op, gates, c, out, acts, "out", "acts", null);
        long rows = h == 0 ? 0 : c.numel() / h;
        int zo = (int) gates.offset(), co = (int) c.offset(), oo = (int) out.offset(), ao = (int) acts.offset();
        int plane = (int) c.numel();
        Parallel.forRange(rows, grain(h), (lo, hi) -> {
            for (int r = (int) lo; r < hi; r++) {
                if (z.f != null) {
                    forwardRowF32(z.f, zo + 4 * r * h, cp.f, co + r * h, o.f, oo + r * h, oo + plane + r * h, a.f, ao + 5 * r * h, h);
                } else {
                    forwardRowF64(z.d, zo + 4 * r * h, cp.d, co + r * h, o.d, oo + r * h, oo + plane + r * h, a.d, ao + 5 * r * h, h);
                }
            }
        });
    }

    static void lstmCellBackward(Strided acts, Strided c, Strided gradOut, Strided gradGates, Strided gradC) {
        String op = "lstmCellBackward";
        CpuBuffer a = floating(op, acts), cp = floating(op, c), g = floating(op, gradOut), gz = floating(op, gradGates),
                gc = floating(op, gradC);
        int h = units(op, gradGates, c, gradOut, acts, "gradOut", "acts", gradC);
        long rows = h == 0 ? 0 : c.numel() / h;
        int ao = (int) acts.offset(), co = (int) c.offset(), go = (int) gradOut.offset(), zo = (int) gradGates.offset(),
                gco = (int) gradC.offset();
        int plane = (int) c.numel();
        Parallel.forRange(rows, grain(h), (lo, hi) -> {
            for (int r = (int) lo; r < hi; r++) {
                int ar = ao + 5 * r * h, cr = co + r * h, gh = go + r * h, gcr = go + plane + r * h, zr = zo + 4 * r * h, dcr = gco + r * h;
                if (a.f != null) {
                    backwardRowF32(a.f, ar, cp.f, cr, g.f, gh, gcr, gz.f, zr, gc.f, dcr, h);
                } else {
                    backwardRowF64(a.d, ar, cp.d, cr, g.d, gh, gcr, gz.d, zr, gc.d, dcr, h);
                }
            }
        });
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
    private static void forwardRowF32(float[] z, int zr, float[] c, int cr, float[] o, int hr, int cnr, float[] a, int ar, int h) {
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

    private static void forwardRowF64(double[] z, int zr, double[] c, int cr, double[] o, int hr, int cnr, double[] a, int ar, int h) {
        for (int j = 0; j < h; j++) {
            double i = ScalarMath.sigmoid(z[zr + j]), f = ScalarMath.sigmoid(z[zr + h + j]);
            double g = Math.tanh(z[zr + 2 * h + j]), og = ScalarMath.sigmoid(z[zr + 3 * h + j]);
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

    private static void backwardRowF32(float[] a, int ar, float[] c, int cr, float[] g, int gh, int gc, float[] gz, int zr, float[] dc,
                                       int dcr, int h) {
        int j = 0;
        for (; j <= h - L; j += L) {
            FloatVector i = FloatVector.fromArray(VectorF32.S, a, ar + j), f = FloatVector.fromArray(VectorF32.S, a, ar + h + j);
            FloatVector gg = FloatVector.fromArray(VectorF32.S, a, ar + 2 * h + j);
            FloatVector og = FloatVector.fromArray(VectorF32.S, a, ar + 3 * h + j), t = FloatVector.fromArray(VectorF32.S, a, ar + 4 * h + j);
            FloatVector dh = FloatVector.fromArray(VectorF32.S, g, gh + j);
            FloatVector d = FloatVector.fromArray(VectorF32.S, g, gc + j).add(dh.mul(og).mul(t.mul(t).neg().add(1f)));
            d.mul(gg).mul(i.mul(i.neg().add(1f))).intoArray(gz, zr + j);
            d.mul(FloatVector.fromArray(VectorF32.S, c, cr + j)).mul(f.mul(f.neg().add(1f))).intoArray(gz, zr + h + j);
            d.mul(i).mul(gg.mul(gg).neg().add(1f)).intoArray(gz, zr + 2 * h + j);
            dh.mul(t).mul(og.mul(og.neg().add(1f))).intoArray(gz, zr + 3 * h + j);
            d.mul(f).intoArray(dc, dcr + j);
        }
        for (; j < h; j++) {
            float i = a[ar + j], f = a[ar + h + j], gg = a[ar + 2 * h + j], og = a[ar + 3 * h + j], t = a[ar + 4 * h + j];
            float dh = g[gh + j];
            float d = g[gc + j] + dh * og * (1f - t * t);
            gz[zr + j] = d * gg * (i * (1f - i));
            gz[zr + h + j] = d * c[cr + j] * (f * (1f - f));
            gz[zr + 2 * h + j] = d * i * (1f - gg * gg);
            gz[zr + 3 * h + j] = dh * t * (og * (1f - og));
            dc[dcr + j] = d * f;
        }
    }

    private static void backwardRowF64(double[] a, int ar, double[] c, int cr, double[] g, int gh, int gc, double[] gz, int zr, double[] dc,
                                       int dcr, int h) {
        for (int j = 0; j < h; j++) {
            double i = a[ar + j], f = a[ar + h + j], gg = a[ar + 2 * h + j], og = a[ar + 3 * h + j], t = a[ar + 4 * h + j];
            double dh = g[gh + j];
            double d = g[gc + j] + dh * og * (1 - t * t);
            gz[zr + j] = d * gg * (i * (1 - i));
            gz[zr + h + j] = d * c[cr + j] * (f * (1 - f));
            gz[zr + 2 * h + j] = d * i * (1 - gg * gg);
            gz[zr + 3 * h + j] = dh * t * (og * (1 - og));
            dc[dcr + j] = d * f;
        }
    }
}
