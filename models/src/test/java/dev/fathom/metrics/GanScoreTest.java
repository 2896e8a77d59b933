package dev.fathom.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Inception-score analogue on probabilities whose scores are known by hand. */
class GanScoreTest {

    /**
     * p1 = (0.9, 0.1), p2 = (0.2, 0.8): p(y) = (0.55, 0.45);
     * KL1 = 0.9·ln(0.9/0.55) + 0.1·ln(0.1/0.45) = 0.443229 − 0.150408 = 0.292821,
     * KL2 = 0.2·ln(0.2/0.55) + 0.8·ln(0.8/0.45) = −0.202320 + 0.460292 = 0.257971,
     * IS = exp((0.292821 + 0.257971)/2) = exp(0.275396) = 1.317052; confidence (0.9 + 0.8)/2.
     */
    @Test
    void twoSamplesTwoClasses() {
        GanScore s = GanScore.of(new double[] {0.9, 0.1, 0.2, 0.8}, 2);
        assertEquals(2, s.samples());
        assertEquals(0.85, s.meanConfidence(), 1e-12);
        assertEquals(1.3170522760436802, s.inceptionScore(), 1e-5);
        assertEquals(2, s.classesCovered());
        assertArrayEquals(new long[] {1, 1}, s.classCounts());
    }

    /** Three samples, two alike: p(y) = (0.5, 1/6, 1/3); IS = 1.30193 (same sum by hand); class 1 never wins. */
    @Test
    void threeSamplesThreeClasses() {
        GanScore s = GanScore.of(new double[] {0.7, 0.2, 0.1, 0.7, 0.2, 0.1, 0.1, 0.1, 0.8}, 3);
        assertEquals((0.7 + 0.7 + 0.8) / 3, s.meanConfidence(), 1e-12);
        assertEquals(1.3019302138136244, s.inceptionScore(), 1e-5);
        assertArrayEquals(new long[] {2, 0, 1}, s.classCounts());
        assertEquals(2, s.classesCovered());
    }

    @Test
    void extremes() {
        int k = 10;
        double[] oneHot = new double[k * k];
        for (int i = 0; i < k; i++) {
            oneHot[i * k + i] = 1;
        }
        GanScore sharpAndDiverse = GanScore.of(oneHot, k);
        assertEquals(10, sharpAndDiverse.inceptionScore(), 1e-9, "one-hot on every class: IS = number of classes");
        assertEquals(1, sharpAndDiverse.meanConfidence(), 1e-12);
        assertEquals(10, sharpAndDiverse.classesCovered());

        double[] collapsed = new double[5 * k];
        for (int i = 0; i < 5; i++) {
            collapsed[i * k + 3] = 1;
        }
        GanScore c = GanScore.of(collapsed, k);
        assertEquals(1, c.inceptionScore(), 1e-12, "mode collapse: IS 1");
        assertEquals(1, c.classesCovered());

        double[] uniform = new double[4 * k];
        java.util.Arrays.fill(uniform, 0.1);
        GanScore u = GanScore.of(uniform, k);
        assertEquals(0.1, u.meanConfidence(), 1e-12);
        assertEquals(1, u.inceptionScore(), 1e-12);
        assertArrayEquals(new long[] {4, 0, 0, 0, 0, 0, 0, 0, 0, 0}, u.classCounts(), "ties go to the lower class");
    }

    /** A class is covered from 1% of the samples: 2 of 200 counts, 1 of 200 does not. */
    @Test
    void coverageThreshold() {
        int n = 200;
        double[] p = new double[n * 3];
        for (int i = 0; i < n; i++) {
            int cls = i < 2 ? 1 : i == 2 ? 2 : 0;
            p[i * 3 + cls] = 1;
        }
        GanScore s = GanScore.of(p, 3);
        assertArrayEquals(new long[] {197, 2, 1}, s.classCounts());
        assertEquals(2, s.classesCovered());
    }

    @Test
    void badInputsAreRejected() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GanScore.of(new double[] {0.5, 0.5, 1}, 2)).getMessage()
                .contains("[n, 2]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GanScore.of(new double[] {2.0, -1.0}, 2)).getMessage()
                .contains("not logits"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GanScore.of(new double[] {0.5, 0.6}, 2)).getMessage()
                .contains("sums to"));
        assertThrows(IllegalArgumentException.class, () -> GanScore.of(new double[0], 2));
        assertThrows(IllegalArgumentException.class, () -> GanScore.of(new double[] {Double.NaN, 1}, 2));
    }
}
