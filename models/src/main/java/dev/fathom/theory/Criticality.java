package dev.fathom.theory;

import dev.fathom.tensor.Tensor;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.function.DoubleUnaryOperator;

/**
 * Criticality of deep MLPs at initialization, in the infinite-width limit: the recursions of mean-field
 * signal propagation for a network {@code z⁽ˡ⁺¹⁾ = W⁽ˡ⁺¹⁾ φ(z⁽ˡ⁾) + b⁽ˡ⁺¹⁾} with
 * {@code W_ij ~ N(0, σ_w²/n)}, {@code b_i ~ N(0, σ_b²)} ({@code C_W = σ_w²}, {@code C_b = σ_b²} in Roberts,
 * Yaida &amp; Hanin), all expectations over {@code z ~ N(0, K)} by Gauss–Legendre quadrature on panels
 * refined where the activation turns (around 0), in F64.
 *
 * <pre>
 *   K⁽¹⁾    = σ_b² + σ_w² · q₀,            q₀ = ‖x‖²/n₀ (the input's mean square)
 *   K⁽ˡ⁺¹⁾  = σ_b² + σ_w² · ⟨φ(z)²⟩_K⁽ˡ⁾                                  the kernel (variance) map
 *   χ_⊥(K)  = σ_w² · ⟨φ'(z)²⟩_K                                         perpendicular susceptibility
 *   χ_∥(K)  = dK⁽ˡ⁺¹⁾/dK⁽ˡ⁾ = σ_w² · ⟨φ'(z)² + φ(z)φ''(z)⟩_K                parallel susceptibility (Stein)
 *   c⁽ˡ⁺¹⁾  = (σ_b² + σ_w² · ⟨φ(u₁)φ(u₂)⟩) / K⁽ˡ⁺¹⁾,  (u₁, u₂) ~ N(0, K[[1, c], [c, 1]])    correlation map
 *   V⁽ˡ⁺¹⁾  = χ_∥(K⁽ˡ⁾)² · V⁽ˡ⁾ + σ_w⁴ · (⟨φ⁴⟩ − ⟨φ²⟩²)_K⁽ˡ⁾,  V⁽¹⁾ = 0      four-point vertex, O(1/n)
 * </pre>
 * A network is critical when {@code χ_⊥ = χ_∥ = 1} at the fixed point {@code K*}: signals neither
 * explode nor collapse with depth. The critical points: ReLU at {@code σ_w² = 2, σ_b² = 0} (He
 * initialization; every K is a fixed point); tanh at {@code σ_w² = 1, σ_b² = 0} with {@code K* = 0}
 * (where {@code K⁽ˡ⁾ ≈ 1/(2l)} decays only as a power law).
 *
 * <p>Finite width n enters at order {@code 1/n} through the vertex V: the per-neuron normalized fourth
 * cumulant is {@code (⟨z⁴⟩ − 3⟨z²⟩²)/⟨z²⟩² = 3V/(nK²)} and the per-sample mean square
 * {@code G = ‖z‖²/n} fluctuates with {@code Var[G]/K² = (2K² + V)/(nK²)}. For ReLU at criticality
 * {@code V⁽ˡ⁾ = 5(l−1)K²}: fluctuations grow with the depth-to-width aspect ratio {@code r = L/n}
 * ({@link #fourthCumulant}, {@link #squaredNormVariance}), which is why deep-and-narrow networks are
 * not described by the infinite-width limit.
 *
 * <pre>{@code
 * double[] k = Criticality.kernels(Activation.RELU, 2.0, 0.0, 1.0, 20);   // all 2.0: critical
 * double chi = Criticality.chiPerp(Activation.TANH, 1.0, 0.0);          // 1.0 at K* = 0
 * double kStar = Criticality.fixedPoint(Activation.TANH, 1.5, 0.05, 1.0);
 * }</pre>
 *
 * <p>References: B. Poole, S. Lahiri, M. Raghu, J. Sohl-Dickstein, S. Ganguli, "Exponential
 * expressivity in deep neural networks through transient chaos" (NeurIPS 2016); S. Schoenholz,
 * J. Gilmer, S. Ganguli, J. Sohl-Dickstein, "Deep information propagation" (ICLR 2017); D. Roberts,
 * S. Yaida, B. Hanin, <i>The Principles of Deep Learning Theory</i> (Cambridge, 2022), ch. 4–5
 * (four-point vertex, ReLU's {@code 5L/n}); Y. Cho, L. Saul, "Kernel methods for deep learning"
 * (2009) for ReLU's arc-cosine kernel. Stateless and thread-safe.
 */
