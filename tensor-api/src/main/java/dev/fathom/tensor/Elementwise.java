package dev.fathom.tensor;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradientRules;
import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.UnaryOp;

/** Unary and binary maps, where, clamp and the in-place arithmetic. */
final class Elementwise {
    private Elementwise() {
    }

    static String name(Enum<?> op) {
        String n = op.name().toLowerCase(java.util.Locale.ROOT);
        return switch (n) {
            case "gelu_tanh" -> "geluTanh";
            case "and" -> "logicalAnd";
            case "or" -> "logicalOr";
            case "xor" -> "logicalXor";
            case "not" -> "logicalNot";
            default -> n;
        };
    }

    static Tensor unary(UnaryOp op, Tensor x) {
        String name = name(op);
        Ops.open(name, x);
        DType dt = x.dtype();
        boolean ok = dt.isFloating() ? op != UnaryOp.NOT
                : dt == DType.I64 ? UnaryOp.INTEGER.contains(op) : UnaryOp.BOOLEAN.contains(op);
        if (!ok) {
            String fix = dt.isFloating() ? "; logicalNot takes BOOL tensors" : "; convert with .to(DType.F32)";
            throw new IllegalArgumentException(name + ": not defined for " + x.describe() + fix);
        }
        Tensor out = Ops.empty(dt, x.device(), x.shape);
        Ops.kernels(x.device()).unary(op, Ops.strided(x), Ops.strided(out));
        return Ops.record(name, out, new Tensor[] {x}, new Tensor[] {x, out},
                g -> new Tensor[] {gradient(op, x, out, g)});
    }

    /**
     * The gradient of {@code y = op(x)}: the backend's one-pass kernel for an activation in
     * {@link UnaryOp#FUSED_GRADIENT} when the pass builds no graph and the backend has one, else
     * {@link GradientRules}' composite (recorded, so that a graph-building pass can differentiate
     * it again). GELU's composite is eleven elementwise passes, a tenth of a GPT step on the CPU.
     */
    private static Tensor gradient(UnaryOp op, Tensor x, Tensor y, Tensor g) {
        if (UnaryOp.FUSED_GRADIENT.contains(op) && !Autograd.shouldRecord(x, g) && g.dtype() == x.dtype()
                && java.util.Arrays.equals(g.shape, x.shape)) {
            Tensor gx = Ops.empty(x.dtype(), x.device(), x.shape);
            try {
                Ops.kernels(x.device()).activationBackward(op, Ops.strided(x), Ops.strided(g), Ops.strided(gx));
                return gx;
            } catch (UnsupportedOperationException e) {
                gx.close();
            }
        }
        return GradientRules.unary(op, x, y, g);
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = name(op);
        Ops.open(name, a, b);
        Ops.sameDevice(name, a, b);
        Ops.sameDtype(name, a, b);
        checkDtype(name, op, a);
        int[] shape = Shape.broadcast(name, a.shape, b.shape);
        boolean comparison = BinaryOp.COMPARISON.contains(op) || BinaryOp.LOGICAL.contains(op);
        Tensor out = Ops.empty(comparison ? DType.BOOL : a.dtype(), a.device(), shape);
        Ops.kernels(a.device()).binary(op, Ops.broadcast(a, shape), Ops.broadcast(b, shape), Ops.strided(out));
        if (comparison) {
            return out;
        }
        return Ops.record(name, out, new Tensor[] {a, b}, new Tensor[] {a, b, out},
                g -> GradientRules.binary(op, a, b, out, g));
    }

    static void checkDtype(String name, BinaryOp op, Tensor a) {
        DType dt = a.dtype();
        boolean ok = dt.isFloating() ? !BinaryOp.BOOLEAN_ONLY.contains(op)
                : dt == DType.I64 ? BinaryOp.INTEGER.contains(op) : BinaryOp.LOGICAL.contains(op);
        if (!ok) {
            throw new IllegalArgumentException(name + ": not defined for " + a.describe()
                    + (dt.isFloating() ? "; logical ops take BOOL tensors (e.g. from a comparison)" : "; convert with .to(DType.F32)"));
        }
    }

    static Tensor binaryScalar(BinaryOp op, Tensor x, double value) {
        Ops.open(name(op), x);
        if (x.dtype() == DType.I64 && BinaryOp.COMPARISON.contains(op) && Ops.notI64(DType.I64, value) != null) {
            return compareI64(op, x, value);
        }
        return Scope.intermediates(() -> binary(op, x, scalarLike(name(op), x, value)));
    }

