package dev.fathom.nn;

import dev.fathom.autograd.Autograd;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.Objects;

/**
 * Weight initializers, as {@code torch.nn.init}: each fills a floating tensor in place (without
 * recording a gradient) and returns it. All draw from a Philox {@link Generator}, the global one
 * unless given, so {@code Fathom.seed} makes them reproducible on every backend.
 *
 * <p>Fans follow {@code torch.nn.init._calculate_fan_in_and_fan_out}: for a weight
 * {@code [out, in, k...]} (Linear {@code [out, in]}, Conv {@code [out, in/groups, kh, kw]}),
 * {@code fan_in = in·Πk} and {@code fan_out = out·Πk}.
 */
public final class Init {
    private Init() {
    }

    /** The nonlinearity after a layer, for {@link #gain}. */
    public enum Nonlinearity { LINEAR, CONV, SIGMOID, TANH, RELU, LEAKY_RELU, SELU }

    /** Which fan keeps the variance: of the activations (FAN_IN) or of the gradients (FAN_OUT). */
    public enum FanMode { FAN_IN, FAN_OUT }

    /** {@code {fan_in, fan_out}} of a weight shape with at least 2 dims. */
    public static long[] fans(int[] shape) {
        if (shape.length < 2) {
            throw new IllegalArgumentException("Init: fan in and fan out need a tensor with at least 2 dims, got " + Shape.format(shape));
        }
        long receptive = 1;
        for (int i = 2; i < shape.length; i++) {
            receptive *= shape[i];
        }
        return new long[] {shape[1] * receptive, shape[0] * receptive};
    }

    /**
     * The recommended gain, as {@code torch.nn.init.calculate_gain}: 1 for linear, conv and sigmoid,
     * 5/3 for tanh, √2 for ReLU, √(2/(1+slope²)) for leaky ReLU ({@code param} is the slope), 3/4 for SELU.
     */
    public static double gain(Nonlinearity nonlinearity, double param) {
        return switch (Objects.requireNonNull(nonlinearity, "Init.gain: nonlinearity is null")) {
            case LINEAR, CONV, SIGMOID -> 1;
            case TANH -> 5.0 / 3;
            case RELU -> Math.sqrt(2);
            case LEAKY_RELU -> Math.sqrt(2 / (1 + param * param));
            case SELU -> 0.75;
        };
    }

    // ---- plain fills ----------------------------------------------------------------------------

    public static Tensor zeros(Tensor t) {
        return constant(t, 0);
    }

    public static Tensor ones(Tensor t) {
        return constant(t, 1);
    }

    public static Tensor constant(Tensor t, double value) {
        target("constant", t);
        try (var g = Autograd.noGrad()) {
            return t.fillInPlace(value);
        }
    }

    /** Uniform on [lo, hi). */
    public static Tensor uniform(Tensor t, double lo, double hi, Generator generator) {
        target("uniform", t);
        if (!(lo <= hi) || !Double.isFinite(lo) || !Double.isFinite(hi)) {
            throw new IllegalArgumentException("Init.uniform: need finite lo <= hi, got [" + lo + ", " + hi + ")");
        }
        return fill(t, Tensor.uniform(lo, hi, t.dtype(), generator(generator), t.shape()));
    }

    /** Normal with the given mean and standard deviation. */
    public static Tensor normal(Tensor t, double mean, double std, Generator generator) {
        target("normal", t);
        if (!(std >= 0) || !Double.isFinite(std) || !Double.isFinite(mean)) {
            throw new IllegalArgumentException("Init.normal: need a finite mean and std >= 0, got mean " + mean + ", std " + std);
        }
        return fill(t, Tensor.normal(mean, std, t.dtype(), generator(generator), t.shape()));
    }

    // ---- He, Glorot, orthogonal -----------------------------------------------------------------

    /**
     * He et al. 2015 ("Delving deep into rectifiers"), uniform: {@code U(±gain·√(3/fan))} with the
     * gain of {@code nonlinearity} for slope {@code a}.
     */
    public static Tensor kaimingUniform(Tensor t, double a, FanMode mode, Nonlinearity nonlinearity, Generator generator) {
        target("kaimingUniform", t);
        double bound = Math.sqrt(3) * kaimingStd("kaimingUniform", t, a, mode, nonlinearity);
        return uniform(t, -bound, bound, generator);
    }

    /** He et al. 2015, normal: {@code N(0, gain²/fan)}. */
    public static Tensor kaimingNormal(Tensor t, double a, FanMode mode, Nonlinearity nonlinearity, Generator generator) {
        target("kaimingNormal", t);
        return normal(t, 0, kaimingStd("kaimingNormal", t, a, mode, nonlinearity), generator);
    }

