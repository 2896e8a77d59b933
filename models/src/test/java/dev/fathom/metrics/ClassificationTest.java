package dev.fathom.metrics;

import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Precision, recall, F1, accuracy and top-k on small cases worked out by hand. */
class ClassificationTest {
    private static final double EPS = 1e-12;

    /*
     * labels:      0 0 0 0 1 1 1 2 2 2      (support 4, 3, 3)
     * predictions: 0 0 1 2 1 1 0 2 2 1
     *
     *                 predicted
     *                 0  1  2
     *   actual 0      2  1  1     tp 2, fp 1, fn 2
     *          1      1  2  0     tp 2, fp 2, fn 1
     *          2      0  1  2     tp 2, fp 1, fn 1
     *
     * precision 2/3, 1/2, 2/3; recall 1/2, 2/3, 2/3; F1 = 2tp/(2tp+fp+fn) = 4/7, 4/7, 2/3.
     * macro P = R = (2/3 + 1/2 + 2/3)/3 = 11/18; macro F1 = (4/7 + 4/7 + 2/3)/3 = 38/63.
     * micro P = R = F1 = 6/10.
     * weighted P = (4·2/3 + 3·1/2 + 3·2/3)/10 = 37/60; weighted R = 6/10; weighted F1 = (4·4/7 + 3·4/7 + 3·2/3)/10 = 6/10.
     */
    static final long[] LABELS = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2};
    static final long[] PREDICTIONS = {0, 0, 1, 2, 1, 1, 0, 2, 2, 1};

    @Test
    void confusionMatrixCounts() {
        ConfusionMatrix m = ConfusionMatrix.of(PREDICTIONS, LABELS, 3);
        assertArrayEquals(new long[][] {{2, 1, 1}, {1, 2, 0}, {0, 1, 2}}, m.toArray());
        assertEquals(10, m.total());
        assertEquals(1, m.falsePositives(0));
        assertEquals(2, m.falseNegatives(0));
        assertEquals(3, m.support(2));
        assertEquals(4, m.predicted(1));
        assertEquals(0.6, m.accuracy(), EPS);
    }

    @Test
    void perClassScores() {
        ConfusionMatrix m = ConfusionMatrix.of(PREDICTIONS, LABELS, 3);
        assertArrayEquals(new double[] {2.0 / 3, 0.5, 2.0 / 3}, new double[] {m.precision(0), m.precision(1), m.precision(2)}, EPS);
        assertArrayEquals(new double[] {0.5, 2.0 / 3, 2.0 / 3}, new double[] {m.recall(0), m.recall(1), m.recall(2)}, EPS);
        assertArrayEquals(new double[] {4.0 / 7, 4.0 / 7, 2.0 / 3}, new double[] {m.f1(0), m.f1(1), m.f1(2)}, EPS);
        assertEquals(2.0 / 3, Classification.precision(PREDICTIONS, LABELS, 3, 2), EPS);
        assertEquals(0.5, Classification.recall(PREDICTIONS, LABELS, 3, 0), EPS);
        assertEquals(4.0 / 7, Classification.f1(PREDICTIONS, LABELS, 3, 1), EPS);
    }

    @Test
    void averages() {
        assertEquals(11.0 / 18, Classification.precision(PREDICTIONS, LABELS, 3, Average.MACRO), EPS);
        assertEquals(11.0 / 18, Classification.recall(PREDICTIONS, LABELS, 3, Average.MACRO), EPS);
        assertEquals(38.0 / 63, Classification.f1(PREDICTIONS, LABELS, 3, Average.MACRO), EPS);
        for (Average a : new Average[] {Average.MICRO}) {
            assertEquals(0.6, Classification.precision(PREDICTIONS, LABELS, 3, a), EPS);
            assertEquals(0.6, Classification.recall(PREDICTIONS, LABELS, 3, a), EPS);
            assertEquals(0.6, Classification.f1(PREDICTIONS, LABELS, 3, a), EPS);
        }
        assertEquals(37.0 / 60, Classification.precision(PREDICTIONS, LABELS, 3, Average.WEIGHTED), EPS);
        assertEquals(0.6, Classification.recall(PREDICTIONS, LABELS, 3, Average.WEIGHTED), EPS);
        assertEquals(0.6, Classification.f1(PREDICTIONS, LABELS, 3, Average.WEIGHTED), EPS);
        // A fourth class that occurs nowhere does not dilute the macro average (scikit-learn's labels=None).
        assertEquals(11.0 / 18, Classification.precision(PREDICTIONS, LABELS, 4, Average.MACRO), EPS);
        assertEquals(38.0 / 63, Classification.f1(PREDICTIONS, LABELS, 4, Average.MACRO), EPS);
    }

    @Test
    void zeroOverZeroIsZero() {
        // labels 0 0, predictions 1 1:  class 0 is never predicted (precision 0/0), class 1 never occurs (recall 0/0).
        ConfusionMatrix m = ConfusionMatrix.of(new long[] {1, 1}, new long[] {0, 0}, 2);
        assertEquals(0, m.precision(0));
        assertEquals(0, m.recall(1));
        assertEquals(0, m.f1(0));
        assertEquals(0, m.f1(Average.MACRO));
        assertEquals(0, m.precision(Average.MICRO));
        // Binary: labels 1 0 1 1 0, predictions 1 1 0 1 0: tp 2, fp 1, fn 1 -> P = R = F1 = 2/3 for class 1.
        long[] y = {1, 0, 1, 1, 0};
        long[] p = {1, 1, 0, 1, 0};
        assertEquals(2.0 / 3, Classification.precision(p, y, 2, 1), EPS);
        assertEquals(2.0 / 3, Classification.recall(p, y, 2, 1), EPS);
        assertEquals(2.0 / 3, Classification.f1(p, y, 2, 1), EPS);
        assertEquals(0.6, Classification.accuracy(p, y), EPS);
    }

    @Test
    void topKRanksTiesAsScikitLearn() {
        double[] scores = {
            0.1, 0.5, 0.4,   // label 2: one class above it -> in the top 2, not the top 1
            0.3, 0.3, 0.4,   // label 0: class 2 above, class 1 ties and has the higher index -> third
            0.9, 0.05, 0.05  // label 0: first
        };
        long[] labels = {2, 0, 0};
        assertEquals(1.0 / 3, Classification.topKAccuracy(scores, 3, labels, 1), EPS);
        assertEquals(2.0 / 3, Classification.topKAccuracy(scores, 3, labels, 2), EPS);
        assertEquals(1.0, Classification.topKAccuracy(scores, 3, labels, 3), EPS);
        float[] f = new float[scores.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) scores[i];
        }
        assertEquals(2.0 / 3, Classification.topKAccuracy(f, 3, labels, 2), EPS);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Classification.topKAccuracy(scores, 3, labels, 4)).getMessage()
                .contains("k must be in [1, 3], got 4"));
    }

    @Test
    void tensorOverloads() {
        try (Scope s = Scope.open()) {
            // logits: argmax per row is 1, 0, 2, 2; labels 1, 0, 1, 2 -> accuracy 3/4
            Tensor logits = Tensor.of(new float[] {0, 3, 1, 5, 2, 1, 0, 0, 9, 1, 1, 2}, 4, 3);
            Tensor labels = Tensor.of(new long[] {1, 0, 1, 2});
            assertEquals(0.75, Classification.accuracy(logits, labels), EPS);
            assertEquals(0.75, Classification.accuracy(Tensor.of(new long[] {1, 0, 2, 2}), labels), EPS);
            assertEquals(1.0, Classification.topKAccuracy(logits, labels, 2), EPS);
            // classes 0: P 1 R 1; 1: P 1 R 1/2; 2: P 1/2 R 1 -> macro P = 5/6
            assertEquals(5.0 / 6, Classification.precision(logits, labels, 3, Average.MACRO), EPS);
            assertEquals(5.0 / 6, Classification.recall(logits, labels, 3, Average.MACRO), EPS);
            assertEquals(0.75, Classification.f1(logits, labels, 3, Average.MICRO), EPS);
            assertArrayEquals(new long[][] {{1, 0, 0}, {0, 1, 1}, {0, 0, 1}}, ConfusionMatrix.of(logits, labels, 3).toArray());
            String m = assertThrows(IllegalArgumentException.class, () -> Classification.accuracy(logits, logits)).getMessage();
            assertTrue(m.contains("labels must be I64") && m.contains("[4, 3] F32"), m);
            m = assertThrows(IllegalArgumentException.class, () -> Classification.accuracy(Tensor.of(new float[] {1, 2}), labels)).getMessage();
            assertTrue(m.contains("predictions must be I64 classes [N] or F32/F64 scores [N, K]"), m);
        }
    }

    @Test
    void badInputsAreNamed() {
        String m = assertThrows(IllegalArgumentException.class, () -> Classification.accuracy(new long[] {1, 2}, new long[] {1})).getMessage();
        assertEquals("accuracy: 2 predictions but 1 labels; give one per example", m);
        m = assertThrows(IllegalArgumentException.class, () -> Classification.accuracy(new long[0], new long[0])).getMessage();
        assertTrue(m.startsWith("accuracy: inputs are empty"), m);
        m = assertThrows(IllegalArgumentException.class, () -> ConfusionMatrix.of(new long[] {0, 3}, new long[] {0, 1}, 3)).getMessage();
        assertEquals("ConfusionMatrix: prediction 3 at index 1 is outside [0, 3)", m);
        m = assertThrows(IllegalArgumentException.class, () -> Classification.f1(new long[] {0}, new long[] {-1}, 3, Average.MACRO))
                .getMessage();
        assertTrue(m.contains("label -1 at index 0 is outside [0, 3)"), m);
        assertThrows(IllegalArgumentException.class, () -> Classification.topKAccuracy(new double[] {1, 2, 3}, 2, new long[] {0}, 1));
        m = assertThrows(IllegalArgumentException.class, () -> Classification.accuracy(null, new long[2])).getMessage();
        assertEquals("accuracy: predictions is null", m);
        m = assertThrows(IllegalArgumentException.class, () -> Regression.mse(new double[1], null)).getMessage();
        assertEquals("mse: targets is null", m);
        m = assertThrows(IllegalArgumentException.class, () -> Classification.precision(new long[] {0}, new long[] {0}, 2, null)).getMessage();
        assertEquals("ConfusionMatrix.precision: average is null; pass Average.MACRO, MICRO or WEIGHTED", m);
        m = assertThrows(IllegalArgumentException.class, () -> Classification.topKAccuracy((double[]) null, 2, new long[] {0}, 1)).getMessage();
        assertEquals("topKAccuracy: scores is null", m);
        assertThrows(IllegalArgumentException.class,
                () -> Classification.topKAccuracy(new double[] {1, Double.NaN}, 2, new long[] {0}, 1));
    }

    @Test
    void readableTables() {
        // labels 0 0 1 1 1, predictions 0 1 1 1 0
        ConfusionMatrix m = ConfusionMatrix.of(new long[] {0, 1, 1, 1, 0}, new long[] {0, 0, 1, 1, 1}, 2);
        assertEquals("""
                confusion matrix, 5 examples, 2 classes (rows: actual, columns: predicted)
                actual \\ predicted  0  1
                                 0  1  1
                                 1  1  2
                """, m.toString());
        String named = m.format(new String[] {"cat", "dog"});
        assertTrue(named.contains("actual \\ predicted  cat  dog\n") && named.contains("               dog    1    2\n"), named);
        String report = m.report(new String[] {"cat", "dog"});
        // cat: P 1/2, R 1/2; dog: P 2/3, R 2/3; accuracy 3/5
        assertTrue(report.contains("cat     0.5000     0.5000     0.5000          2"), report);
        assertTrue(report.contains("dog     0.6667     0.6667     0.6667          3"), report);
        assertTrue(report.contains("accuracy                           0.6000          5"), report);
        assertThrows(IllegalArgumentException.class, () -> m.format(new String[] {"one"}));
    }
}
