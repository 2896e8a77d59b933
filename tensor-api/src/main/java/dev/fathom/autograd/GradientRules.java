package dev.fathom.autograd;

import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.UnaryOp;
import dev.fathom.tensor.Tensor;

/**
 * The backward formula of every elementwise primitive, one case per op, written with tensor ops
 * (so they run on every backend and can be differentiated again). The switches are exhaustive:
 * adding an op constant without its rule does not compile. Formulas use {@code x} (input),
 * {@code y} (the op's output) and {@code g} (gradient of the output).
 */
public final class GradientRules {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    private static final double GELU_TANH_C = 0.044715;

    private GradientRules() {
    }

    /** Gradient with respect to x of {@code y = op(x)}. */
    public static Tensor unary(UnaryOp op, Tensor x, Tensor y, Tensor g) {
        return switch (op) {
            case NEG -> g.neg();
            case ABS -> g.mul(x.sign());
            // sign and the comparisons are flat almost everywhere: zero, as in PyTorch.
            case SIGN -> Tensor.zerosLike(g);
            case EXP -> g.mul(y);
            case LOG -> g.div(x);
            case SQRT -> g.div(y.mul(2));
            case RSQRT -> g.mul(y.pow(3)).mul(-0.5);
            case RECIPROCAL -> g.mul(y.mul(y)).neg();
            case SIN -> g.mul(x.cos());
            case COS -> g.mul(x.sin()).neg();
            case TANH -> g.mul(y.mul(y).neg().add(1));
            case SIGMOID -> g.mul(y.mul(y.neg().add(1)));
            // where, not a product with a mask, so that g = inf or NaN where x <= 0 does not leak as
            // NaN; against a broadcast scalar zero, not a tensor of zeros to allocate and fill.
            case RELU -> Tensor.where(x.gt(0), g, Tensor.zeros(g.dtype(), g.device()));
            case GELU -> {
                Tensor cdf = x.mul(Math.sqrt(0.5)).erf().add(1).mul(0.5);
                Tensor pdf = x.mul(x).mul(-0.5).exp().mul(INV_SQRT_2PI);
                yield g.mul(cdf.add(x.mul(pdf)));
            }
            case GELU_TANH -> {
                Tensor x2 = x.mul(x);
                Tensor t = x.add(x2.mul(x).mul(GELU_TANH_C)).mul(SQRT_2_OVER_PI).tanh();
                Tensor du = x2.mul(3 * GELU_TANH_C).add(1).mul(SQRT_2_OVER_PI);
                Tensor d = t.add(1).mul(0.5).add(x.mul(0.5).mul(t.mul(t).neg().add(1)).mul(du));
                yield g.mul(d);
            }
            case SILU -> {
                Tensor s = x.sigmoid();
                yield g.mul(s.mul(x.mul(s.neg().add(1)).add(1)));
            }
            case ERF -> g.mul(x.mul(x).neg().exp().mul(TWO_OVER_SQRT_PI));
            case NOT -> throw new IllegalStateException("logicalNot is not differentiable");
        };
    }

    /**
     * Gradients with respect to a and b of {@code y = op(a, b)} (null for an input that does not
     * require grad), reduced to each input's shape when it was broadcast.
     */
    public static Tensor[] binary(BinaryOp op, Tensor a, Tensor b, Tensor y, Tensor g) {
        boolean ga = a.requiresGrad(), gb = b.requiresGrad();
        Tensor da = null, db = null;
        switch (op) {
            case ADD -> {
                da = ga ? g : null;
                db = gb ? g : null;
            }
            case SUB -> {
                da = ga ? g : null;
                db = gb ? g.neg() : null;
            }
            case MUL -> {
                da = ga ? g.mul(b) : null;
                db = gb ? g.mul(a) : null;
            }
            case DIV -> {
                da = ga ? g.div(b) : null;
                db = gb ? g.mul(y).div(b).neg() : null;
            }
            case POW -> {
                if (ga) {
                    // d/da a^b = b·a^(b−1); taken as 0 where b = 0 (PyTorch's convention): at a = 0 the
                    // product is 0·0^(−1) = 0·∞ = NaN, while a^0 = 1 is flat.
                    Tensor full = g.mul(b).mul(a.pow(b.sub(1)));
                    da = Tensor.where(b.eq(0), Tensor.zerosLike(full), full);
                } else {
                    da = null;
                }
                if (gb) {
                    // d/db a^b = a^b·ln a; taken as 0 where a = 0 and b >= 0 (PyTorch's convention), not NaN.
                    Tensor zeroBase = a.eq(0).logicalAnd(b.ge(0));
                    Tensor full = g.mul(y).mul(a.log());
                    db = Tensor.where(zeroBase, Tensor.zerosLike(full), full);
                }
            }
            case MAXIMUM, MINIMUM -> {
                // PyTorch's rule: each side gets g unless the other wins, half of it on a tie. A NaN makes
                // every comparison false, so both sides get g there (the NaN is the result).
                Tensor aWins = op == BinaryOp.MAXIMUM ? a.gt(b) : a.lt(b);
                Tensor bWins = op == BinaryOp.MAXIMUM ? a.lt(b) : a.gt(b);
                Tensor tie = a.eq(b).to(g.dtype()).mul(0.5);
                da = ga ? g.mul(bWins.to(g.dtype()).add(tie).neg().add(1)) : null;
                db = gb ? g.mul(aWins.to(g.dtype()).add(tie).neg().add(1)) : null;
            }
            case EQ, NE, LT, LE, GT, GE, AND, OR, XOR -> throw new IllegalStateException(op + " is not differentiable");
        }
        return new Tensor[] {
            da == null ? null : da.sumToSize(a.shape()),
            db == null ? null : db.sumToSize(b.shape())};
    }
}
