package dev.fathom.theory;

import dev.fathom.autograd.Autograd;
import dev.fathom.nn.Init;
import dev.fathom.nn.Linear;
import dev.fathom.nn.Module;
import dev.fathom.nn.ReLU;
import dev.fathom.nn.Sequential;
import dev.fathom.nn.Sigmoid;
import dev.fathom.nn.Tanh;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Measures criticality empirically: builds MLPs initialized at given {@code (σ_w², σ_b²)}, runs Fathom's
 * forward pass on random inputs and records per-layer pre-activation statistics, to set beside the
 * infinite-width predictions of {@link Criticality}.
 *
 * <pre>
 *   z⁽¹⁾ = W⁽¹⁾x + b⁽¹⁾,   z⁽ˡ⁺¹⁾ = W⁽ˡ⁺¹⁾ φ(z⁽ˡ⁾) + b⁽ˡ⁺¹⁾,   W_ij ~ N(0, σ_w²/n),  b_i ~ N(0, σ_b²)
 *   measured per layer:  ⟨z²⟩ (≈ K⁽ˡ⁾),  ⟨G²⟩ with G = ‖z‖²/n,  ⟨z⁴⟩
 * </pre>
 * Inputs lie on the sphere of radius √n₀ ({@link #sphereInputs}), so every input has {@code q₀ = ‖x‖²/n₀ = 1}.
 *
 * <pre>{@code
 * Generator g = new Generator(7);
 * try (Sequential net = CriticalityProbe.mlp(Activation.RELU, 20, 512, 2.0, 0.0, g);
 *      Tensor x = CriticalityProbe.sphereInputs(256, 512, g)) {
 *     double[] k = CriticalityProbe.meanSquaredPreactivations(net, x);   // ≈ 2.0 at every layer
 * }
 * CriticalityStats s = CriticalityProbe.ensemble(Activation.RELU, 8, 64, 2.0, 0.0, 2000, 8, g);
 * s.fourthCumulant();   // ≈ 3((1 + 5/n)^(l−1) − 1): grows with l/n
 * }</pre>
 *
 * <p>References: Poole et al. 2016; Schoenholz et al. 2017; Roberts, Yaida &amp; Hanin 2022 (see
 * {@link Criticality}). Draws all randomness from the given Philox {@link Generator}, so a seed
 * reproduces a measurement on every backend.
 */
public final class CriticalityProbe {
    /** Networks evaluated together by {@link #ensemble} (bounds its memory to about chunk·n² floats per layer). */
    private static final int CHUNK = 256;

    private CriticalityProbe() {
    }

    /**
     * A depth-{@code depth} MLP {@code Linear(n, n) → φ → … → Linear(n, n)} (no activation after the
     * last layer) with F32 weights {@code N(0, σ_w²/n)} and biases {@code N(0, σ_b²)} drawn from {@code generator}.
     */
    public static Sequential mlp(Criticality.Activation phi, int depth, int width, double sigmaW2, double sigmaB2, Generator generator) {
        String op = "CriticalityProbe.mlp";
        Criticality.checkInit(op, phi, sigmaW2, sigmaB2);
        Criticality.checkDepth(op, depth);
        Criticality.checkWidth(op, width);
        Objects.requireNonNull(generator, op + ": generator is null");
        List<Module> layers = new ArrayList<>();
        for (int l = 0; l < depth; l++) {
            Linear linear = new Linear(width, width, true, generator);
            Init.normal(linear.weight().data(), 0, Math.sqrt(sigmaW2 / width), generator);
            Init.normal(linear.bias().data(), 0, Math.sqrt(sigmaB2), generator);
            layers.add(linear);
            if (l + 1 < depth) {
                switch (phi) {
                    case RELU -> layers.add(new ReLU());
                    case TANH -> layers.add(new Tanh());
                    case SIGMOID -> layers.add(new Sigmoid());
                    case LINEAR -> { }
                }
            }
        }
        return new Sequential(layers.toArray(Module[]::new));
    }

    /** {@code count} F32 rows of length {@code dim} uniform on the sphere of radius √dim (mean square exactly 1). */
    public static Tensor sphereInputs(int count, int dim, Generator generator) {
        Objects.requireNonNull(generator, "CriticalityProbe.sphereInputs: generator is null");
        if (count < 1 || dim < 1) {
            throw new IllegalArgumentException("CriticalityProbe.sphereInputs: count and dim must be >= 1, got " + count + " and " + dim);
        }
        return sphere(generator, count, dim);
    }

    /**
     * The mean square pre-activation {@code ⟨z²⟩} (over inputs and neurons) after each {@link Linear} of
     * {@code network}, for {@code inputs [B, in_features]}; runs without recording a graph.
     */
    public static double[] meanSquaredPreactivations(Sequential network, Tensor inputs) {
        String op = "CriticalityProbe.meanSquaredPreactivations";
        Objects.requireNonNull(network, op + ": network is null");
        Objects.requireNonNull(inputs, op + ": inputs is null");
        inputs.checkOpen(op);
        if (inputs.dim() != 2 || inputs.size(0) < 1) {
            throw new IllegalArgumentException(op + ": inputs must be [B, in_features] with B >= 1, got " + Shape.format(inputs.shape()));
        }
        List<Double> out = new ArrayList<>();
        try (var g = Autograd.noGrad(); Scope s = Scope.open()) {
            Tensor x = inputs;
            for (int i = 0; i < network.size(); i++) {
                Module m = network.get(i);
                x = m.forward(x);
                if (m instanceof Linear) {
                    out.add(x.mul(x).mean().itemDouble());
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(op + ": the network has no Linear layer to measure");
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * Per-layer statistics of {@code networks} independently initialized depth-{@code depth}, width-
     * {@code width} MLPs (as {@link #mlp}, input dimension {@code width}), each fed {@code inputs}
     * random sphere inputs of its own. Networks run side by side as batched matmuls
     * {@code [c, B, n] @ [c, n, n]} (chunks of 256), which is the same forward pass as {@code networks}
     * separate {@link #mlp}s but without the per-module overhead.
     */
    public static CriticalityStats ensemble(Criticality.Activation phi, int depth, int width, double sigmaW2, double sigmaB2,
                                            int networks, int inputs, Generator generator) {
        String op = "CriticalityProbe.ensemble";
        Criticality.checkInit(op, phi, sigmaW2, sigmaB2);
        Criticality.checkDepth(op, depth);
        Criticality.checkWidth(op, width);
        Objects.requireNonNull(generator, op + ": generator is null");
        if (networks < 1 || inputs < 1) {
            throw new IllegalArgumentException(op + ": networks and inputs must be >= 1, got " + networks + " and " + inputs);
        }
        double[][] m2 = new double[networks][depth];
        double[][] g2 = new double[networks][depth];
        double[][] m4 = new double[networks][depth];
        double wStd = Math.sqrt(sigmaW2 / width);
        double bStd = Math.sqrt(sigmaB2);
        try (var g = Autograd.noGrad()) {
            for (int start = 0; start < networks; start += CHUNK) {
                int c = Math.min(CHUNK, networks - start);
                try (Scope s = Scope.open()) {
                    Tensor a = sphere(generator, c * inputs, width).reshape(c, inputs, width);
                    for (int l = 0; l < depth; l++) {
                        try (Scope layer = Scope.open()) {
                            Tensor w = Tensor.normal(0, wStd, DType.F32, generator, c, width, width);
                            Tensor z = a.matmul(w.transpose(1, 2));
                            if (bStd > 0) {
                                z = z.add(Tensor.normal(0, bStd, DType.F32, generator, c, 1, width));
                            }
                            Tensor z2 = z.mul(z);
                            Tensor gs = z2.mean(2);                                         // [c, B]: G per sample
                            double[] sq = z2.mean(1, 2).toDoubleArray();
                            double[] gsq = gs.mul(gs).mean(1).toDoubleArray();
                            double[] fourth = z2.mul(z2).mean(1, 2).toDoubleArray();
                            for (int k = 0; k < c; k++) {
                                m2[start + k][l] = sq[k];
                                g2[start + k][l] = gsq[k];
                                m4[start + k][l] = fourth[k];
                            }
                            a = l + 1 < depth ? layer.keep(phi.apply(z).contiguous()) : a;
                        }
                    }
                }
            }
        }
        return new CriticalityStats(phi, depth, width, sigmaW2, sigmaB2, networks, inputs, m2, g2, m4);
    }

    /** Rows of a standard normal draw, each rescaled to norm √dim. */
    private static Tensor sphere(Generator generator, int rows, int dim) {
        return Scope.intermediates(() -> {
            Tensor x = Tensor.randn(generator, DType.F32, rows, dim);
            Tensor norm = x.mul(x).mean(new int[] {1}, true).sqrt();
            return x.div(norm);
        });
    }
}