public final class Criticality {
    /**
     * The 8-point Gauss–Legendre rule on [−1, 1] (nodes ±x_i, weights w_i), applied per panel of
     * {@link #normalIntegral}.
     */
    private static final double[] GL_NODES = {0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363};
    private static final double[] GL_WEIGHTS = {0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763};
    /** A kernel map's move {@code |F(K)| = |kernelMap(K) − K|} at most this times K is rounding: its sign says nothing. */
    private static final double UNDECIDED = 1e-12;
    /** The standard normal's mass beyond ±10 is 1.5e-23: the integrals stop there. */
    private static final double REACH = 10;

    /** The nonlinearity φ, with φ' and φ'' for the susceptibilities; ReLU's derivatives at 0 are taken as 0 (as PyTorch). */
    public enum Activation {
        RELU(z -> z > 0 ? z : 0, z -> z > 0 ? 1 : 0, z -> 0),
        TANH(Math::tanh, z -> 1 - Math.tanh(z) * Math.tanh(z), z -> {
            double t = Math.tanh(z);
            return -2 * t * (1 - t * t);
        }),
        SIGMOID(z -> 1 / (1 + Math.exp(-z)), z -> {
            double s = 1 / (1 + Math.exp(-z));
            return s * (1 - s);
        }, z -> {
            double s = 1 / (1 + Math.exp(-z));
            return s * (1 - s) * (1 - 2 * s);
        }),
        LINEAR(z -> z, z -> 1, z -> 0);

        private final DoubleUnaryOperator phi;
        private final DoubleUnaryOperator d1;
        private final DoubleUnaryOperator d2;

        Activation(DoubleUnaryOperator phi, DoubleUnaryOperator d1, DoubleUnaryOperator d2) {
            this.phi = phi;
            this.d1 = d1;
            this.d2 = d2;
        }

        /** φ(z). */
        public double apply(double z) {
            return phi.applyAsDouble(z);
        }

        /** φ'(z). */
        public double derivative(double z) {
            return d1.applyAsDouble(z);
        }

        /** φ''(z). */
        public double secondDerivative(double z) {
            return d2.applyAsDouble(z);
        }

        /** φ applied elementwise with Fathom's ops (recorded by autograd like any op). */
        public Tensor apply(Tensor z) {
            Objects.requireNonNull(z, "Criticality.Activation.apply: tensor is null");
            return switch (this) {
                case RELU -> z.relu();
                case TANH -> z.tanh();
                case SIGMOID -> z.sigmoid();
                case LINEAR -> z;
            };
        }

        /** The activation named {@code name} (case-insensitive: relu, tanh, sigmoid, linear). */
        public static Activation parse(String name) {
            Objects.requireNonNull(name, "Criticality.Activation.parse: name is null");
            for (Activation a : values()) {
                if (a.name().equalsIgnoreCase(name.trim())) {
                    return a;
                }
            }
            throw new IllegalArgumentException("Criticality.Activation.parse: unknown activation \"" + name + "\"; use one of "
                    + Arrays.toString(Arrays.stream(values()).map(a -> a.name().toLowerCase(Locale.ROOT)).toArray()));
        }
    }

    private Criticality() {
    }

    // ---- Gaussian expectations -----------------------------------------------------------------------------

