package dev.fathom.theory;

import java.util.Objects;

/**
 * Per-layer pre-activation statistics of an ensemble of randomly initialized MLPs, as measured by
 * {@link CriticalityProbe#ensemble}: the raw per-network moments and the ensemble estimates the theory
 * of {@link Criticality} predicts. Layer {@code l} is at index {@code l−1}; {@code z} is a layer's
 * pre-activation, {@code G = ‖z‖²/n} the per-sample mean square.
 *
 * @param meanSquare  {@code [networks][depth]}: each network's average of {@code z_i²} over inputs and neurons
 * @param meanGSquare {@code [networks][depth]}: each network's average of {@code G²} over inputs
 * @param meanFourth  {@code [networks][depth]}: each network's average of {@code z_i⁴} over inputs and neurons
 */
public record CriticalityStats(Criticality.Activation activation, int depth, int width, double sigmaW2, double sigmaB2,
                               int networks, int inputs, double[][] meanSquare, double[][] meanGSquare, double[][] meanFourth) {
    public CriticalityStats {
        Objects.requireNonNull(activation, "CriticalityStats: activation is null");
        Criticality.checkDepth("CriticalityStats", depth);
        Criticality.checkWidth("CriticalityStats", width);
        for (double[][] a : new double[][][] {meanSquare, meanGSquare, meanFourth}) {
            Objects.requireNonNull(a, "CriticalityStats: a moment array is null");
            if (a.length != networks || networks < 1 || java.util.Arrays.stream(a).anyMatch(row -> row.length != depth)) {
                throw new IllegalArgumentException("CriticalityStats: moments must be [networks, depth] = [" + networks + ", " + depth + "]");
            }
        }
        meanSquare = deepCopy(meanSquare);
        meanGSquare = deepCopy(meanGSquare);
        meanFourth = deepCopy(meanFourth);
    }

    /** The ensemble mean square pre-activation per layer, the estimate of the kernel {@code K⁽ˡ⁾}. */
    public double[] meanSquared() {
        return average(meanSquare);
    }

    /** The relative spread of {@link #meanSquare} across networks (standard deviation / mean) per layer. */
    public double[] spread() {
        double[] mean = meanSquared();
        double[] out = new double[depth];
        for (int l = 0; l < depth; l++) {
            double s = 0;
            for (double[] row : meanSquare) {
                s += (row[l] - mean[l]) * (row[l] - mean[l]);
            }
            out[l] = networks < 2 ? 0 : Math.sqrt(s / (networks - 1)) / mean[l];
        }
        return out;
    }

    /** {@code E[G²]/E[G]² − 1}: the normalized variance of the per-sample mean square, per layer. */
    public double[] squaredNormVariance() {
        return overSquaredMean(meanGSquare, 1);
    }

    /** {@code E[z⁴]/E[z²]² − 3}: the per-neuron normalized fourth cumulant (0 for a Gaussian), per layer. */
    public double[] fourthCumulant() {
        return overSquaredMean(meanFourth, 3);
    }

    /** Per layer, {@code E[higher]/E[z²]² − offset} (E[G²] and E[z⁴] share E[G] = E[z²]). */
    private double[] overSquaredMean(double[][] higher, double offset) {
        double[] m2 = meanSquared();
        double[] h = average(higher);
        double[] out = new double[depth];
        for (int l = 0; l < depth; l++) {
            out[l] = h[l] / (m2[l] * m2[l]) - offset;
        }
        return out;
    }

    /** {@code r = depth / width}. */
    public double aspectRatio() {
        return (double) depth / width;
    }

    /** The statistics of networks {@code [from, to)} only (for batch-means error bars). */
    public CriticalityStats subset(int from, int to) {
        if (from < 0 || to > networks || from >= to) {
            throw new IllegalArgumentException("CriticalityStats.subset: need 0 <= from < to <= " + networks + ", got [" + from + ", " + to + ")");
        }
        return new CriticalityStats(activation, depth, width, sigmaW2, sigmaB2, to - from, inputs,
                java.util.Arrays.copyOfRange(meanSquare, from, to), java.util.Arrays.copyOfRange(meanGSquare, from, to),
                java.util.Arrays.copyOfRange(meanFourth, from, to));
    }

    @Override
    public String toString() {
        return "CriticalityStats(" + activation + ", depth=" + depth + ", width=" + width + ", σ_w²=" + sigmaW2 + ", σ_b²=" + sigmaB2
                + ", networks=" + networks + ", inputs=" + inputs + ")";
    }

    private double[] average(double[][] a) {
        double[] out = new double[depth];
        for (double[] row : a) {
            for (int l = 0; l < depth; l++) {
                out[l] += row[l];
            }
        }
        for (int l = 0; l < depth; l++) {
            out[l] /= a.length;
        }
        return out;
    }

    private static double[][] deepCopy(double[][] a) {
        return java.util.Arrays.stream(a).map(double[]::clone).toArray(double[][]::new);
    }
}
