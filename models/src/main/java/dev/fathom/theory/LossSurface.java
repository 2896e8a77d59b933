package dev.fathom.theory;

import java.util.Objects;

/**
 * The loss over a plane through parameter space, as {@link LossLandscape#plane} returns it:
 * {@code losses[i][j] = L(θ* + alphas[i]·d₁ + betas[j]·d₂)}. A NaN or infinite loss is kept as it
 * was measured. The arrays are copied in and out.
 *
 * @param alphas the steps along d₁ (rows of {@code losses})
 * @param betas  the steps along d₂ (columns of {@code losses})
 * @param losses {@code [alphas.length][betas.length]}
 */
public record LossSurface(double[] alphas, double[] betas, double[][] losses) {
    public LossSurface {
        Objects.requireNonNull(alphas, "LossSurface: alphas is null");
        Objects.requireNonNull(betas, "LossSurface: betas is null");
        Objects.requireNonNull(losses, "LossSurface: losses is null");
        if (losses.length != alphas.length) {
            throw new IllegalArgumentException("LossSurface: " + alphas.length + " alphas but " + losses.length + " rows of losses; pass one row per alpha");
        }
        double[][] rows = new double[losses.length][];
        for (int i = 0; i < losses.length; i++) {
            Objects.requireNonNull(losses[i], "LossSurface: row " + i + " of losses is null");
            if (losses[i].length != betas.length) {
                throw new IllegalArgumentException("LossSurface: row " + i + " of losses has " + losses[i].length + " entries but there are "
                        + betas.length + " betas; pass one loss per (alpha, beta)");
            }
            rows[i] = losses[i].clone();
        }
        alphas = alphas.clone();
        betas = betas.clone();
        losses = rows;
    }

    @Override
    public double[] alphas() {
        return alphas.clone();
    }

    @Override
    public double[] betas() {
        return betas.clone();
    }

    @Override
    public double[][] losses() {
        double[][] rows = new double[losses.length][];
        for (int i = 0; i < losses.length; i++) {
            rows[i] = losses[i].clone();
        }
        return rows;
    }

    /** The loss at {@code (alphas[i], betas[j])}. */
    public double at(int i, int j) {
        if (i < 0 || i >= alphas.length || j < 0 || j >= betas.length) {
            throw new IndexOutOfBoundsException("LossSurface.at: (" + i + ", " + j + ") is outside the " + alphas.length + " x " + betas.length
                    + " grid of alphas by betas");
        }
        return losses[i][j];
    }
}