    private static double kaimingStd(String op, Tensor t, double a, FanMode mode, Nonlinearity nonlinearity) {
        long[] fans = fans(t.shape());
        long fan = Objects.requireNonNull(mode, "Init." + op + ": mode is null") == FanMode.FAN_IN ? fans[0] : fans[1];
        if (fan == 0) {
            throw new IllegalArgumentException("Init." + op + ": the fan of " + t.describe() + " is 0 (a dim of size 0)");
        }
        return gain(nonlinearity, a) / Math.sqrt(fan);
    }

    /** Glorot and Bengio 2010, uniform: {@code U(±gain·√(6/(fan_in + fan_out)))}. */
    public static Tensor xavierUniform(Tensor t, double gain, Generator generator) {
        target("xavierUniform", t);
        double bound = Math.sqrt(3) * xavierStd(t, gain);
        return uniform(t, -bound, bound, generator);
    }

    /** Glorot and Bengio 2010, normal: {@code N(0, gain²·2/(fan_in + fan_out))}. */
    public static Tensor xavierNormal(Tensor t, double gain, Generator generator) {
        target("xavierNormal", t);
        return normal(t, 0, xavierStd(t, gain), generator);
    }

    private static double xavierStd(Tensor t, double gain) {
        long[] fans = fans(t.shape());
        if (fans[0] + fans[1] == 0) {
            throw new IllegalArgumentException("Init.xavier: " + t.describe() + " has no elements to scale by");
        }
        return gain * Math.sqrt(2.0 / (fans[0] + fans[1]));
    }

    /**
     * A (semi-)orthogonal matrix times {@code gain} (Saxe et al. 2013), as {@code torch.nn.init.orthogonal_}:
     * the tensor seen as {@code [rows, numel/rows]}, Q of the QR decomposition of a standard normal
     * matrix (of its transpose when rows &lt; cols), with the signs of diag(R) folded in so that Q is
     * uniformly distributed. QR runs in F64 on the host by modified Gram–Schmidt.
     */
    public static Tensor orthogonal(Tensor t, double gain, Generator generator) {
        target("orthogonal", t);
        if (t.dim() < 2) {
            throw new IllegalArgumentException("Init.orthogonal: needs at least 2 dims, got " + t.describe());
        }
        int rows = t.size(0);
        int cols = (int) (t.numel() / Math.max(rows, 1));
        if (t.numel() == 0) {
            return t;
        }
        double[] a;
        try (Tensor draw = Tensor.randn(generator(generator), DType.F64, rows, cols)) {
            a = draw.toDoubleArray();
        }
        boolean transposed = rows < cols;
        int m = Math.max(rows, cols);
        int n = Math.min(rows, cols);
        double[][] col = new double[n][m];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double v = a[r * cols + c];
                if (transposed) {
                    col[r][c] = v;
                } else {
                    col[c][r] = v;
                }
            }
        }
        double[][] q = Orthogonalization.modifiedGramSchmidt(col);
        double[] out = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = gain * (transposed ? q[r][c] : q[c][r]);
            }
        }
        try (Tensor host = Tensor.of(out, t.shape())) {
            return fill(t, host.to(t.dtype()));
        }
    }

    // ---- PyTorch's defaults ---------------------------------------------------------------------

    /**
     * PyTorch's default for Linear and Conv weights: {@code kaiming_uniform_(w, a=√5)}, which is
     * {@code U(±1/√fan_in)}; and for their bias {@code U(±1/√fan_in)} (bias may be null).
     */
    public static void defaultLayer(Tensor weight, Tensor bias, Generator generator) {
        target("defaultLayer", weight);
        kaimingUniform(weight, Math.sqrt(5), FanMode.FAN_IN, Nonlinearity.LEAKY_RELU, generator);
        if (bias != null) {
            long fanIn = fans(weight.shape())[0];
            double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
            uniform(bias, -bound, bound, generator);
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static void target(String op, Tensor t) {
        Objects.requireNonNull(t, () -> "Init." + op + ": tensor is null");
        t.checkOpen("Init." + op);
        if (!t.dtype().isFloating()) {
            throw new IllegalArgumentException("Init." + op + ": needs a floating tensor, got " + t.describe());
        }
    }

    private static Generator generator(Generator g) {
        return g == null ? Generator.global() : g;
    }

    /** Copies {@code values} (closing it) into {@code t} without recording. */
    private static Tensor fill(Tensor t, Tensor values) {
        try (var g = Autograd.noGrad(); values; Tensor moved = values.to(t.device())) {
            return t.copyFrom(moved);
        }
    }
}
