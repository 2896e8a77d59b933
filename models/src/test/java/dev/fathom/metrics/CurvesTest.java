package dev.fathom.metrics;

import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.apache.commons.math3.stat.inference.MannWhitneyUTest;
import org.apache.commons.math3.stat.ranking.NaNStrategy;
import org.apache.commons.math3.stat.ranking.NaturalRanking;
import org.apache.commons.math3.stat.ranking.TiesStrategy;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ROC and precision-recall curves, ROC AUC and average precision. */
class CurvesTest {
    private static final double EPS = 1e-12;
    /** scikit-learn's documented example for roc_curve and precision_recall_curve. */
    private static final double[] SCORES = {0.1, 0.4, 0.35, 0.8};
    private static final long[] LABELS = {0, 0, 1, 1};

    @Test
    void rocCurveOfTheScikitLearnExample() {
        // Thresholds down: 0.8 catches one positive (tpr 1/2), 0.4 a negative (fpr 1/2), 0.35 the other positive, 0.1 the rest.
        RocCurve roc = RocCurve.of(SCORES, LABELS);
        assertArrayEquals(new double[] {0, 0, 0.5, 0.5, 1}, roc.fpr(), EPS);
        assertArrayEquals(new double[] {0, 0.5, 0.5, 1, 1}, roc.tpr(), EPS);
        assertArrayEquals(new double[] {Double.POSITIVE_INFINITY, 0.8, 0.4, 0.35, 0.1}, roc.thresholds(), EPS);
        // Area: 0.5 wide at height 1/2 and 0.5 wide at height 1.
        assertEquals(0.75, roc.auc(), EPS);
        assertEquals(0.75, RocCurve.auc(SCORES, LABELS), EPS);
    }

    @Test
    void collinearPointsAreDropped() {
        // (fp, tp) after each threshold: (0,1) (0,2) (0,3) (1,3); (0,2) lies on the line from (0,1) to (0,3).
        RocCurve roc = RocCurve.of(new double[] {0.9, 0.8, 0.7, 0.1}, new long[] {1, 1, 1, 0});
        assertArrayEquals(new double[] {Double.POSITIVE_INFINITY, 0.9, 0.7, 0.1}, roc.thresholds(), EPS);
        assertArrayEquals(new double[] {0, 1.0 / 3, 1, 1}, roc.tpr(), EPS);
        assertEquals(1.0, roc.auc(), EPS);
    }

    @Test
    void tiesCountHalf() {
        // Positive pairs (pos > neg): 0.9 beats both negatives (2); 0.6 beats 0.2 (1) and ties 0.6 (1/2): AUC = 3.5/4.
        double[] scores = {0.2, 0.6, 0.6, 0.9};
        long[] labels = {0, 0, 1, 1};
        assertEquals(0.875, RocCurve.auc(scores, labels), EPS);
        RocCurve all = RocCurve.of(new double[] {0.5, 0.5, 0.5, 0.5}, new long[] {0, 1, 0, 1});
        assertArrayEquals(new double[] {0, 1}, all.fpr(), EPS);
        assertArrayEquals(new double[] {0, 1}, all.tpr(), EPS);
        assertEquals(0.5, all.auc(), EPS);
        assertEquals(0.875, RocCurve.auc(new float[] {0.2f, 0.6f, 0.6f, 0.9f}, labels), EPS);
    }

    /** AUC = U / (n1 · n0), U the Mann–Whitney statistic of the positives' scores (average ranks for ties). */
    @Test
    void aucIsTheMannWhitneyStatistic() {
        Random r = new Random(12);
        for (int trial = 0; trial < 20; trial++) {
            int n = 5 + r.nextInt(200);
            double[] scores = new double[n];
            long[] labels = new long[n];
            int n1 = 0;
            for (int i = 0; i < n; i++) {
                labels[i] = i < 2 ? i : r.nextInt(3) == 0 ? 1 : 0;
                // coarse scores, so that ties are common; positives a little higher
                scores[i] = Math.round((r.nextGaussian() + 0.7 * labels[i]) * 4) / 4.0;
                n1 += (int) labels[i];
            }
            int n0 = n - n1;
            double[] pos = new double[n1];
            double[] neg = new double[n0];
            for (int i = 0, p = 0, q = 0; i < n; i++) {
                if (labels[i] == 1) {
                    pos[p++] = scores[i];
                } else {
                    neg[q++] = scores[i];
                }
            }
            double[] ranks = new NaturalRanking(NaNStrategy.FIXED, TiesStrategy.AVERAGE).rank(scores);
            double rankSum = 0;
            for (int i = 0; i < n; i++) {
                rankSum += labels[i] == 1 ? ranks[i] : 0;
            }
            double u = rankSum - n1 * (n1 + 1) / 2.0;
            double auc = RocCurve.auc(scores, labels);
            assertEquals(u / ((double) n1 * n0), auc, 1e-12, "trial " + trial);
            // Commons Math's mannWhitneyU returns max(U1, U2).
            double uMax = new MannWhitneyUTest().mannWhitneyU(pos, neg);
            assertEquals(uMax / ((double) n1 * n0), Math.max(auc, 1 - auc), 1e-12, "trial " + trial);
        }
    }