    /**
     * {@code E_{z ~ N(0, variance)}[f(z)]}, as {@code ∫ f(√variance·t)·N(t; 0, 1) dt} by
     * {@link #normalIntegral} with panels refined around t = 0 down to {@code 1/(16·√variance)}:
     * tanh(z) turns over a width of 1/√variance in t there, which a fixed Gauss–Hermite rule steps
     * over once the variance passes about 10 (150 points: χ_∥ of tanh came out negative at K = 30).
     * Exact for polynomials to rounding; {@code f(0)} at variance 0.
     */
    public static double gaussianExpectation(DoubleUnaryOperator f, double variance) {
        Objects.requireNonNull(f, "Criticality.gaussianExpectation: f is null");
        checkVariance("Criticality.gaussianExpectation", "variance", variance);
        if (variance == 0) {
            return f.applyAsDouble(0);
        }
        double scale = Math.sqrt(variance);
        return normalIntegral(t -> f.applyAsDouble(scale * t), 0, fineStep(scale));
    }

    /**
     * {@code E[f(u₁, u₂)]} for {@code (u₁, u₂) ~ N(0, [[k11, k12], [k12, k22]])}, after the Cholesky
     * factorization {@code u₁ = a·t₁, u₂ = b·t₁ + c·t₂} with standard normal t: the outer integral over
     * t₁ refined around u₁ = 0, the inner over t₂ around u₂ = 0 (at t₂ = −b·t₁/c).
     */
    public static double gaussianExpectation2(java.util.function.DoubleBinaryOperator f, double k11, double k12, double k22) {
        Objects.requireNonNull(f, "Criticality.gaussianExpectation2: f is null");
        checkVariance("Criticality.gaussianExpectation2", "k11", k11);
        checkVariance("Criticality.gaussianExpectation2", "k22", k22);
        if (!Double.isFinite(k12) || k12 * k12 > k11 * k22 * (1 + 1e-12)) {
            throw new IllegalArgumentException("Criticality.gaussianExpectation2: need k12² <= k11·k22 (a covariance), got k11 " + k11
                    + ", k12 " + k12 + ", k22 " + k22);
        }
        double a = Math.sqrt(k11);
        double b = k11 == 0 ? 0 : k12 / a;
        double c = Math.sqrt(Math.max(0, k22 - b * b));
        if (c == 0) {   // u₂ is a multiple of u₁ (or 0): one dimension
            return normalIntegral(t -> f.applyAsDouble(a * t, b * t), 0, fineStep(Math.max(a, Math.abs(b))));
        }
        double fine2 = fineStep(c);
        return normalIntegral(t1 -> normalIntegral(t2 -> f.applyAsDouble(a * t1, b * t1 + c * t2), -b * t1 / c, fine2), 0, fineStep(a));
    }

    /** The narrowest panel for an integrand f(scale·t) whose f turns over a unit width at 0: 1/16 of that width in t, at most 0.05. */
    private static double fineStep(double scale) {
        return scale > 0 ? Math.min(0.05, 1 / (16 * scale)) : 0.05;
    }

    /**
     * {@code ∫ g(t)·N(t; 0, 1) dt} over [−10, 10] by 8-point Gauss–Legendre on panels that start
     * {@code fine} wide on either side of {@code center} (clamped into the interval) and double
     * outward up to 0.5, then stay 0.5 wide: an integrand that is smooth but for one steep turn or kink
     * at {@code center} (an activation at 0, ReLU's corner) is resolved there and integrated to rounding
     * elsewhere, in a few hundred evaluations.
     */
    private static double normalIntegral(DoubleUnaryOperator g, double center, double fine) {
        double mid = Math.max(-REACH, Math.min(REACH, center));
        return panels(g, mid, REACH, fine) + panels(g, mid, -REACH, fine);
    }

