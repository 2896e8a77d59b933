package dev.fathom.theory;

import dev.fathom.nn.Linear;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.nn.Sequential;
import dev.fathom.nn.Tanh;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Independent F64 references for the theory tests: a cyclic Jacobi eigenvalue routine, seeded
 * random orthogonal matrices, and a tiny tanh MLP with its own forward pass in plain loops (no
 * Fathom autograd). Parameter order and layout are those of {@code Sequential(Linear, Tanh,
 * Linear).parameters()}: W1 [H, D], b1 [H], W2 [K, H], b2 [K], each row-major.
 */
final class HessianFixtures {
    private HessianFixtures() {
    }

    /** {@code Linear(d, h) → Tanh → Linear(h, k)} in F64, initialized from a seeded generator. */
    static Module tanhMlp(int d, int h, int k, long seed) {
        Generator g = new Generator(seed);
        Module m = new Sequential(new Linear(d, h, true, g), new Tanh(), new Linear(h, k, true, g));
        m.to(DType.F64);
        return m;
    }

    /** The parameters flattened row-major and concatenated in order. */
    static double[] flatParameters(List<Parameter> ps) {
        return concat(ps.stream().map(p -> p.data().toDoubleArray()).toList());
    }

    /** Replaces each parameter's tensor with the matching slice of {@code theta} (Parameter.set). */
    static void setFlatParameters(List<Parameter> ps, double[] theta) {
        int offset = 0;
        for (Parameter p : ps) {
            int n = (int) p.numel();
            p.set(Tensor.of(Arrays.copyOfRange(theta, offset, offset + n), p.shape()));
            offset += n;
        }
    }

    static double[] concat(List<double[]> parts) {
        double[] out = new double[parts.stream().mapToInt(a -> a.length).sum()];
        int offset = 0;
        for (double[] a : parts) {
            System.arraycopy(a, 0, out, offset, a.length);
            offset += a.length;
        }
        return out;
    }

    /** The tanh MLP's outputs [N][K] for flat parameters theta (layout above) and inputs x [N][D], in plain loops. */
    static double[][] tanhMlpForward(double[] theta, double[][] x, int d, int h, int k) {
        int w1 = 0;
        int b1 = w1 + h * d;
        int w2 = b1 + h;
        int b2 = w2 + k * h;
        double[][] out = new double[x.length][k];
        for (int n = 0; n < x.length; n++) {
            double[] hidden = new double[h];
            for (int j = 0; j < h; j++) {
                double s = theta[b1 + j];
                for (int i = 0; i < d; i++) {
                    s += theta[w1 + j * d + i] * x[n][i];
                }
                hidden[j] = Math.tanh(s);
            }
            for (int a = 0; a < k; a++) {
                double s = theta[b2 + a];
                for (int j = 0; j < h; j++) {
                    s += theta[w2 + a * h + j] * hidden[j];
                }
                out[n][a] = s;
            }
        }
        return out;
    }