    /**
     * An I64 tensor against a value no long equals (a fraction, NaN, or beyond a long), exactly, as
     * PyTorch compares: x < 2.5 is x < 3, x == 2.5 is false everywhere, NaN compares false.
     */
    private static Tensor compareI64(BinaryOp op, Tensor x, double value) {
        boolean above = value >= 0x1p63, below = value < -0x1p63;
        if (Double.isNaN(value) || above || below) {
            boolean all = switch (op) {
                case NE -> true;
                case LT, LE -> above;
                case GT, GE -> below;
                default -> false;
            };
            return Factories.full(all ? 1 : 0, DType.BOOL, x.device(), x.shape.clone());
        }
        double lo = Math.floor(value), hi = Math.ceil(value);
        return switch (op) {
            case LT -> binaryScalar(BinaryOp.LT, x, hi);
            case LE -> binaryScalar(BinaryOp.LE, x, lo);
            case GT -> binaryScalar(BinaryOp.GT, x, lo);
            case GE -> binaryScalar(BinaryOp.GE, x, hi);
            default -> Factories.full(op == BinaryOp.NE ? 1 : 0, DType.BOOL, x.device(), x.shape.clone());
        };
    }

    /** A 0-d tensor of x's dtype and device holding {@code value}. */
    static Tensor scalarLike(String op, Tensor x, double value) {
        DType dt = x.dtype();
        String notI64 = Ops.notI64(dt, value);
        if (notI64 != null) {
            throw new IllegalArgumentException(op + ": scalar " + notI64 + " but the tensor is " + x.describe()
                    + "; convert the tensor with .to(DType.F32) first");
        }
        if (dt == DType.BOOL && value != 0 && value != 1) {
            throw new IllegalArgumentException(op + ": scalar " + value + " is not a boolean (0 or 1) but the tensor is " + x.describe());
        }
        return Factories.full(value, dt, x.device(), new int[0]);
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        Ops.open("where", cond, a, b);
        Ops.bool("where", "condition", cond);
        Ops.sameDevice("where", cond, a);
        Ops.sameDevice("where", a, b);
        Ops.sameDtype("where", a, b);
        int[] shape = Shape.broadcast("where", Shape.broadcast("where", cond.shape, a.shape), b.shape);
        Tensor out = Ops.empty(a.dtype(), a.device(), shape);
        Ops.kernels(a.device()).where(Ops.broadcast(cond, shape), Ops.broadcast(a, shape), Ops.broadcast(b, shape), Ops.strided(out));
        return Ops.record("where", out, new Tensor[] {a, b}, new Tensor[] {cond}, g -> {
            Tensor zero = scalarLike("where", g, 0);
            return new Tensor[] {
                a.requiresGrad() ? where(cond, g, zero).sumToSize(a.shape) : null,
                b.requiresGrad() ? where(cond, zero, g).sumToSize(b.shape) : null};
        });
    }

    /** {@code where(cond, a, value)} or, with {@code valueFirst}, {@code where(cond, value, a)}: the number in a's dtype and on its device. */
    static Tensor where(Tensor cond, Tensor a, double value, boolean valueFirst) {
        Ops.open("where", cond, a);
        return Scope.intermediates(() -> {
            Tensor v = scalarLike("where", a, value);
            return valueFirst ? where(cond, v, a) : where(cond, a, v);
        });
    }

    static Tensor clamp(Tensor x, double min, double max) {
        Ops.open("clamp", x);
        if (x.dtype() == DType.BOOL) {
            throw new IllegalArgumentException("clamp: not defined for " + x.describe());
        }
        if (Double.isNaN(min) || Double.isNaN(max)) {
            throw new IllegalArgumentException("clamp: bounds must not be NaN, got [" + min + ", " + max + "]");
        }
        return Scope.intermediates(() -> {
            Tensor out;
            try (var g = Autograd.noGrad()) {
                out = x.maximum(scalarLike("clamp", x, min)).minimum(scalarLike("clamp", x, max));
            }
            return Ops.record("clamp", out, new Tensor[] {x}, new Tensor[] {x}, g -> {
                Tensor inside = x.ge(min).logicalAnd(x.le(max));
                return new Tensor[] {where(inside, g, scalarLike("clamp", g, 0))};
            });
        });
    }

    static Tensor inPlace(BinaryOp op, Tensor target, Tensor src) {
        String name = name(op) + "InPlace";
        Ops.open(name, target, src);
        Ops.sameDevice(name, target, src);
        Ops.sameDtype(name, target, src);
        checkDtype(name, op, target);
        if (BinaryOp.COMPARISON.contains(op)) {
            throw new IllegalArgumentException(name + ": comparisons cannot be written in place");
        }
        Ops.writable(name, target, src);
        Ops.broadcastsTo(name, src, target);
        Tensor s = Ops.unaliased(src, target);
        Ops.kernels(target.device()).binary(op, Ops.strided(target), Ops.broadcast(s, target.shape), Ops.strided(target));
        target.storage.bumpVersion();
        return target;
    }

    static Tensor inPlaceScalar(BinaryOp op, Tensor target, double value) {
        Ops.open(name(op) + "InPlace", target);
        return Scope.intermediates(() -> inPlace(op, target, scalarLike(name(op) + "InPlace", target, value)));
    }

    static Tensor addScaledInPlace(Tensor target, Tensor src, double alpha) {
        Ops.open("addInPlace", target, src);
        Ops.writable("addInPlace", target, src);
        return Scope.intermediates(() -> {
            try (var g = Autograd.noGrad()) {
                return inPlace(BinaryOp.ADD, target, alpha == 1 ? src : src.mul(alpha));
            }
        });
    }
}
