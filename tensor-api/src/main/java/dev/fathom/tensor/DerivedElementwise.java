package dev.fathom.tensor;

import dev.fathom.autograd.Autograd;

/**
 * Elementwise functions built from the kernel SPI's ops instead of kernels of their own, so every
 * backend has them: the NaN and infinity tests, rounding ({@code trunc}, {@code floor},
 * {@code ceil}, {@code round} half to even), {@code log1p} and {@code expm1} accurate near 0
 * (Kahan's forms: the value is computed without recording and given its own gradient, since
 * autograd through the forms would be less accurate), and {@code isclose}. Rounding has zero
 * gradient, as in PyTorch, so its results are constants.
 */
final class DerivedElementwise {
    private DerivedElementwise() {
    }

    static Tensor isnan(Tensor x) {
        Ops.open("isnan", x);
        return x.dtype().isFloating() ? x.ne(x) : Factories.full(0, DType.BOOL, x.device(), x.shape);
    }

    static Tensor isinf(Tensor x) {
        Ops.open("isinf", x);
        return x.dtype().isFloating() ? Scope.intermediates(() -> x.abs().eq(Double.POSITIVE_INFINITY)) : Factories.full(0, DType.BOOL, x.device(), x.shape);
    }

    static Tensor isfinite(Tensor x) {
        Ops.open("isfinite", x);
        // x − x is 0 for every finite x and NaN for ±∞ and NaN.
        return x.dtype().isFloating() ? Scope.intermediates(() -> x.sub(x).eq(0)) : Factories.full(1, DType.BOOL, x.device(), x.shape);
    }

    /** The rounding modes of {@link #round}. */
    enum Mode { TRUNC, FLOOR, CEIL, HALF_EVEN }

    static Tensor round(Tensor x, Mode mode) {
        String op = switch (mode) {
            case TRUNC -> "trunc";
            case FLOOR -> "floor";
            case CEIL -> "ceil";
            case HALF_EVEN -> "round";
        };
        Ops.open(op, x);
        if (x.dtype() == DType.BOOL) {
            throw new IllegalArgumentException(op + ": not defined for BOOL " + x.describe() + "; convert with .to(DType.F32) or .to(DType.I64)");
        }
        if (x.dtype() == DType.I64) {
            try (var g = Autograd.noGrad()) {
                return x.clone();   // already whole
            }
        }
        Tensor out;
        try (var g = Autograd.noGrad(); Scope s = Scope.open()) {
            // Magnitudes from 2^52 (F64) or 2^23 (F32) up are whole already, as are ±∞; NaN stays NaN. Below that the
            // I64 round trip truncates exactly.
            double whole = x.dtype() == DType.F64 ? 0x1p52 : 0x1p23;
            Tensor keep = x.abs().ge(whole).logicalOr(isnan(x));
            Tensor safe = Elementwise.where(keep, x, 0, true);
            Tensor t = safe.to(DType.I64).to(x.dtype());
            Tensor r = switch (mode) {
                case TRUNC -> t;
                case FLOOR -> floor(t, safe);
                case CEIL -> t.add(t.lt(safe).to(x.dtype()));
                case HALF_EVEN -> {
                    Tensor f = floor(t, safe);
                    Tensor frac = safe.sub(f);   // exact below 2^52 (2^23)
                    Tensor odd = f.sub(f.mul(0.5).to(DType.I64).to(x.dtype()).mul(2)).ne(0);
                    Tensor up = frac.gt(0.5).logicalOr(frac.eq(0.5).logicalAnd(odd));
                    yield f.add(up.to(x.dtype()));
                }
            };
            // A zero result takes x's sign, as IEEE rounding gives: floor(-0.0), ceil(-0.5) and round(-0.4) are -0.0.
            r = Elementwise.where(r.eq(0), safe.mul(0), r);
            out = s.keep(Elementwise.where(keep, x, r));
        }
        return out;
    }

    /** The floor of {@code x} from its truncation {@code t}: one less where truncating rounded a negative x up. */
    private static Tensor floor(Tensor t, Tensor x) {
        return t.sub(t.gt(x).to(x.dtype()));
    }

    /** {@code log(1 + x)}, accurate where x is tiny; gradient {@code g / (1 + x)}. */
    static Tensor log1p(Tensor x) {
        Ops.open("log1p", x);
        Ops.floating("log1p", x);
        Tensor y;
        try (var g = Autograd.noGrad(); Scope s = Scope.open()) {
            // Kahan: log(u)·x/(u − 1) with u = 1 + x corrects u's rounding; x itself where u rounds to 1; +∞ at +∞.
            Tensor u = x.add(1);
            Tensor one = u.eq(1);
            Tensor denominator = Elementwise.where(one, u.sub(1), 1, true);
            Tensor corrected = Elementwise.where(u.eq(Double.POSITIVE_INFINITY), u, u.log().mul(x.div(denominator)));
            y = s.keep(Elementwise.where(one, x, corrected));
        }
        return Ops.record("log1p", y, new Tensor[] {x}, new Tensor[] {x}, gy -> new Tensor[] {gy.div(x.add(1))});
    }

    /** {@code e^x − 1}, accurate where x is tiny; gradient {@code g · e^x}. */
    static Tensor expm1(Tensor x) {
        Ops.open("expm1", x);
        Ops.floating("expm1", x);
        Tensor y;
        try (var g = Autograd.noGrad(); Scope s = Scope.open()) {
            // Kahan: (u − 1)·x/log(u) with u = e^x; x where u rounds to 1, −1 where u − 1 does, +∞ where u overflows.
            Tensor u = x.exp();
            Tensor one = u.eq(1);
            Tensor um1 = u.sub(1);
            Tensor logU = Elementwise.where(one, u.log(), 1, true);
            Tensor corrected = Elementwise.where(um1.eq(-1).logicalOr(u.eq(Double.POSITIVE_INFINITY)), um1, um1.mul(x.div(logU)));
            y = s.keep(Elementwise.where(one, x, corrected));
        }
        return Ops.record("expm1", y, new Tensor[] {x}, new Tensor[] {x}, gy -> new Tensor[] {gy.mul(x.exp())});
    }

    /**
     * {@code |a − b| ≤ atol + rtol·|b|}, broadcast, as {@code torch.isclose}: equal infinities are
     * close, NaNs only with {@code equalNan}.
     */
    static Tensor isclose(Tensor a, Tensor b, double rtol, double atol, boolean equalNan) {
        Ops.open("isclose", a, b);
        Ops.sameDevice("isclose", a, b);
        Ops.sameDtype("isclose", a, b);
        if (!(rtol >= 0) || !(atol >= 0)) {
            throw new IllegalArgumentException("isclose: rtol and atol must be >= 0, got " + rtol + " and " + atol);
        }
        Tensor out;
        try (var g = Autograd.noGrad(); Scope s = Scope.open()) {
            Tensor fa = a.dtype().isFloating() ? a : a.to(DType.F64), fb = b.dtype().isFloating() ? b : b.to(DType.F64);
            // An infinity is close only to itself (whatever the tolerance), so the difference counts between finite values only.
            Tensor finite = isfinite(fa).logicalAnd(isfinite(fb));
            Tensor close = fa.sub(fb).abs().le(fb.abs().mul(rtol).add(atol)).logicalAnd(finite).logicalOr(fa.eq(fb));
            if (equalNan) {
                close = close.logicalOr(fa.ne(fa).logicalAnd(fb.ne(fb)));
            }
            out = s.keep(close);
        }
        return out;
    }
}
