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
 * keys, as a key/value cache), lq > lk (rows that see no key), lk = 0, and sizes that are no
 * multiple of a tile.
 */
class FusedAttentionTest extends ConformanceTest {
    private static final int PAD = 3;
    private final Inputs in = new Inputs(4242);
    private final NnSupport s = new NnSupport(77);

    record Case(int bh, int lq, int lk, int e, int ev, boolean causal) {
    }

    static final List<Case> CASES = List.of(new Case(2, 5, 5, 3, 4, true), new Case(1, 7, 9, 5, 2, true), new Case(2, 9, 4, 3, 3, true),
            new Case(1, 3, 0, 2, 2, false), new Case(2, 6, 11, 4, 5, false), new Case(1, 1, 1, 1, 1, true), new Case(1, 33, 17, 6, 7, true),
            new Case(1, 20, 140, 17, 3, true),
            // Heads of 32 and 64: the CPU's four-vector loops on AVX2 (scores over four key vectors,
            // eight-chain row sums, two keys at a time in the backward), an odd key count.
            new Case(2, 40, 45, 32, 32, true), new Case(1, 19, 37, 64, 32, false));

    /** A contiguous tensor holding {@code v} at storage offset PAD, with NaN before it. */
    private static Tensor atOffset(double[] v, DType dtype, int... shape) {
        double[] padded = new double[v.length + PAD];
        Arrays.fill(padded, 0, PAD, Double.NaN);
        System.arraycopy(v, 0, padded, PAD, v.length);
        return Inputs.upload(new Ref(new int[] {padded.length}, padded), dtype).narrow(0, PAD, v.length).reshape(shape);
    }

    private static Tensor output(DType dtype, int... shape) {
        double[] v = new double[(int) Ref.numel(shape)];
        Arrays.fill(v, Double.NaN);
        return atOffset(v, dtype, shape);
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
                AttentionGeometry g = new AttentionGeometry(c.bh(), c.lq(), c.lk(), c.e(), c.ev(), 1 / Math.sqrt(c.e()), c.causal(), dtype);
                double[] q = round(in.values(g.queryShape(), DType.F64, -2, 2).data, dtype);
                double[] k = round(in.values(g.keyShape(), DType.F64, -2, 2).data, dtype);
                double[] v = round(in.values(g.valueShape(), DType.F64, -2, 2).data, dtype);
                double[] go = round(in.values(g.outputShape(), DType.F64, -1, 1).data, dtype);
                if (c.lk() > 0) {
                    k[0] += 30;  // a large score: a kernel that exponentiates without its running max overflows in F32
                }
                double[][] ref = reference(c, q, k, v, go);
                Tensor qt = atOffset(q, dtype, g.queryShape()), kt = atOffset(k, dtype, g.keyShape()), vt = atOffset(v, dtype, g.valueShape());
                Tensor out = output(dtype, g.outputShape()), lse = output(dtype, g.logsumexpShape());
                kernels.attentionForward(g, st(qt), st(kt), st(vt), st(out), st(lse));
                Check.close("attentionForward out " + what, out, new Ref(g.outputShape(), ref[0]), dtype, tol, tol);
                Check.close("attentionForward lse " + what, lse, new Ref(g.logsumexpShape(), ref[1]), dtype, tol, tol);
                Tensor got = atOffset(go, dtype, g.outputShape());
                Tensor gq = output(dtype, g.queryShape()), gk = output(dtype, g.keyShape()), gv = output(dtype, g.valueShape());
                kernels.attentionBackward(g, st(qt), st(kt), st(vt), st(out), st(got), st(lse), st(gq), st(gk), st(gv));
                Check.close("attentionBackward gradQ " + what, gq, new Ref(g.queryShape(), ref[2]), dtype, tol, tol);
                Check.close("attentionBackward gradK " + what, gk, new Ref(g.keyShape(), ref[3]), dtype, tol, tol);
                Check.close("attentionBackward gradV " + what, gv, new Ref(g.valueShape(), ref[4]), dtype, tol, tol);
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

    @BackendTest
    void gradcheckFirstAndSecondOrder(TestBackends.Case backend) {
        use(backend);
        int h = 2, l = 3, sl = 4, e = 3, ev = 2;
        for (boolean causal : new boolean[] {false, true}) {
            Tensor q = leaf(s.values(h * l * e, -1, 1), h, l, e), k = leaf(s.values(h * sl * e, -1, 1), h, sl, e);
            Tensor v = leaf(s.values(h * sl * ev, -1, 1), h, sl, ev);
            Tensor y = Functional.scaledDotProductAttention(q, k, v, null, causal, 0, true);
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
        AttentionGeometry geo = new AttentionGeometry(2, 3, 4, 5, 6, 1, true, DType.F32);
        Tensor q = Tensor.zeros(DType.F32, geo.queryShape()), k = Tensor.zeros(DType.F32, geo.keyShape());
        Tensor out = Tensor.zeros(DType.F32, geo.outputShape()), lse = Tensor.zeros(DType.F32, geo.logsumexpShape());
        rejects(() -> Backends.kernels(device).attentionForward(geo, st(q), st(k), st(Tensor.zeros(DType.F32, 2, 4, 5)), st(out), st(lse)),
                "attentionForward", "v must be [2, 4, 6]");
        rejects(() -> new AttentionGeometry(-1, 2, 2, 2, 2, 1, false, DType.F32), "AttentionGeometry", "batchHeads=-1");
        rejects(() -> new AttentionGeometry(1, 2, 2, 0, 2, 1, false, DType.F32), "headDim=0");
        rejects(() -> new AttentionGeometry(1, 2, 2, 2, 2, Double.NaN, false, DType.F32), "scale NaN", "finite");
        rejects(() -> new AttentionGeometry(1, 2, 2, 2, 2, 1, false, DType.I64), "F32 or F64", "I64");
        rejects(() -> new AttentionGeometry(1 << 16, 1 << 10, 2, 64, 2, 1, false, DType.F32), "2^31-1");
        assertEquals(3, new AttentionGeometry(1, 2, 4, 1, 1, 1, true, DType.F32).visibleKeys(0), "query 0 of 2 sees keys 0..2 of 4");
        assertEquals(0, new AttentionGeometry(1, 4, 2, 1, 1, 1, true, DType.F32).visibleKeys(1), "query 1 of 4 sees none of 2 keys");
        rejects(() -> Functional.scaledDotProductAttention(Tensor.zeros(DType.F32, 2, 3), Tensor.zeros(DType.F32, 2, 4),
                Tensor.zeros(DType.F32, 2, 3), null, false, 0, true), "scaledDotProductAttention", "same last dim");
        try (var off = Autograd.noGrad()) {
            Tensor y = Functional.scaledDotProductAttention(Tensor.ones(DType.F32, 1, 2), Tensor.ones(DType.F32, 3, 2), Tensor.ones(DType.F32, 3, 2),
                    null, false, 0, true);
            assertEquals(List.of(1, 2), Arrays.stream(y.shape()).boxed().toList(), "2-D operands: one head");
        }
    }
}