    /*
     * labels 0 1 2 2, scores per row:
     *   r0 0.6 0.2 0.2 | r1 0.3 0.5 0.2 | r2 0.2 0.3 0.5 | r3 0.1 0.6 0.3
     * class 0: positive 0.6 beats negatives 0.3 0.2 0.1 -> 1
     * class 1: positive 0.5 beats 0.2 and 0.3, not 0.6 -> 2/3
     * class 2: positives 0.5 0.3 beat negatives 0.2 0.2 -> 1
     * macro (1 + 2/3 + 1)/3 = 8/9; weighted (1·1 + 1·2/3 + 2·1)/4 = 11/12
     * micro: positives 0.6 0.5 0.5 0.3 against the 8 other cells 0.2 0.2 0.3 0.2 0.2 0.3 0.1 0.6:
     *   0.6 -> 7 + 1/2, 0.5 -> 7, 0.5 -> 7, 0.3 -> 5 + 2/2  = 27.5 / 32
     */
    private static final double[] OVR_SCORES = {0.6, 0.2, 0.2, 0.3, 0.5, 0.2, 0.2, 0.3, 0.5, 0.1, 0.6, 0.3};
    private static final long[] OVR_LABELS = {0, 1, 2, 2};

    @Test
    void oneVsRestAverages() {
        assertEquals(8.0 / 9, RocCurve.aucOneVsRest(OVR_SCORES, 3, OVR_LABELS, Average.MACRO), EPS);
        assertEquals(11.0 / 12, RocCurve.aucOneVsRest(OVR_SCORES, 3, OVR_LABELS, Average.WEIGHTED), EPS);
        assertEquals(27.5 / 32, RocCurve.aucOneVsRest(OVR_SCORES, 3, OVR_LABELS, Average.MICRO), EPS);
        try (Scope s = Scope.open()) {
            assertEquals(8.0 / 9, RocCurve.aucOneVsRest(Tensor.of(OVR_SCORES, 4, 3), Tensor.of(OVR_LABELS), Average.MACRO), EPS);
        }
        String m = assertThrows(IllegalArgumentException.class,
                () -> RocCurve.aucOneVsRest(OVR_SCORES, 3, new long[] {0, 0, 2, 2}, Average.MACRO)).getMessage();
        assertTrue(m.contains("class 1 never occurs"), m);
        // Every label is class 0: the class that is missing is named, not class 0's want of negatives.
        m = assertThrows(IllegalArgumentException.class,
                () -> RocCurve.aucOneVsRest(new double[] {0.9, 0.1, 0.8, 0.2}, 2, new long[] {0, 0}, Average.MACRO)).getMessage();
        assertEquals("RocCurve.aucOneVsRest: class 1 never occurs in the labels, so its one-vs-rest score is undefined; use Average.MICRO or "
                + "drop the class", m);
        m = assertThrows(IllegalArgumentException.class, () -> RocCurve.aucOneVsRest(OVR_SCORES, 3, OVR_LABELS, null)).getMessage();
        assertEquals("RocCurve.aucOneVsRest: average is null; pass Average.MACRO, MICRO or WEIGHTED", m);
    }

