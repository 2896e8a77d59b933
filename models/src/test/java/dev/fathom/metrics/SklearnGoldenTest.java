package dev.fathom.metrics;

import dev.fathom.data.SplitMix64;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every metric against scikit-learn on a few hundred examples with many ties. The inputs come from
 * SplitMix64 with the same double arithmetic as models/src/test/python/sklearn_golden.py, which
 * printed the constants below (regenerate them with it; don't edit them by hand).
 */
class SklearnGoldenTest {
    private static final double EPS = 1e-12;

    // scikit-learn 1.2.1, numpy 1.24.2
    static final double BINARY_ROC_AUC = 0.6418578904991948;
    static final double BINARY_AP = 0.6057916726041678;
    static final double[] BINARY_FPR = {
        0.0, 0.06481481481481481, 0.1388888888888889, 0.21296296296296297, 0.25, 0.3333333333333333,
        0.39814814814814814, 0.39814814814814814, 0.4722222222222222, 0.5, 0.5462962962962963, 0.5555555555555556,
        0.6203703703703703, 0.6666666666666666, 0.7407407407407407, 0.7592592592592593, 0.8055555555555556, 0.8425925925925926,
        0.9074074074074074, 0.9629629629629629, 1.0};
    static final double[] BINARY_TPR = {
        0.0, 0.2608695652173913, 0.29347826086956524, 0.391304347826087, 0.44565217391304346, 0.4891304347826087,
        0.5108695652173914, 0.5760869565217391, 0.6413043478260869, 0.6630434782608695, 0.6847826086956522, 0.75,
        0.7608695652173914, 0.782608695652174, 0.8369565217391305, 0.9130434782608695, 1.0, 1.0,
        1.0, 1.0, 1.0};
    static final double[] BINARY_THRESHOLDS_AFTER_FIRST = {
        1.0, 0.95, 0.9, 0.85, 0.8, 0.75,
        0.7, 0.65, 0.6, 0.55, 0.5, 0.45,
        0.4, 0.35, 0.3, 0.25, 0.2, 0.15,
        0.1, 0.0};
    static final double[] BINARY_PR_PRECISION = {
        0.46, 0.46464646464646464, 0.46938775510204084, 0.4842105263157895, 0.5027322404371585, 0.5139664804469274,
        0.5060240963855421, 0.49044585987261147, 0.5, 0.5109489051094891, 0.5348837209302325, 0.5163934426229508,
        0.5304347826086957, 0.5363636363636364, 0.5520833333333334, 0.5222222222222223, 0.5555555555555556, 0.6029411764705882,
        0.6101694915254238, 0.6428571428571429, 0.7741935483870968, 1.0};
    static final double[] BINARY_PR_RECALL = {
        1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
        0.9130434782608695, 0.8369565217391305, 0.782608695652174, 0.7608695652173914, 0.75, 0.6847826086956522,
        0.6630434782608695, 0.6413043478260869, 0.5760869565217391, 0.5108695652173914, 0.4891304347826087, 0.44565217391304346,
        0.391304347826087, 0.29347826086956524, 0.2608695652173913, 0.0};
    static final double[] BINARY_PR_THRESHOLDS = {
        0.0, 0.05, 0.1, 0.15, 0.2, 0.25,
        0.3, 0.35, 0.4, 0.45, 0.5, 0.55,
        0.6, 0.65, 0.7, 0.75, 0.8, 0.85,
        0.9, 0.95, 1.0};
    static final double MC_ACCURACY = 0.5266666666666666;
    static final double MC_TOP2 = 0.7333333333333333;
    static final double MC_PRECISION_MACRO = 0.5322533649146552;
    static final double MC_RECALL_MACRO = 0.5237866165855296;
    static final double MC_F1_MACRO = 0.5232719577160205;
    static final double MC_PRECISION_MICRO = 0.5266666666666666;
    static final double MC_RECALL_MICRO = 0.5266666666666666;
    static final double MC_F1_MICRO = 0.5266666666666666;
    static final double MC_PRECISION_WEIGHTED = 0.545448905932777;
    static final double MC_RECALL_WEIGHTED = 0.5266666666666666;
    static final double MC_F1_WEIGHTED = 0.5309986823204884;
    static final double[] MC_CONFUSION = {
        14.0, 5.0, 9.0, 4.0, 9.0, 18.0,
        5.0, 3.0, 8.0, 1.0, 23.0, 5.0,
        8.0, 7.0, 7.0, 24.0};
    static final double MC_OVR_AUC_MACRO = 0.7784152802490975;
    static final double MC_OVR_AUC_WEIGHTED = 0.7782439507205241;
    static final double MC_OVR_AUC_MICRO = 0.7742888888888888;
    static final double MC_OVR_AP_MACRO = 0.577107746999172;
    static final double MC_OVR_AP_WEIGHTED = 0.5846497417594243;
    static final double MC_OVR_AP_MICRO = 0.5639774772077247;
    static final double REG_MSE = 0.334582;
    static final double REG_MAE = 0.49760000000000004;
    static final double REG_R2 = 0.9568569109838135;

    /** Binary labels and scores in steps of 0.05, positives shifted up by 0.25 (capped at 1). */
    private static Object[] binary() {
        SplitMix64 r = new SplitMix64(2026);
        long[] y = new long[200];
        double[] s = new double[200];
        for (int i = 0; i < 200; i++) {
            y[i] = r.below(2);
            s[i] = Math.min(1.0, r.below(21) / 20.0 + y[i] * 0.25);
        }
        return new Object[] {y, s};
    }

    /** 150 examples of 4 classes; rows of positive scores that sum to 1, the label's raised by 0.3 before normalising. */
    private static Object[] multiclass() {
        int n = 150;
        int k = 4;
        SplitMix64 r = new SplitMix64(7);
        long[] y = new long[n];
        double[] s = new double[n * k];
        for (int i = 0; i < n; i++) {
            y[i] = r.below(k);
            double[] raw = new double[k];
            double total = 0.0;
            for (int c = 0; c < k; c++) {
                raw[c] = r.below(10) / 10.0 + (c == y[i] ? 0.3 : 0.0) + 0.05;
            }
            for (double v : raw) {
                total += v;
            }
            for (int c = 0; c < k; c++) {
                s[i * k + c] = raw[c] / total;
            }
        }
        return new Object[] {y, s};
    }

    @Test
    void binaryCurvesAndAreas() {
        Object[] d = binary();
        long[] y = (long[]) d[0];
        double[] s = (double[]) d[1];
        assertEquals(BINARY_ROC_AUC, RocCurve.auc(s, y), EPS);
        assertEquals(BINARY_AP, PrecisionRecallCurve.averagePrecision(s, y), EPS);
        RocCurve roc = RocCurve.of(s, y);
        assertArrayEquals(BINARY_FPR, roc.fpr(), EPS);
        assertArrayEquals(BINARY_TPR, roc.tpr(), EPS);
        // scikit-learn 1.2 puts max + 1 where 1.3 and Fathom put +inf; the rest agree.
        assertEquals(Double.POSITIVE_INFINITY, roc.thresholds()[0]);
        assertArrayEquals(BINARY_THRESHOLDS_AFTER_FIRST, java.util.Arrays.copyOfRange(roc.thresholds(), 1, roc.thresholds().length), EPS);
        PrecisionRecallCurve pr = PrecisionRecallCurve.of(s, y);
        assertArrayEquals(BINARY_PR_PRECISION, pr.precision(), EPS);
        assertArrayEquals(BINARY_PR_RECALL, pr.recall(), EPS);
        assertArrayEquals(BINARY_PR_THRESHOLDS, pr.thresholds(), EPS);
    }

    @Test
    void multiclassScores() {
        Object[] d = multiclass();
        long[] y = (long[]) d[0];
        double[] s = (double[]) d[1];
        long[] pred = new long[y.length];
        for (int i = 0; i < y.length; i++) {
            int best = 0;
            for (int c = 1; c < 4; c++) {
                best = s[i * 4 + c] > s[i * 4 + best] ? c : best;
            }
            pred[i] = best;
        }
        assertEquals(MC_ACCURACY, Classification.accuracy(pred, y), EPS);
        assertEquals(MC_TOP2, Classification.topKAccuracy(s, 4, y, 2), EPS);
        ConfusionMatrix m = ConfusionMatrix.of(pred, y, 4);
        long[][] counts = m.toArray();
        for (int a = 0; a < 4; a++) {
            for (int p = 0; p < 4; p++) {
                assertEquals((long) MC_CONFUSION[4 * a + p], counts[a][p], "actual " + a + ", predicted " + p);
            }
        }
        assertEquals(MC_PRECISION_MACRO, m.precision(Average.MACRO), EPS);
        assertEquals(MC_RECALL_MACRO, m.recall(Average.MACRO), EPS);
        assertEquals(MC_F1_MACRO, m.f1(Average.MACRO), EPS);
        assertEquals(MC_PRECISION_MICRO, m.precision(Average.MICRO), EPS);
        assertEquals(MC_RECALL_MICRO, m.recall(Average.MICRO), EPS);
        assertEquals(MC_F1_MICRO, m.f1(Average.MICRO), EPS);
        assertEquals(MC_PRECISION_WEIGHTED, m.precision(Average.WEIGHTED), EPS);
        assertEquals(MC_RECALL_WEIGHTED, m.recall(Average.WEIGHTED), EPS);
        assertEquals(MC_F1_WEIGHTED, m.f1(Average.WEIGHTED), EPS);
        assertEquals(MC_OVR_AUC_MACRO, RocCurve.aucOneVsRest(s, 4, y, Average.MACRO), EPS);
        assertEquals(MC_OVR_AUC_WEIGHTED, RocCurve.aucOneVsRest(s, 4, y, Average.WEIGHTED), EPS);
        assertEquals(MC_OVR_AUC_MICRO, RocCurve.aucOneVsRest(s, 4, y, Average.MICRO), EPS);
        assertEquals(MC_OVR_AP_MACRO, PrecisionRecallCurve.averagePrecisionOneVsRest(s, 4, y, Average.MACRO), EPS);
        assertEquals(MC_OVR_AP_WEIGHTED, PrecisionRecallCurve.averagePrecisionOneVsRest(s, 4, y, Average.WEIGHTED), EPS);
        assertEquals(MC_OVR_AP_MICRO, PrecisionRecallCurve.averagePrecisionOneVsRest(s, 4, y, Average.MICRO), EPS);
    }

    @Test
    void regression() {
        SplitMix64 r = new SplitMix64(99);
        double[] t = new double[100];
        double[] p = new double[100];
        for (int i = 0; i < 100; i++) {
            t[i] = r.below(1000) / 100.0 - 5.0;
            p[i] = t[i] + (r.below(200) - 100) / 100.0;
        }
        assertEquals(REG_MSE, Regression.mse(p, t), EPS);
        assertEquals(Math.sqrt(REG_MSE), Regression.rmse(p, t), EPS);
        assertEquals(REG_MAE, Regression.mae(p, t), EPS);
        assertEquals(REG_R2, Regression.r2(p, t), EPS);
    }
}
