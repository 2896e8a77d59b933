package dev.fathom.conformance;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.Gradcheck;
import dev.fathom.nn.Functional;
import dev.fathom.spi.AttentionGeometry;
import dev.fathom.spi.Kernels;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;
import dev.fathom.tensor.internal.KernelOps;

import java.util.Arrays;
import java.util.List;

import static dev.fathom.conformance.NnSupport.leaf;
import static dev.fathom.conformance.NnSupport.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fused scaled-dot-product attention ({@link Kernels#attentionForward} and
 * {@link Kernels#attentionBackward}) called directly against F64 loops written here, and the
 * tensor-level op that uses it ({@link Functional#scaledDotProductAttention} without mask or
 * dropout) against the unfused composite {@code attentionWeights(q, k)·v}: forward, gradients,
 * gradcheck (first and second order, which runs the recorded composite backward), the fallbacks
 * (masks, dropout) and bad geometry. Kernel cases cover causal with lq = lk, lq < lk (the last
 * keys, as a key/value cache), lq > lk (rows that see no key), lk = 0, sizes that are no
 * multiple of a tile, and operands read and written through their strides ({@link Layout}).
 */
class FusedAttentionTest extends ConformanceTest {
    private static final int PAD = 3;
    private final Inputs in = new Inputs(4242);
    private final NnSupport s = new NnSupport(77);

    /** How a kernel case lays its operands out; the values are the same. */
    enum Layout {
        /** Every operand contiguous. */
        CONTIGUOUS,
        /** Every operand but the logsumexp {@code [B, L, H, D]} in memory: heads split from one projection. */
        HEADS_IN_ROWS,
        /**
         * q, out and gradK with two unused elements after each row, k and v one head shared by all
         * (stride 0), gradOut and gradQ heads in rows, gradV contiguous.
         */
        MIXED
    }

    /** How one operand is placed ({@link #laid}). */
    private enum Placement {
        CONTIGUOUS, HEADS_IN_ROWS, PADDED_ROWS, SHARED_HEAD
    }

    record Case(int b, int h, int lq, int lk, int e, int ev, boolean causal, Layout layout) {
        Case(int bh, int lq, int lk, int e, int ev, boolean causal) {
            this(1, bh, lq, lk, e, ev, causal, Layout.CONTIGUOUS);
        }

        int bh() {
            return b * h;
        }

        /** The placement of q, k, v, out, gradOut, gradQ, gradK, gradV. */
        Placement[] placements() {
            Placement c = Placement.CONTIGUOUS, rows = Placement.HEADS_IN_ROWS, pad = Placement.PADDED_ROWS;
            return switch (layout) {
                case CONTIGUOUS -> new Placement[] {c, c, c, c, c, c, c, c};
                case HEADS_IN_ROWS -> new Placement[] {rows, rows, rows, rows, rows, rows, rows, rows};
                case MIXED -> new Placement[] {pad, Placement.SHARED_HEAD, Placement.SHARED_HEAD, pad, rows, rows, pad, c};
            };
        }
    }

    static final List<Case> CASES = List.of(new Case(2, 5, 5, 3, 4, true), new Case(1, 7, 9, 5, 2, true), new Case(2, 9, 4, 3, 3, true),
            new Case(1, 3, 0, 2, 2, false), new Case(2, 6, 11, 4, 5, false), new Case(1, 1, 1, 1, 1, true), new Case(1, 33, 17, 6, 7, true),
            new Case(1, 20, 140, 17, 3, true),
            // Heads of 32 and 64: the CPU's four-vector loops on AVX2 (scores over four key vectors,
            // eight-chain row sums, two keys at a time in the backward), an odd key count.
            new Case(2, 40, 45, 32, 32, true), new Case(1, 19, 37, 64, 32, false),
            // Strided operands: a GPT's heads as they leave the projection, and a mix of paddings and shared heads.
            new Case(2, 3, 9, 9, 4, 4, true, Layout.HEADS_IN_ROWS), new Case(2, 2, 36, 36, 32, 32, true, Layout.HEADS_IN_ROWS),
            new Case(2, 3, 7, 10, 5, 3, false, Layout.MIXED), new Case(1, 2, 34, 34, 32, 32, true, Layout.MIXED));

    /** A contiguous tensor holding {@code v} at storage offset PAD, with NaN before it. */
    private static Tensor atOffset(double[] v, DType dtype, int... shape) {
        double[] padded = new double[v.length + PAD];
        Arrays.fill(padded, 0, PAD, Double.NaN);
        System.arraycopy(v, 0, padded, PAD, v.length);
        return Inputs.upload(new Ref(new int[] {padded.length}, padded), dtype).narrow(0, PAD, v.length).reshape(shape);
    }

    /** A tensor of logical shape {@code [B, H, L, D]} and its unused elements (null when it has none), NaN. */
    private record Laid(Tensor view, Tensor unused) {
    }

    /**
     * The logical {@code [B, H, L, D]} values v (for SHARED_HEAD, {@code [B, 1, L, D]}, broadcast
     * over {@code heads}) placed at storage offset PAD.
     */
    private static Laid laid(double[] v, DType dtype, Placement p, int b, int heads, int l, int d) {
        return switch (p) {
            case CONTIGUOUS -> new Laid(atOffset(v, dtype, b, heads, l, d), null);
            case SHARED_HEAD -> new Laid(atOffset(v, dtype, b, 1, l, d).expand(b, heads, l, d), null);
            case HEADS_IN_ROWS -> {
                double[] m = new double[v.length];
                for (int x = 0; x < v.length; x++) {
                    int c = x % d, i = x / d % l, hh = x / d / l % heads, bb = x / d / l / heads;
                    m[((bb * l + i) * heads + hh) * d + c] = v[x];
                }
                yield new Laid(atOffset(m, dtype, b, l, heads, d).transpose(1, 2), null);
            }
            case PADDED_ROWS -> {
                double[] m = new double[v.length / d * (d + 2)];
                Arrays.fill(m, Double.NaN);
                for (int x = 0; x < v.length; x++) {
                    m[x / d * (d + 2) + x % d] = v[x];
                }
                Tensor base = atOffset(m, dtype, b, heads, l, d + 2);
                yield new Laid(base.narrow(3, 0, d), base.narrow(3, d, 2));
            }
        };
    }

    /** An output placed as p, every element NaN. */
    private static Laid output(DType dtype, Placement p, int b, int heads, int l, int d) {
        double[] v = new double[b * heads * l * d];
        Arrays.fill(v, Double.NaN);
        return laid(v, dtype, p, b, heads, l, d);
    }

    private static Tensor output(DType dtype, int... shape) {
        double[] v = new double[(int) Ref.numel(shape)];
        Arrays.fill(v, Double.NaN);
        return atOffset(v, dtype, shape);
    }

    /** Fails when a kernel wrote into an output's unused elements. */
    private static void untouched(String what, Laid out) {
        if (out.unused() != null) {
            for (double x : out.unused().toDoubleArray()) {
                assertTrue(Double.isNaN(x), what + ": a kernel wrote past a row's end");
            }
        }
    }

    /** {@code [B, 1, L, D]} values broadcast over the heads, as the kernels read them. */
    private static double[] overHeads(double[] v, int b, int heads, int l, int d) {
        double[] out = new double[b * heads * l * d];
        for (int x = 0; x < out.length; x++) {
            int inHead = x % (l * d), bb = x / (l * d) / heads;
            out[x] = v[bb * l * d + inHead];
        }
        return out;
    }

    private static Strided st(Tensor t) {
        return KernelOps.hooks().strided(t);
    }

    private static double[] round(double[] v, DType dtype) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Inputs.round(v[i], dtype);
        }
        return out;
    }

    /** The reference in F64: out, lse, then gradQ, gradK, gradV for gradOut go. */
    static double[][] reference(Case c, double[] q, double[] k, double[] v, double[] go) {
        double scale = 1 / Math.sqrt(c.e());
        double[] out = new double[c.bh() * c.lq() * c.ev()], lse = new double[c.bh() * c.lq()];
        double[] gq = new double[q.length], gk = new double[k.length], gv = new double[v.length];
        for (int h = 0; h < c.bh(); h++) {
            for (int i = 0; i < c.lq(); i++) {
                int row = h * c.lq() + i;
                double[] p = new double[c.lk()];
                double max = Double.NEGATIVE_INFINITY;
                int nk = 0;
                for (int j = 0; j < c.lk() && (!c.causal() || j <= i + c.lk() - c.lq()); j++, nk++) {
                    for (int d = 0; d < c.e(); d++) {
                        p[j] += q[row * c.e() + d] * k[(h * c.lk() + j) * c.e() + d];
                    }
                    p[j] *= scale;
                    max = Math.max(max, p[j]);
                }
                if (nk == 0) {
                    lse[row] = Double.NEGATIVE_INFINITY;
                    continue;
                }
                double sum = 0;
                for (int j = 0; j < nk; j++) {
                    sum += Math.exp(p[j] - max);
                }
                lse[row] = max + Math.log(sum);
                double[] dp = new double[nk];
                double di = 0;
                for (int j = 0; j < nk; j++) {
                    p[j] = Math.exp(p[j] - max) / sum;
                    for (int x = 0; x < c.ev(); x++) {
                        out[row * c.ev() + x] += p[j] * v[(h * c.lk() + j) * c.ev() + x];
                        dp[j] += go[row * c.ev() + x] * v[(h * c.lk() + j) * c.ev() + x];
                    }
                    di += p[j] * dp[j];
                }
                for (int j = 0; j < nk; j++) {
                    double ds = p[j] * (dp[j] - di) * scale;
                    for (int d = 0; d < c.e(); d++) {
                        gq[row * c.e() + d] += ds * k[(h * c.lk() + j) * c.e() + d];
                        gk[(h * c.lk() + j) * c.e() + d] += ds * q[row * c.e() + d];
                    }
                    for (int x = 0; x < c.ev(); x++) {
                        gv[(h * c.lk() + j) * c.ev() + x] += p[j] * go[row * c.ev() + x];
                    }
                }
            }
        }
        return new double[][] {out, lse, gq, gk, gv};
    }

    @BackendTest
    void kernelsMatchTheF64Loops(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels kernels = Backends.kernels(device);
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            for (Case c : CASES) {
                // F32 rounding grows as the root of the terms a gradient sums (head dims × keys).
                double tol = dtype == DType.F64 ? 1e-11 : 2e-5 * Math.max(1, Math.sqrt(c.e() * (double) c.lk() / 500));
                String what = dtype + " " + c;
                AttentionGeometry g = new AttentionGeometry(c.b(), c.h(), c.lq(), c.lk(), c.e(), c.ev(), 1 / Math.sqrt(c.e()), c.causal(), dtype);
                Placement[] p = c.placements();
                boolean shared = p[1] == Placement.SHARED_HEAD;
                int kvHeads = shared ? 1 : c.h();
                double[] q = round(in.values(g.queryShape(), DType.F64, -2, 2).data, dtype);
                double[] k = round(in.values(new int[] {c.b(), kvHeads, c.lk(), c.e()}, DType.F64, -2, 2).data, dtype);
                double[] v = round(in.values(new int[] {c.b(), kvHeads, c.lk(), c.ev()}, DType.F64, -2, 2).data, dtype);
                double[] go = round(in.values(g.outputShape(), DType.F64, -1, 1).data, dtype);
                if (c.lk() > 0) {
                    k[0] += 30;  // a large score: a kernel that exponentiates without its running max overflows in F32
                }
                double[][] ref = shared ? reference(c, q, overHeads(k, c.b(), c.h(), c.lk(), c.e()), overHeads(v, c.b(), c.h(), c.lk(), c.ev()), go)
                        : reference(c, q, k, v, go);
                Tensor qt = laid(q, dtype, p[0], c.b(), c.h(), c.lq(), c.e()).view();
                Tensor kt = laid(k, dtype, p[1], c.b(), c.h(), c.lk(), c.e()).view();
                Tensor vt = laid(v, dtype, p[2], c.b(), c.h(), c.lk(), c.ev()).view();
                Laid out = output(dtype, p[3], c.b(), c.h(), c.lq(), c.ev());
                Tensor lse = output(dtype, g.logsumexpShape());
                kernels.attentionForward(g, st(qt), st(kt), st(vt), st(out.view()), st(lse));
                Check.close("attentionForward out " + what, out.view(), new Ref(g.outputShape(), ref[0]), dtype, tol, tol);
                Check.close("attentionForward lse " + what, lse, new Ref(g.logsumexpShape(), ref[1]), dtype, tol, tol);
                untouched("attentionForward out " + what, out);
                Tensor got = laid(go, dtype, p[4], c.b(), c.h(), c.lq(), c.ev()).view();
                Laid gq = output(dtype, p[5], c.b(), c.h(), c.lq(), c.e()), gk = output(dtype, p[6], c.b(), c.h(), c.lk(), c.e());
                Laid gv = output(dtype, p[7], c.b(), c.h(), c.lk(), c.ev());
                kernels.attentionBackward(g, st(qt), st(kt), st(vt), st(out.view()), st(got), st(lse), st(gq.view()), st(gk.view()),
                        st(gv.view()));
                Check.close("attentionBackward gradQ " + what, gq.view(), new Ref(g.queryShape(), ref[2]), dtype, tol, tol);
                Check.close("attentionBackward gradK " + what, gk.view(), new Ref(g.keyShape(), ref[3]), dtype, tol, tol);
                Check.close("attentionBackward gradV " + what, gv.view(), new Ref(g.valueShape(), ref[4]), dtype, tol, tol);
                untouched("attentionBackward gradK " + what, gk);
            }
        }
    }

    /** The fused op against the composite {@code attentionWeights(q, k)·v}, value and gradients, leading dims broadcast. */
    @BackendTest
    void fusedSdpaEqualsTheComposite(TestBackends.Case backend) {
        use(backend);
        int b = 2, h = 3, l = 5, sl = 7, e = 4, ev = 3;
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            double tol = dtype == DType.F64 ? 1e-12 : 1e-5;
            for (boolean causal : new boolean[] {false, true}) {
                double[] qd = s.values(b * h * l * e, -2, 2), kd = s.values(h * sl * e, -2, 2), vd = s.values(b * 1 * sl * ev, -2, 2);
                double[] gd = s.values(b * h * l * ev, -1, 1);
                Tensor[] fused = {leaf(qd, b, h, l, e).to(dtype), leaf(kd, h, sl, e).to(dtype), leaf(vd, b, 1, sl, ev).to(dtype)};
                Tensor[] composite = {leaf(qd, b, h, l, e).to(dtype), leaf(kd, h, sl, e).to(dtype), leaf(vd, b, 1, sl, ev).to(dtype)};
                for (Tensor[] t : new Tensor[][] {fused, composite}) {
                    for (int i = 0; i < 3; i++) {
                        t[i] = t[i].detach().requiresGrad(true);
                    }
                }
                Tensor y = Functional.scaledDotProductAttention(fused[0], fused[1], fused[2], null, causal, 0, true);
                Tensor yRef = Functional.attentionWeights(composite[0], composite[1], null, causal).matmul(composite[2]);
                String what = "sdpa " + dtype + (causal ? " causal" : "");
                Check.close(what, y, new Ref(yRef.shape(), yRef.toDoubleArray()), dtype, tol, tol);
                Tensor g = Tensor.of(gd, b, h, l, ev).to(dtype);
                y.backward(g);
                yRef.backward(g);
                String[] names = {"q", "k", "v"};
                for (int i = 0; i < 3; i++) {
                    Tensor want = composite[i].grad();
                    Check.close(what + " grad " + names[i], fused[i].grad(), new Ref(want.shape(), want.toDoubleArray()), dtype, tol, tol);
                }
            }
        }
    }

    /**
     * q, k and v as a transformer splits them from one projection {@code [N, L, 3·H·D]}: the fused op
     * reads them in place, lays its output out as they are (so that merging the heads back is a
     * view) and takes a gradient in that layout, with the composite's values and gradients.
     */
    @BackendTest
    void headsSplitFromAProjectionAreReadInPlace(TestBackends.Case backend) {
        use(backend);
        int n = 2, l = 5, h = 3, d = 4;
        for (DType dtype : new DType[] {DType.F64, DType.F32}) {
            double tol = dtype == DType.F64 ? 1e-12 : 1e-5;
            for (boolean causal : new boolean[] {false, true}) {
                double[] xd = s.values(n * l * 3 * h * d, -2, 2), gd = s.values(n * l * h * d, -1, 1);
                Tensor x = leaf(xd, n, l, 3 * h * d).to(dtype).detach().requiresGrad(true);
                Tensor xRef = leaf(xd, n, l, 3 * h * d).to(dtype).detach().requiresGrad(true);
                Tensor y = Functional.scaledDotProductAttention(heads(x, 0, h), heads(x, 1, h), heads(x, 2, h), null, causal, 0, true);
                Tensor yRef = Functional.attentionWeights(heads(xRef, 0, h), heads(xRef, 1, h), null, causal).matmul(heads(xRef, 2, h));
                String what = "sdpa of projected heads " + dtype + (causal ? " causal" : "");
                assertEquals("scaled_dot_product_attention", y.gradFn().op(), what + ": the fused op runs");
                assertTrue(y.transpose(1, 2).isContiguous(), what + ": the output is [N, L, H, D] in memory, as q");
                Check.close(what, y, new Ref(yRef.shape(), yRef.toDoubleArray()), dtype, tol, tol);
                Tensor g = Tensor.of(gd, n, l, h, d).to(dtype).transpose(1, 2);  // the gradient a merge of the heads hands back
                y.backward(g);
                yRef.backward(g);
                Check.close(what + " grad", x.grad(), new Ref(xRef.grad().shape(), xRef.grad().toDoubleArray()), dtype, tol, tol);
            }
        }
    }

    /** No batch, or no heads: an empty result of the right shape, and empty gradients. */
    @BackendTest
    void emptyBatchesAndHeadsGiveEmptyResults(TestBackends.Case backend) {
        use(backend);
        for (int[] shape : new int[][] {{0, 2, 3, 4}, {2, 0, 3, 4}, {0, 3, 4}}) {
            Tensor q = Tensor.zeros(DType.F32, shape).requiresGrad(true);
            Tensor y = Functional.scaledDotProductAttention(q, q, q, null, true, 0, true);
            assertEquals(Arrays.toString(shape), Arrays.toString(y.shape()), "sdpa of " + Arrays.toString(shape));
            y.sum().backward();
            assertEquals(Arrays.toString(shape), Arrays.toString(q.grad().shape()));
        }
    }

    /** Part i of x's last dim, of h heads, as {@code [N, H, L, D]}: a view. */
    private static Tensor heads(Tensor x, int i, int h) {
        int width = x.size(2) / 3;
        return x.narrow(2, i * width, width).reshape(x.size(0), x.size(1), h, width / h).transpose(1, 2);
    }

    @BackendTest
    void gradcheckFirstAndSecondOrder(TestBackends.Case backend) {
        use(backend);
        int h = 2, l = 3, sl = 4, e = 3, ev = 2;
        for (boolean causal : new boolean[] {false, true}) {
            Tensor q = leaf(s.values(h * l * e, -1, 1), h, l, e), k = leaf(s.values(h * sl * e, -1, 1), h, sl, e);
            Tensor v = leaf(s.values(h * sl * ev, -1, 1), h, sl, ev);
            // Operands of [B, H, L, D] are the kernels' own; the gradchecks' [H, L, D] go through views of them.
            Tensor y = Functional.scaledDotProductAttention(q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0), null, causal, 0, true);
            assertEquals("scaled_dot_product_attention", y.gradFn().op(), "without mask or dropout the fused op runs");
            y.close();
            assertTrue(Gradcheck.check(t -> Functional.scaledDotProductAttention(t[0], t[1], t[2], null, causal, 0, true), q, k, v).passed());
            // createGraph: the node's backward is then the recorded composite formula.
            assertTrue(Gradcheck.checkSecondOrder(t -> Functional.scaledDotProductAttention(t[0], t[1], t[2], null, causal, 0, true), q, k, v)
                    .passed());
        }
    }

    /** With dropout in effect the composite runs: the same Bernoulli mask as dropout(weights)·v from the same seed. */
    @BackendTest
    void dropoutFallsBackToTheComposite(TestBackends.Case backend) {
        use(backend);
        int l = 4, e = 3;
        Tensor q = leaf(s.values(l * e, -1, 1), l, e), k = leaf(s.values(l * e, -1, 1), l, e), v = leaf(s.values(l * e, -1, 1), l, e);
        Tensor y = Functional.scaledDotProductAttention(q, k, v, null, true, 0.5, true, new Generator(3));
        Tensor want = Functional.dropout(Functional.attentionWeights(q, k, null, true), 0.5, true, new Generator(3)).matmul(v);
        Check.close("sdpa with dropout", y, new Ref(want.shape(), want.toDoubleArray()), DType.F64, 1e-12, 1e-12);
        Tensor eval = Functional.scaledDotProductAttention(q, k, v, null, true, 0.5, false, new Generator(3));
        Tensor plain = Functional.attentionWeights(q, k, null, true).matmul(v);
        Check.close("sdpa in eval mode ignores dropout", eval, new Ref(plain.shape(), plain.toDoubleArray()), DType.F64, 1e-12, 1e-12);
    }

    /** Rows that see no key (causal, L > S): zero output and zero gradients, no NaN, as the composite. */
    @BackendTest
    void rowsWithoutKeysGiveZeros(TestBackends.Case backend) {
        use(backend);
        int l = 4, sl = 2, e = 2;
        Tensor q = leaf(s.values(l * e, -1, 1), l, e), k = leaf(s.values(sl * e, -1, 1), sl, e), v = leaf(s.values(sl * e, -1, 1), sl, e);
        Tensor y = Functional.scaledDotProductAttention(q, k, v, null, true, 0, true);
        double[] yv = y.toDoubleArray();
        for (int i = 0; i < 2 * e; i++) {
            assertEquals(0.0, yv[i], "rows 0 and 1 see no key");
        }
        y.sum().backward();
        double[] gq = q.grad().toDoubleArray();
        for (int i = 0; i < 2 * e; i++) {
            assertEquals(0.0, gq[i], "no gradient for a row that sees no key");
        }
        for (double g : k.grad().toDoubleArray()) {
            assertTrue(Double.isFinite(g), "finite key gradients");
        }
    }

    @BackendTest
    void geometryRejectsBadInput(TestBackends.Case backend) {
        Device device = use(backend);
        AttentionGeometry geo = new AttentionGeometry(1, 2, 3, 4, 5, 6, 1, true, DType.F32);
        Kernels kernels = Backends.kernels(device);
        Tensor q = Tensor.zeros(DType.F32, geo.queryShape()), k = Tensor.zeros(DType.F32, geo.keyShape());
        Tensor v = Tensor.zeros(DType.F32, geo.valueShape());
        Tensor out = Tensor.zeros(DType.F32, geo.outputShape()), lse = Tensor.zeros(DType.F32, geo.logsumexpShape());
        rejects(() -> kernels.attentionForward(geo, st(q), st(k), st(Tensor.zeros(DType.F32, 2, 4, 5)), st(out), st(lse)),
                "attentionForward", "v must be [1, 2, 4, 6]");
        rejects(() -> kernels.attentionForward(geo, st(Tensor.zeros(DType.F32, 1, 2, 5, 3).transpose(2, 3)), st(k), st(v), st(out), st(lse)),
                "attentionForward", "q must be [1, 2, 3, 5] with stride 1 along its rows");
        rejects(() -> kernels.attentionForward(geo, st(q), st(k), st(v), st(Tensor.zeros(DType.F32, 1, 2, 1, 6).expand(1, 2, 3, 6)), st(lse)),
                "attentionForward", "out must be [1, 2, 3, 6] with stride 1 along its rows and no repeated row");
        rejects(() -> kernels.attentionForward(geo, st(q), st(k), st(v), st(out), st(Tensor.zeros(DType.F32, 1, 3, 2).transpose(1, 2))),
                "attentionForward", "logsumexp must be [1, 2, 3], contiguous");
        rejects(() -> new AttentionGeometry(-1, 1, 2, 2, 2, 2, 1, false, DType.F32), "AttentionGeometry", "batch=-1");
        rejects(() -> new AttentionGeometry(1, 1, 2, 2, 0, 2, 1, false, DType.F32), "headDim=0");
        rejects(() -> new AttentionGeometry(1, 1, 2, 2, 2, 2, Double.NaN, false, DType.F32), "scale NaN", "finite");
        rejects(() -> new AttentionGeometry(1, 1, 2, 2, 2, 2, 1, false, DType.I64), "F32 or F64", "I64");
        rejects(() -> new AttentionGeometry(1 << 8, 1 << 8, 1 << 10, 2, 64, 2, 1, false, DType.F32), "2^31-1");
        rejects(() -> new AttentionGeometry(1 << 16, 1 << 16, 1, 1, 1, 1, 1, false, DType.F32), "2^31-1");
        assertEquals(3, new AttentionGeometry(1, 1, 2, 4, 1, 1, 1, true, DType.F32).visibleKeys(0), "query 0 of 2 sees keys 0..2 of 4");
        assertEquals(0, new AttentionGeometry(1, 1, 4, 2, 1, 1, 1, true, DType.F32).visibleKeys(1), "query 1 of 4 sees none of 2 keys");
        rejects(() -> Functional.scaledDotProductAttention(Tensor.zeros(DType.F32, 2, 3), Tensor.zeros(DType.F32, 2, 4),
                Tensor.zeros(DType.F32, 2, 3), null, false, 0, true), "scaledDotProductAttention", "same last dim");
        try (var off = Autograd.noGrad()) {
            Tensor y = Functional.scaledDotProductAttention(Tensor.ones(DType.F32, 1, 2), Tensor.ones(DType.F32, 3, 2), Tensor.ones(DType.F32, 3, 2),
                    null, false, 0, true);
            assertEquals(List.of(1, 2), Arrays.stream(y.shape()).boxed().toList(), "2-D operands: one head");
        }
    }
}