    /** The panels from {@code from} towards {@code to} (either direction), the first {@code fine} wide. */
    private static double panels(DoubleUnaryOperator g, double from, double to, double fine) {
        double dir = Math.signum(to - from), total = 0, at = from, width = fine;
        while (dir * (to - at) > 0) {
            double end = dir > 0 ? Math.min(to, at + width) : Math.max(to, at - width);
            double half = 0.5 * (end - at), centre = 0.5 * (end + at);
            double s = 0;
            for (int i = 0; i < GL_NODES.length; i++) {
                double dt = half * GL_NODES[i];
                s += GL_WEIGHTS[i] * (density(centre - dt) * g.applyAsDouble(centre - dt) + density(centre + dt) * g.applyAsDouble(centre + dt));
            }
            total += Math.abs(half) * s;   // leftward panels have end < at: their width is |2·half|
            at = end;
            width = Math.min(0.5, 2 * width);
        }
        return total;
    }

    private static double density(double t) {
        return Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
    }

    // ---- the kernel recursion ------------------------------------------------------------------------------

    /** One step of the kernel map: {@code σ_b² + σ_w²·⟨φ(z)²⟩_K}. */
    public static double kernelMap(Activation phi, double sigmaW2, double sigmaB2, double k) {
        checkInit("Criticality.kernelMap", phi, sigmaW2, sigmaB2);
        checkVariance("Criticality.kernelMap", "K", k);
        return sigmaB2 + sigmaW2 * gaussianExpectation(z -> square(phi.apply(z)), k);
    }

    /**
     * The pre-activation variances {@code K⁽¹⁾ … K⁽ᴸ⁾} of a depth-L network (index {@code l−1} holds
     * layer l) for inputs with mean square {@code q0 = ‖x‖²/n₀}.
     */
    public static double[] kernels(Activation phi, double sigmaW2, double sigmaB2, double q0, int depth) {
        checkInit("Criticality.kernels", phi, sigmaW2, sigmaB2);
        checkVariance("Criticality.kernels", "q0 (the input's mean square)", q0);
        checkDepth("Criticality.kernels", depth);
        double[] k = new double[depth];
        k[0] = sigmaB2 + sigmaW2 * q0;
        for (int l = 1; l < depth; l++) {
            k[l] = kernelMap(phi, sigmaW2, sigmaB2, k[l - 1]);
        }
        return k;
    }

    /**
     * The fixed point {@code K*} that iterating the kernel map from {@code k0} approaches, found by
     * bisection on {@code F(K) = kernelMap(K) − K} between k0 and the first sign change in the direction
     * the map moves (for the monotone maps of the activations here there is one); {@code +∞} when K grows
     * without bound (e.g. ReLU with σ_w² &gt; 2), and k0 itself when it is already fixed (ReLU at σ_w² = 2, σ_b² = 0).
     */
    public static double fixedPoint(Activation phi, double sigmaW2, double sigmaB2, double k0) {
        checkInit("Criticality.fixedPoint", phi, sigmaW2, sigmaB2);
        checkVariance("Criticality.fixedPoint", "k0", k0);
        double f0 = kernelMap(phi, sigmaW2, sigmaB2, k0) - k0;
        if (Math.abs(f0) <= 1e-12 * Math.max(1, k0)) {               // fixed to quadrature accuracy
            return k0;
        }
        double lo;
        double hi;
        if (f0 < 0) {                                             // K decreases: F(0) = σ_b² + σ_w²φ(0)² ≥ 0 brackets
            lo = 0;
            hi = k0;
        } else {                                                  // K grows: look for F < 0 above
            lo = k0;
            hi = Math.max(1, 2 * k0);
            while (true) {
                double f = kernelMap(phi, sigmaW2, sigmaB2, hi) - hi;
                if (Math.abs(f) <= UNDECIDED * hi || hi > 1e200) {
                    // The map's move is within its rounding at this K (σ_b² against K·1e-12 and beyond): growth with
                    // no fixed point the quadrature can tell apart, where bisecting on rounding noise found one at 1e13.
                    return Double.POSITIVE_INFINITY;
                }
                if (f < 0) {
                    break;
                }
                lo = hi;
                hi *= 2;
            }
        }
        // invariant: F(lo) >= 0 > F(hi) when K decreases, F(lo) > 0 >= F(hi) when it grows
        for (int it = 0; it < 2000 && hi - lo > 1e-300; it++) {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) {
                break;
            }
            if (kernelMap(phi, sigmaW2, sigmaB2, mid) - mid >= 0) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return f0 < 0 && lo == 0 ? 0 : 0.5 * (lo + hi);
    }

