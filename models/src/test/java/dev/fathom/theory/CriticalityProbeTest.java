package dev.fathom.theory;

import dev.fathom.nn.Sequential;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;
import dev.fathom.theory.Criticality.Activation;
import org.junit.jupiter.api.Test;

import static dev.fathom.theory.TheoryAssertions.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real networks at initialization against the recursions and the exact finite-width ReLU law. */
class CriticalityProbeTest {

    /** The exact law for a zero-bias ReLU net at σ_w² = 2 (see the class comment): Var[G_l]/E[G_l]² for one input. */
    private static double exactSquaredNormVariance(int l, int n) {
        return (1 + 2.0 / n) * Math.pow(1 + 5.0 / n, l - 1) - 1;
    }

    @Test
    void wideDeepReluKeepsItsVarianceAtCriticalityAndHalvesItBelow() {
        // A width-512, depth-20 ReLU MLP on unit-mean-square inputs. Recursion: K_l = 2 at σ_w² = 2, K_l = 2^-(l-1) at σ_w² = 1.
        // Band: E[G_l] = K_l exactly for zero-bias ReLU, and the per-network average over inputs has a variance at most that
        // of one input's G_l, i.e. exactSquaredNormVariance(l, 512)·K_l² (0.45·K at l = 20: r = L/n = 0.04 still shows).
        // With S independent networks, 4 standard deviations is 4·√(that/S).
        int depth = 20;
        int width = 512;
        int seeds = 6;
        int batch = 32;
        double[] critical = Criticality.kernels(Activation.RELU, 2, 0, 1, depth);
        double[] ordered = Criticality.kernels(Activation.RELU, 1, 0, 1, depth);
        double[] meanRatio = new double[depth];
        double worstScaling = 0;
        for (int s = 0; s < seeds; s++) {
            double[] k2;
            double[] k1;
            // the same seed draws the same standard normals, scaled by σ_w: z_l(σ_w² = 1) = 2^(-l/2)·z_l(σ_w² = 2) exactly
            try (Sequential net = CriticalityProbe.mlp(Activation.RELU, depth, width, 2, 0, new Generator(100 + s));
                 Tensor x = CriticalityProbe.sphereInputs(batch, width, new Generator(900 + s))) {
                k2 = CriticalityProbe.meanSquaredPreactivations(net, x);
            }
            try (Sequential net = CriticalityProbe.mlp(Activation.RELU, depth, width, 1, 0, new Generator(100 + s));
                 Tensor x = CriticalityProbe.sphereInputs(batch, width, new Generator(900 + s))) {
                k1 = CriticalityProbe.meanSquaredPreactivations(net, x);
            }
            for (int l = 0; l < depth; l++) {
                meanRatio[l] += k2[l] / critical[l] / seeds;
                worstScaling = Math.max(worstScaling, Math.abs(k1[l] / k2[l] / Math.pow(2, -(l + 1)) - 1));
            }
        }
        double worst = 0;
        for (int l = 1; l <= depth; l++) {
            double band = 4 * Math.sqrt(exactSquaredNormVariance(l, width) / seeds);
            worst = Math.max(worst, Math.abs(meanRatio[l - 1] - 1) / band);
            assertEquals(1, meanRatio[l - 1], band, "σ_w² = 2, layer " + l + ": measured K / recursion");
            assertEquals(ordered[l - 1], critical[l - 1] * Math.pow(2, -l), 1e-12 * ordered[l - 1]);
        }
        assertTrue(worstScaling <= 1e-5, "F32 rounding only: " + worstScaling);
    }

