/**
 * Classification and regression metrics, computed on the host in double precision.
 *
 * <ul>
 *   <li>{@link dev.fathom.metrics.Classification}: accuracy, top-k accuracy, precision, recall and
 *       F1 with {@link dev.fathom.metrics.Average macro, micro or weighted} averaging.</li>
 *   <li>{@link dev.fathom.metrics.ConfusionMatrix}: counts (rows actual, columns predicted), the
 *       per-class precision/recall/F1 behind the averages, and a readable table.</li>
 *   <li>{@link dev.fathom.metrics.RocCurve} and {@link dev.fathom.metrics.PrecisionRecallCurve}:
 *       the curves, ROC AUC (binary and one-vs-rest) and average precision (PR-AUC).</li>
 *   <li>{@link dev.fathom.metrics.Regression}: MSE, RMSE, MAE, R².</li>
 *   <li>{@link dev.fathom.metrics.GanScore}: how a classifier sees generated samples (mean top-class
 *       confidence, classes covered, an Inception-score analogue).</li>
 * </ul>
 *
 * <p>Conventions: arguments come as {@code (predictions, labels)} (PyTorch's
 * {@code (preds, target)} order); class labels are {@code long} indices in {@code [0, numClasses)};
 * scores for {@code K} classes are row-major {@code [N, K]}. Every metric takes Java arrays, and
 * has an overload taking tensors that reads them with {@code toLongArray}/{@code toDoubleArray}
 * (so it syncs with the device and creates no tensors). Definitions follow scikit-learn, including
 * its edge cases (a 0/0 precision or recall is 0; macro averages run over the classes that occur
 * in the labels or the predictions; curves have one point per distinct threshold, so ties count
 * once; R² of constant targets is 1 for a perfect fit, else 0). Empty inputs, mismatched lengths,
 * labels out of range and non-finite scores are rejected with {@link IllegalArgumentException}.
 *
 * <p>Depends on {@code dev.fathom.tensor} only; everything here is stateless or immutable.
 */
package dev.fathom.metrics;
