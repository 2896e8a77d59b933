package dev.fathom.metrics;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Tensor;

import java.util.Arrays;

/** Argument checks and tensor reading shared by the metrics; messages name the metric. */
final class Inputs {
    private Inputs() {
    }

    /** Two arrays (any element type), non-null and of one non-zero length. */
    static void sameLength(String op, Object predictions, Object labels) {
        sameLength(op, "predictions", predictions, "labels", labels);
    }

    static void sameLength(String op, String a, Object arrayA, String b, Object arrayB) {
        sameLength(op, a, length(op, a, arrayA), b, length(op, b, arrayB));
    }

    /** The length of {@code array}, which must not be null. */
    static int length(String op, String what, Object array) {
        if (array == null) {
            throw new IllegalArgumentException(op + ": " + what + " is null");
        }
        return java.lang.reflect.Array.getLength(array);
    }

    /** Both counts equal and non-zero; {@code a} and {@code b} name what is counted. */
    static void sameLength(String op, String a, int countA, String b, int countB) {
        if (countA == 0 || countB == 0) {
            throw new IllegalArgumentException(op + ": inputs are empty (" + countA + " " + a + ", " + countB + " " + b
                    + "); a metric needs at least one example");
        }
        if (countA != countB) {
            throw new IllegalArgumentException(op + ": " + countA + " " + a + " but " + countB + " " + b + "; give one per example");
        }
    }

    static void numClasses(String op, int k) {
        if (k < 1) {
            throw new IllegalArgumentException(op + ": numClasses must be >= 1, got " + k);
        }
    }

    static void classes(String op, String what, long[] values, int k) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] >= k) {
                throw new IllegalArgumentException(op + ": " + what + " " + values[i] + " at index " + i + " is outside [0, " + k + ")");
            }
        }
    }

    static void binary(String op, long[] labels) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] != 0 && labels[i] != 1) {
                throw new IllegalArgumentException(op + ": binary labels must be 0 or 1, got " + labels[i] + " at index " + i
                        + "; for more classes use the one-vs-rest overload with numClasses");
            }
        }
    }

    static void finite(String op, String what, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(op + ": " + what + " must be finite, got " + values[i] + " at index " + i);
            }
        }
    }

    /** Scores {@code [N, K]}: checks that the length is a multiple of {@code k} and returns N. */
    static int rows(String op, double[] scores, int k) {
        length(op, "scores", scores);
        numClasses(op, k);
        if (scores.length % k != 0) {
            throw new IllegalArgumentException(op + ": " + scores.length + " scores do not form rows of " + k + " classes");
        }
        return scores.length / k;
    }

    static double[] toDouble(float[] a) {
        if (a == null) {
            throw new IllegalArgumentException("metrics: scores are null");
        }
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** Class labels: an I64 tensor {@code [N]}. */
    static long[] labels(String op, Tensor labels) {
        if (labels.dtype() != DType.I64 || labels.dim() != 1) {
            throw new IllegalArgumentException(op + ": labels must be I64 class indices [N], got " + labels.describe()
                    + "; convert with labels.to(DType.I64)");
        }
        return labels.toLongArray();
    }

    /** Predicted classes: I64 {@code [N]}, or the row argmax (first maximum) of F32/F64 scores {@code [N, K]}. */
    static long[] predictedClasses(String op, Tensor predictions) {
        if (predictions.dtype() == DType.I64 && predictions.dim() == 1) {
            return predictions.toLongArray();
        }
        if ((predictions.dtype() == DType.F32 || predictions.dtype() == DType.F64) && predictions.dim() == 2) {
            return argmax(predictions.toDoubleArray(), predictions.size(1));
        }
        throw new IllegalArgumentException(op + ": predictions must be I64 classes [N] or F32/F64 scores [N, K], got "
                + predictions.describe());
    }

    /** Scores as doubles: {@code [N]} when {@code columns == 1}, else {@code [N, columns]}; returns them row-major. */
    static double[] scores(String op, Tensor scores, int dims) {
        if ((scores.dtype() != DType.F32 && scores.dtype() != DType.F64) || scores.dim() != dims) {
            throw new IllegalArgumentException(op + ": scores must be F32 or F64 of rank " + dims + ", got " + scores.describe());
        }
        return scores.toDoubleArray();
    }

    /** Values of any float dtype and shape, flattened; the shapes of the two tensors must match. */
    static double[][] pair(String op, Tensor predictions, Tensor targets) {
        if (!Arrays.equals(predictions.shape(), targets.shape())) {
            throw new IllegalArgumentException(op + ": predictions " + predictions.describe() + " and targets " + targets.describe()
                    + " must have the same shape");
        }
        for (Tensor t : new Tensor[] {predictions, targets}) {
            if (t.dtype() != DType.F32 && t.dtype() != DType.F64) {
                throw new IllegalArgumentException(op + ": predictions and targets must be F32 or F64, got " + t.describe());
            }
        }
        return new double[][] {predictions.toDoubleArray(), targets.toDoubleArray()};
    }

    static long[] argmax(double[] scores, int k) {
        int n = scores.length / k;
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < k; c++) {
                if (scores[i * k + c] > scores[i * k + best]) {
                    best = c;
                }
            }
            out[i] = best;
        }
        return out;
    }
}