    /** Seeded standard normal matrix. */
    static double[][] gaussian(Random rng, int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) {
            for (int j = 0; j < cols; j++) {
                row[j] = rng.nextGaussian();
            }
        }
        return a;
    }

    /** A random orthogonal n×n matrix: modified Gram–Schmidt on the columns of a seeded Gaussian matrix. */
    static double[][] randomOrthogonal(int n, long seed) {
        double[][] a = gaussian(new Random(seed), n, n);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < j; i++) {
                double c = 0;
                for (int r = 0; r < n; r++) {
                    c += a[r][i] * a[r][j];
                }
                for (int r = 0; r < n; r++) {
                    a[r][j] -= c * a[r][i];
                }
            }
            double norm = 0;
            for (int r = 0; r < n; r++) {
                norm += a[r][j] * a[r][j];
            }
            norm = Math.sqrt(norm);
            for (int r = 0; r < n; r++) {
                a[r][j] /= norm;
            }
        }
        return a;
    }

    /** Q·diag(lambda)·Qᵀ. */
    static double[][] withSpectrum(double[][] q, double[] lambda) {
        int n = lambda.length;
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int m = 0; m < n; m++) {
                    s += q[i][m] * lambda[m] * q[j][m];
                }
                a[i][j] = s;
            }
        }
        return a;
    }

    static double[] multiply(double[][] a, double[] v) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            double s = 0;
            for (int j = 0; j < v.length; j++) {
                s += a[i][j] * v[j];
            }
            out[i] = s;
        }
        return out;
    }

    /**
     * Symmetric tridiagonal matrices of sizes 1, 2, 5, 17 and 40 as {diagonal, off-diagonal}, Gaussian
     * (seed 12), with a split into independent blocks and a repeated diagonal entry from size 5 on.
     */
    static List<double[][]> tridiagonalCases() {
        Random rng = new Random(12);
        List<double[][]> cases = new java.util.ArrayList<>();
        for (int n : new int[] {1, 2, 5, 17, 40}) {
            double[] d = gaussian(rng, 1, n)[0];
            double[] e = gaussian(rng, 1, Math.max(n - 1, 0))[0];
            if (n > 4) {
                e[2] = 0;
                d[3] = d[4];
            }
            cases.add(new double[][] {d, e});
        }
        return cases;
    }

    /** The dense symmetric tridiagonal matrix with diagonal d and off-diagonal e. */
    static double[][] tridiagonal(double[] d, double[] e) {
        int n = d.length;
        double[][] t = new double[n][n];
        for (int i = 0; i < n; i++) {
            t[i][i] = d[i];
            if (i + 1 < n) {
                t[i][i + 1] = e[i];
                t[i + 1][i] = e[i];
            }
        }
        return t;
    }

    /** Products of the Hessian of {@code model}'s mean squared error on {@code n} Gaussian inputs of width d and targets of width k. */
    static dev.fathom.theory.HessianVectorProduct mseHvp(Module model, Random rng, int n, int d, int k) {
        Tensor x = gaussianTensor(rng, n, d);
        Tensor y = gaussianTensor(rng, n, k);
        return dev.fathom.theory.HessianVectorProduct.of(() -> dev.fathom.nn.Functional.mseLoss(model.forward(x), y), model.parameters());
    }

    /** The whole Hessian, column by column: {@code H[:, j] = H·e_j}. */
    static double[][] assembledHessian(dev.fathom.theory.HessianVectorProduct hvp) {
        int n = (int) hvp.dimension();
        double[][] hessian = new double[n][n];
        for (int j = 0; j < n; j++) {
            double[] unit = new double[n];
            unit[j] = 1;
            double[] col = hvp.apply(unit);
            for (int i = 0; i < n; i++) {
                hessian[i][j] = col[i];
            }
        }
        return hessian;
    }

    /** A {@code [rows, cols]} F64 tensor of standard normal draws from {@code rng}. */
    static dev.fathom.tensor.Tensor gaussianTensor(Random rng, int rows, int cols) {
        return dev.fathom.tensor.Tensor.of(flatten(gaussian(rng, rows, cols)), rows, cols);
    }

    static double[] flatten(double[][] a) {
        return concat(Arrays.asList(a));
    }

    /**
     * Eigenvalues of a symmetric matrix, ascending, by the cyclic Jacobi method: sweeps of plane
     * rotations A ← Jᵀ A J that zero each off-diagonal entry in turn, until the off-diagonal mass
     * is negligible.
     */
    static double[] jacobiEigenvalues(double[][] matrix) {
        int n = matrix.length;
        double[][] a = new double[n][];
        double total = 0;
        for (int i = 0; i < n; i++) {
            a[i] = matrix[i].clone();
            for (double x : a[i]) {
                total += x * x;
            }
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    off += a[p][q] * a[p][q];
                }
            }
            if (off <= 1e-34 * total) {
                break;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (a[p][q] == 0) {
                        continue;
                    }
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int r = 0; r < n; r++) {
                        double arp = a[r][p];
                        double arq = a[r][q];
                        a[r][p] = c * arp - s * arq;
                        a[r][q] = s * arp + c * arq;
                    }
                    for (int r = 0; r < n; r++) {
                        double apr = a[p][r];
                        double aqr = a[q][r];
                        a[p][r] = c * apr - s * aqr;
                        a[q][r] = s * apr + c * aqr;
                    }
                }
            }
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = a[i][i];
        }
        Arrays.sort(d);
        return d;
    }

    static double maxAbs(double[] a) {
        double m = 0;
        for (double x : a) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    static double maxAbsDiff(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