    @Test
    void reluFluctuationsGrowWithTheAspectRatio() {
        // An ensemble of zero-bias ReLU nets at σ_w² = 2. For one input, given layer l the next pre-activations are
        // N(0, s²_{l+1}) with s²_{l+1} = s²_l·(2/n)·χ²_B, B ~ Binomial(n, 1/2) independent of s² (Hanin & Nica's product law),
        // so E[s⁴_l]/E[s²_l]² = (1 + 5/n)^(l−1): the 4th cumulant is 3((1 + 5/n)^(l−1) − 1) and Var[G]/E[G]² =
        // (1 + 2/n)(1 + 5/n)^(l−1) − 1, i.e. 15·l/n and 5·l/n at small r = l/n. Error bars by batch means over 10 groups.
        int width = 32;
        int depth = 6;
        int networks = 3000;
        int groups = 10;
        CriticalityStats s = CriticalityProbe.ensemble(Activation.RELU, depth, width, 2, 0, networks, 4, new Generator(5));
        double[] kappa = s.fourthCumulant();
        double[] var = s.squaredNormVariance();
        double[][] groupKappa = new double[groups][];
        double[][] groupVar = new double[groups][];
        for (int g = 0; g < groups; g++) {
            CriticalityStats part = s.subset(g * networks / groups, (g + 1) * networks / groups);
            groupKappa[g] = part.fourthCumulant();
            groupVar[g] = part.squaredNormVariance();
        }
        double[] leading = Criticality.fourthCumulant(Activation.RELU, 2, 0, 1, depth, width);
        for (int l = 1; l <= depth; l++) {
            double exactKappa = 3 * (Math.pow(1 + 5.0 / width, l - 1) - 1);
            double exactVar = exactSquaredNormVariance(l, width);
            double seKappa = standardError(groupKappa, l - 1);
            double seVar = standardError(groupVar, l - 1);
            assertEquals(exactKappa, kappa[l - 1], 4 * seKappa + 0.02, "4th cumulant at layer " + l);
            assertEquals(exactVar, var[l - 1], 4 * seVar + 0.01, "squared-norm variance at layer " + l);
        }
        // growth ∝ r: the leading-order law is exact at l = 2 and the measurement follows it there; deeper, the
        // fluctuations keep growing (faster than linearly, as (1 + 5/n)^l).
        assertEquals(leading[1], kappa[1], 4 * standardError(groupKappa, 1) + 0.02);
        for (int l = 2; l < depth; l++) {
            assertTrue(kappa[l] > kappa[l - 1] && var[l] > var[l - 1], "fluctuations grow with depth at layer " + (l + 1));
        }
        assertEquals(2, s.meanSquared()[depth - 1], 0.1, "the mean stays at K = 2 while the fluctuations grow");
    }

    @Test
    void badInputIsRejectedWithTheOpTheValuesAndAFix() {
        Generator g = new Generator(1);
        assertMessage(IllegalArgumentException.class, () -> CriticalityProbe.mlp(Activation.RELU, 0, 8, 2, 0, g),
                "CriticalityProbe.mlp", "depth must be >= 1 (the number of layers), got 0");
        assertMessage(IllegalArgumentException.class, () -> CriticalityProbe.mlp(Activation.RELU, 3, 0, 2, 0, g),
                "width must be >= 1 (neurons per hidden layer), got 0");
        assertMessage(IllegalArgumentException.class, () -> CriticalityProbe.ensemble(Activation.TANH, 3, 8, -1, 0, 4, 4, g),
                "CriticalityProbe.ensemble", "σ_w² -1.0");
        assertMessage(IllegalArgumentException.class, () -> CriticalityProbe.ensemble(Activation.TANH, 3, 8, 1, 0, 0, 4, g),
                "networks and inputs must be >= 1, got 0 and 4");
        assertMessage(IllegalArgumentException.class, () -> CriticalityProbe.sphereInputs(0, 8, g), "count and dim must be >= 1");
        assertThrows(NullPointerException.class, () -> CriticalityProbe.mlp(null, 3, 8, 2, 0, g));
        assertThrows(NullPointerException.class, () -> CriticalityProbe.ensemble(Activation.RELU, 3, 8, 2, 0, 4, 4, null));
        try (Sequential net = CriticalityProbe.mlp(Activation.TANH, 2, 8, 1, 0, g); Tensor bad = Tensor.zeros(8)) {
            assertMessage(IllegalArgumentException.class, () -> CriticalityProbe.meanSquaredPreactivations(net, bad),
                    "inputs must be [B, in_features]", "[8]");
        }
    }

    private static double standardError(double[][] groups, int l) {
        double mean = 0;
        for (double[] g : groups) {
            mean += g[l] / groups.length;
        }
        double ss = 0;
        for (double[] g : groups) {
            ss += (g[l] - mean) * (g[l] - mean);
        }
        return Math.sqrt(ss / (groups.length - 1) / groups.length);
    }
}