    @Test
    void precisionRecallCurveOfTheScikitLearnExample() {
        PrecisionRecallCurve pr = PrecisionRecallCurve.of(SCORES, LABELS);
        assertArrayEquals(new double[] {0.5, 2.0 / 3, 0.5, 1, 1}, pr.precision(), EPS);
        assertArrayEquals(new double[] {1, 1, 0.5, 0.5, 0}, pr.recall(), EPS);
        assertArrayEquals(new double[] {0.1, 0.35, 0.4, 0.8}, pr.thresholds(), EPS);
        // From the top: 0.8 adds recall 1/2 at precision 1; 0.4 adds none; 0.35 adds 1/2 at precision 2/3: 1/2 + 1/3.
        assertEquals(5.0 / 6, pr.averagePrecision(), EPS);
        assertEquals(5.0 / 6, PrecisionRecallCurve.averagePrecision(SCORES, LABELS), EPS);
    }

    @Test
    void averagePrecisionWithTies() {
        // scores 0.9 0.5 0.5 0.1, labels 1 0 1 0: threshold 0.9 -> P 1 R 1/2; 0.5 -> P 2/3 R 1; 0.1 -> no new recall.
        assertEquals(0.5 + 0.5 * 2 / 3, PrecisionRecallCurve.averagePrecision(new double[] {0.9, 0.5, 0.5, 0.1}, new long[] {1, 0, 1, 0}),
                EPS);
        // A perfect ranking has AP 1.
        assertEquals(1.0, PrecisionRecallCurve.averagePrecision(new float[] {0.1f, 0.8f, 0.9f}, new long[] {0, 1, 1}), EPS);
        /*
         * One-vs-rest on OVR_SCORES: class 0: the positive scores highest -> 1; class 1 (column 0.2 0.5 0.3 0.6): 0.6 (neg)
         * then 0.5 (pos) -> P 1/2 at R 1 -> 1/2; class 2 (column 0.2 0.2 0.5 0.3): both positives on top -> 1.
         * Macro = (1 + 1/2 + 1)/3 = 5/6; weighted by support 1, 1, 2: (1 + 1/2 + 2)/4 = 7/8.
         */
        assertEquals(7.0 / 8, PrecisionRecallCurve.averagePrecisionOneVsRest(OVR_SCORES, 3, OVR_LABELS, Average.WEIGHTED), EPS);
        assertEquals(5.0 / 6, PrecisionRecallCurve.averagePrecisionOneVsRest(OVR_SCORES, 3, OVR_LABELS, Average.MACRO), EPS);
    }

    @Test
    void tensorInputs() {
        try (Scope s = Scope.open()) {
            Tensor scores = Tensor.of(new float[] {0.1f, 0.4f, 0.35f, 0.8f});
            Tensor labels = Tensor.of(LABELS);
            assertEquals(0.75, RocCurve.auc(scores, labels), 1e-7);
            assertEquals(5.0 / 6, PrecisionRecallCurve.averagePrecision(scores, labels), 1e-7);
            String m = assertThrows(IllegalArgumentException.class, () -> RocCurve.auc(labels, labels)).getMessage();
            assertTrue(m.contains("scores must be F32 or F64"), m);
        }
    }

    @Test
    void undefinedCasesAreRejected() {
        String m = assertThrows(IllegalArgumentException.class, () -> RocCurve.auc(new double[] {0.1, 0.2}, new long[] {1, 1})).getMessage();
        assertTrue(m.contains("only one class (1)"), m);
        m = assertThrows(IllegalArgumentException.class, () -> PrecisionRecallCurve.of(new double[] {0.1, 0.2}, new long[] {0, 0}))
                .getMessage();
        assertTrue(m.contains("no positive labels"), m);
        m = assertThrows(IllegalArgumentException.class, () -> RocCurve.auc(new double[] {0.1, 0.2}, new long[] {0, 2})).getMessage();
        assertTrue(m.contains("binary labels must be 0 or 1, got 2 at index 1"), m);
        m = assertThrows(IllegalArgumentException.class, () -> RocCurve.auc(new double[] {0.1, Double.NaN}, new long[] {0, 1})).getMessage();
        assertTrue(m.contains("scores must be finite, got NaN at index 1"), m);
        m = assertThrows(IllegalArgumentException.class, () -> RocCurve.auc(new double[] {0.1}, new long[] {0, 1})).getMessage();
        assertTrue(m.contains("1 scores but 2 labels"), m);
        assertThrows(IllegalArgumentException.class, () -> RocCurve.trapezoid(new double[] {1, 0}, new double[] {0, 1}));
        assertEquals(0.5, RocCurve.trapezoid(new double[] {0, 1}, new double[] {0, 1}), EPS);
    }
}
