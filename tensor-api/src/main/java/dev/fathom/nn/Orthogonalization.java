package dev.fathom.nn;

/** Host-side QR for {@link Init#orthogonal}: plain F64 loops, small matrices only. */
final class Orthogonalization {
    private Orthogonalization() {
    }

    /**
     * The Q of {@code A = QR} for the n columns {@code a[j]} (each of length m ≥ n), by modified
     * Gram–Schmidt. Its R has a positive diagonal, so this Q is the unique one that PyTorch's
     * sign correction {@code Q·sign(diag R)} makes of any QR. Numerically dependent columns throw.
     */
    static double[][] modifiedGramSchmidt(double[][] a) {
        int n = a.length;
        double[][] q = new double[n][];
        for (int j = 0; j < n; j++) {
            q[j] = a[j].clone();
        }
        for (int j = 0; j < n; j++) {
            double norm = 0;
            for (double v : q[j]) {
                norm += v * v;
            }
            norm = Math.sqrt(norm);
            if (!(norm > 1e-12)) {
                throw new IllegalStateException("Init.orthogonal: the random matrix is rank-deficient at column " + j + "; draw again");
            }
            for (int i = 0; i < q[j].length; i++) {
                q[j][i] /= norm;
            }
            for (int k = j + 1; k < n; k++) {
                double r = 0;
                for (int i = 0; i < q[j].length; i++) {
                    r += q[j][i] * q[k][i];
                }
                for (int i = 0; i < q[k].length; i++) {
                    q[k][i] -= r * q[j][i];
                }
            }
        }
        return q;
    }
}