    /** {@code χ_⊥ = σ_w²·⟨φ'(z)²⟩_K}: how a small perpendicular perturbation (a second input's difference) grows per layer. */
    public static double chiPerp(Activation phi, double sigmaW2, double k) {
        checkInit("Criticality.chiPerp", phi, sigmaW2, 0);
        checkVariance("Criticality.chiPerp", "K", k);
        return sigmaW2 * gaussianExpectation(z -> square(phi.derivative(z)), k);
    }

    /** {@code χ_∥ = dK⁽ˡ⁺¹⁾/dK⁽ˡ⁾ = σ_w²·⟨φ'² + φφ''⟩_K}: how a deviation of the variance itself grows per layer. */
    public static double chiParallel(Activation phi, double sigmaW2, double k) {
        checkInit("Criticality.chiParallel", phi, sigmaW2, 0);
        checkVariance("Criticality.chiParallel", "K", k);
        return sigmaW2 * gaussianExpectation(z -> square(phi.derivative(z)) + phi.apply(z) * phi.secondDerivative(z), k);
    }

    /**
     * One step of the correlation map for two inputs of equal variance K and correlation c:
     * {@code (σ_b² + σ_w²·⟨φ(u₁)φ(u₂)⟩) / kernelMap(K)}. For ReLU the expectation is the arc-cosine kernel
     * {@code K/(2π)·(√(1−c²) + (π − arccos c)·c)} (Cho and Saul 2009), taken in that closed form. Linear
     * gives {@code c·K}; the others take {@link #gaussianExpectation2}.
     */
    public static double correlationMap(Activation phi, double sigmaW2, double sigmaB2, double k, double c) {
        checkInit("Criticality.correlationMap", phi, sigmaW2, sigmaB2);
        checkVariance("Criticality.correlationMap", "K", k);
        if (!(c >= -1 && c <= 1)) {
            throw new IllegalArgumentException("Criticality.correlationMap: the correlation must be in [-1, 1], got " + c);
        }
        double next = kernelMap(phi, sigmaW2, sigmaB2, k);
        if (next == 0) {
            throw new IllegalArgumentException("Criticality.correlationMap: the next layer's variance is 0 (K " + k + ", σ_w² " + sigmaW2
                    + ", σ_b² " + sigmaB2 + "): the correlation is undefined");
        }
        double cross = switch (phi) {
            case RELU -> k / (2 * Math.PI) * (Math.sqrt(Math.max(0, 1 - c * c)) + (Math.PI - Math.acos(c)) * c);
            case LINEAR -> c * k;
            default -> gaussianExpectation2((u1, u2) -> phi.apply(u1) * phi.apply(u2), k, c * k, k);
        };
        return (sigmaB2 + sigmaW2 * cross) / next;
    }

    // ---- finite width: the four-point vertex -----------------------------------------------------------------

    /**
     * The four-point vertex {@code V⁽¹⁾ … V⁽ᴸ⁾} at leading order in 1/n, for equal widths: the connected
     * correlator {@code ⟨z_i² z_j²⟩ − ⟨z_i²⟩⟨z_j²⟩ = V/n} for {@code i ≠ j}. {@code V⁽¹⁾ = 0} (the first
     * layer sees a fixed input).
     */
    public static double[] vertices(Activation phi, double sigmaW2, double sigmaB2, double q0, int depth) {
        double[] k = kernels(phi, sigmaW2, sigmaB2, q0, depth);
        double[] v = new double[depth];
        for (int l = 1; l < depth; l++) {
            double kl = k[l - 1];
            double chi = chiParallel(phi, sigmaW2, kl);
            double m2 = gaussianExpectation(z -> square(phi.apply(z)), kl);
            double m4 = gaussianExpectation(z -> square(square(phi.apply(z))), kl);
            v[l] = chi * chi * v[l - 1] + sigmaW2 * sigmaW2 * (m4 - m2 * m2);
        }
        return v;
    }

