package dev.fathom.cpu;

import dev.fathom.spi.AdamUpdate;
import dev.fathom.spi.SgdUpdate;
import dev.fathom.spi.Strided;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import static dev.fathom.cpu.FusedOperands.floating;
import static dev.fathom.cpu.FusedOperands.off;
import static dev.fathom.cpu.FusedOperands.optional;

/**
 * The fused optimizer steps of {@link dev.fathom.spi.Kernels#sgdUpdate} and
 * {@link dev.fathom.spi.Kernels#adamUpdate}: one pass over parameter, gradient and state instead of
 * the composite's half-dozen, in place, with no temporaries. F32 runs in F32 arithmetic with the
 * composite's order of operations (Vector API, scalar tails with the same formula), so a step
 * matches the composite to an ulp or so; F64 in F64. Split across the pool in vector-aligned chunks.
 */
final class OptimizerKernels {
    private static final VectorSpecies<Float> S = VectorF32.S;
    private static final int L = VectorF32.L;

    private OptimizerKernels() {
    }

    static void sgd(Strided ps, Strided gs, Strided bufs, SgdUpdate h) {
        String op = "sgdUpdate";
        CpuBuffer p = floating(op, ps), g = floating(op, gs), buf = optional(op, bufs);
        boolean momentum = h.momentum() != 0;
        if (momentum && buf == null) {
            throw new IllegalArgumentException("cpu sgdUpdate: momentum " + h.momentum() + " needs a momentum buffer, got null");
        }
        int po = off(ps), go = off(gs), bo = off(bufs);
        Parallel.forRange(ps.numel(), ElementwiseKernels.GRAIN, L, (lo, hi) -> {
            if (p.f != null) {
                sgdF32(p.f, po, g.f, go, buf == null ? null : buf.f, bo, (int) lo, (int) hi, h);
            } else {
                sgdF64(p.d, po, g.d, go, buf == null ? null : buf.d, bo, (int) lo, (int) hi, h);
            }
        });
    }

    private static void sgdF32(float[] p, int po, float[] g, int go, float[] b, int bo, int lo, int hi, SgdUpdate h) {
        float lr = (float) h.lr(), mom = (float) h.momentum(), keep = (float) (1 - h.dampening()), wd = (float) h.weightDecay();
        boolean decay = h.weightDecay() != 0, momentum = h.momentum() != 0, nesterov = h.nesterov(), first = h.firstStep();
        int i = lo;
        for (; i <= hi - L; i += L) {
            FloatVector pv = FloatVector.fromArray(S, p, po + i);
            FloatVector gv = FloatVector.fromArray(S, g, go + i);
            if (decay) {
                gv = gv.add(pv.mul(wd));
            }
            if (momentum) {
                FloatVector bv = first ? gv : FloatVector.fromArray(S, b, bo + i).mul(mom).add(gv.mul(keep));
                bv.intoArray(b, bo + i);
                gv = nesterov ? gv.add(bv.mul(mom)) : bv;
            }
            pv.add(gv.mul(-lr)).intoArray(p, po + i);
        }
        for (; i < hi; i++) {
            float gv = g[go + i];
            if (decay) {
                gv += p[po + i] * wd;
            }
            if (momentum) {
                float bv = first ? gv : b[bo + i] * mom + gv * keep;
                b[bo + i] = bv;
                gv = nesterov ? gv + bv * mom : bv;
            }
            p[po + i] += gv * -lr;
        }
    }

    private static void sgdF64(double[] p, int po, double[] g, int go, double[] b, int bo, int lo, int hi, SgdUpdate h) {
        double lr = h.lr(), mom = h.momentum(), keep = 1 - h.dampening(), wd = h.weightDecay();
        boolean momentum = mom != 0;
        for (int i = lo; i < hi; i++) {
            double gv = g[go + i];
            if (wd != 0) {
                gv += p[po + i] * wd;
            }
            if (momentum) {
                double bv = h.firstStep() ? gv : b[bo + i] * mom + gv * keep;
                b[bo + i] = bv;
                gv = h.nesterov() ? gv + bv * mom : bv;
            }
            p[po + i] += gv * -lr;
        }
    }

    static void adam(Strided ps, Strided gs, Strided ms, Strided vs, Strided vmaxs, AdamUpdate h) {
        String op = "adamUpdate";
        CpuBuffer p = floating(op, ps), g = floating(op, gs), m = floating(op, ms), v = floating(op, vs), vmax = optional(op, vmaxs);
        if (h.amsgrad() && vmax == null) {
            throw new IllegalArgumentException("cpu adamUpdate: amsgrad needs maxExpAvgSq, got null");
        }
        if (h.step() < 1) {
            throw new IllegalArgumentException("cpu adamUpdate: step is 1-based, got " + h.step());
        }
        int po = off(ps), go = off(gs), mo = off(ms), vo = off(vs), xo = off(vmaxs);
        Parallel.forRange(ps.numel(), ElementwiseKernels.GRAIN, L, (lo, hi) -> {
            if (p.f != null) {
                adamF32(p.f, po, g.f, go, m.f, mo, v.f, vo, vmax == null ? null : vmax.f, xo, (int) lo, (int) hi, h);
            } else {
                adamF64(p.d, po, g.d, go, m.d, mo, v.d, vo, vmax == null ? null : vmax.d, xo, (int) lo, (int) hi, h);
            }
        });
    }

    private static void adamF32(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, float[] vmax, int xo, int lo, int hi,
                                AdamUpdate h) {
        boolean decoupled = h.decoupled() && h.weightDecay() != 0, l2 = !h.decoupled() && h.weightDecay() != 0, ams = h.amsgrad();
        float shrink = (float) (1 - h.lr() * h.weightDecay()), wd = (float) h.weightDecay();
        float b1 = (float) h.beta1(), b2 = (float) h.beta2(), c1 = (float) (1 - h.beta1()), c2 = (float) (1 - h.beta2());
        float bc2 = (float) Math.sqrt(1 - Math.pow(h.beta2(), h.step())), eps = (float) h.eps();
        float stepSize = (float) (-h.lr() / (1 - Math.pow(h.beta1(), h.step())));
        int i = lo;
        for (; i <= hi - L; i += L) {
            FloatVector pv = FloatVector.fromArray(S, p, po + i);
            FloatVector gv = FloatVector.fromArray(S, g, go + i);
            if (decoupled) {
                pv = pv.mul(shrink);
            } else if (l2) {
                gv = gv.add(pv.mul(wd));
            }
            FloatVector mv = FloatVector.fromArray(S, m, mo + i).mul(b1).add(gv.mul(c1));
            FloatVector vv = FloatVector.fromArray(S, v, vo + i).mul(b2).add(gv.mul(gv).mul(c2));
            mv.intoArray(m, mo + i);
            vv.intoArray(v, vo + i);
            if (ams) {
                vv = FloatVector.fromArray(S, vmax, xo + i).max(vv);
                vv.intoArray(vmax, xo + i);
            }
            FloatVector denom = vv.sqrt().div(bc2).add(eps);
            pv.add(mv.div(denom).mul(stepSize)).intoArray(p, po + i);
        }
        for (; i < hi; i++) {
            float pv = p[po + i], gv = g[go + i];
            if (decoupled) {
                pv *= shrink;
            } else if (l2) {
                gv += pv * wd;
            }
            float mv = m[mo + i] * b1 + gv * c1;
            float vv = v[vo + i] * b2 + gv * gv * c2;
            m[mo + i] = mv;
            v[vo + i] = vv;
            if (ams) {
                vv = Math.max(vmax[xo + i], vv);
                vmax[xo + i] = vv;
            }
            float denom = (float) Math.sqrt(vv) / bc2 + eps;
            p[po + i] = pv + mv / denom * stepSize;
        }
    }

    private static void adamF64(double[] p, int po, double[] g, int go, double[] m, int mo, double[] v, int vo, double[] vmax, int xo, int lo,
                                int hi, AdamUpdate h) {
        double wd = h.weightDecay(), shrink = 1 - h.lr() * wd, b1 = h.beta1(), b2 = h.beta2();
        double bc2 = Math.sqrt(1 - Math.pow(b2, h.step())), stepSize = -h.lr() / (1 - Math.pow(b1, h.step()));
        for (int i = lo; i < hi; i++) {
            double pv = p[po + i], gv = g[go + i];
            if (h.decoupled()) {
                pv *= wd != 0 ? shrink : 1;
            } else if (wd != 0) {
                gv += pv * wd;
            }
            double mv = m[mo + i] * b1 + gv * (1 - b1);
            double vv = v[vo + i] * b2 + gv * gv * (1 - b2);
            m[mo + i] = mv;
            v[vo + i] = vv;
            if (h.amsgrad()) {
                vv = Math.max(vmax[xo + i], vv);
                vmax[xo + i] = vv;
            }
            p[po + i] = pv + mv / (Math.sqrt(vv) / bc2 + h.eps()) * stepSize;
        }
    }
}