    /**
     * The per-neuron normalized fourth cumulant {@code (⟨z⁴⟩ − 3⟨z²⟩²)/⟨z²⟩² = 3V/(nK²)} per layer, at
     * leading order in 1/n. ReLU at criticality: {@code 15(l−1)/n}, i.e. ∝ the aspect ratio.
     */
    public static double[] fourthCumulant(Activation phi, double sigmaW2, double sigmaB2, double q0, int depth, int width) {
        checkWidth("Criticality.fourthCumulant", width);
        return perLayer(phi, sigmaW2, sigmaB2, q0, depth, (k, v) -> 3 * v / (width * k * k));
    }

    /**
     * The normalized variance of the per-sample mean square {@code G = ‖z⁽ˡ⁾‖²/n} over initializations,
     * {@code Var[G]/K² = (2K² + V)/(nK²)} per layer, at leading order in 1/n. ReLU at criticality:
     * {@code (5(l−1) + 2)/n}.
     */
    public static double[] squaredNormVariance(Activation phi, double sigmaW2, double sigmaB2, double q0, int depth, int width) {
        checkWidth("Criticality.squaredNormVariance", width);
        return perLayer(phi, sigmaW2, sigmaB2, q0, depth, (k, v) -> (2 * k * k + v) / (width * k * k));
    }

    /** {@code f(K, V)} of each layer's kernel and four-point vertex. */
    private static double[] perLayer(Activation phi, double sigmaW2, double sigmaB2, double q0, int depth,
                                     java.util.function.DoubleBinaryOperator f) {
        double[] k = kernels(phi, sigmaW2, sigmaB2, q0, depth);
        double[] v = vertices(phi, sigmaW2, sigmaB2, q0, depth);
        double[] out = new double[depth];
        for (int l = 0; l < depth; l++) {
            out[l] = f.applyAsDouble(k[l], v[l]);
        }
        return out;
    }

    /** The depth-to-width aspect ratio {@code r = L/n} that controls finite-width effects. */
    public static double aspectRatio(int depth, int width) {
        checkDepth("Criticality.aspectRatio", depth);
        checkWidth("Criticality.aspectRatio", width);
        return (double) depth / width;
    }

    // ---- checks and quadrature --------------------------------------------------------------------------------

    static void checkInit(String op, Activation phi, double sigmaW2, double sigmaB2) {
        Objects.requireNonNull(phi, () -> op + ": activation is null; use one of " + Arrays.toString(Activation.values()));
        if (!(sigmaW2 >= 0) || !Double.isFinite(sigmaW2) || !(sigmaB2 >= 0) || !Double.isFinite(sigmaB2)) {
            throw new IllegalArgumentException(op + ": the weight and bias variances σ_w², σ_b² must be finite and >= 0, got σ_w² "
                    + sigmaW2 + ", σ_b² " + sigmaB2 + " (they are variances, not standard deviations)");
        }
    }

    static void checkDepth(String op, int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException(op + ": depth must be >= 1 (the number of layers), got " + depth);
        }
    }

    static void checkWidth(String op, int width) {
        if (width < 1) {
            throw new IllegalArgumentException(op + ": width must be >= 1 (neurons per hidden layer), got " + width);
        }
    }

    private static void checkVariance(String op, String what, double v) {
        if (!(v >= 0) || !Double.isFinite(v)) {
            throw new IllegalArgumentException(op + ": " + what + " must be a finite variance >= 0, got " + v);
        }
    }

    private static double square(double x) {
        return x * x;
    }
}
