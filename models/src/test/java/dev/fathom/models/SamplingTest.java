package dev.fathom.models;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Sampling's draw: the inverse CDF of softmax(top_k(logits / T)), against closed forms. */
class SamplingTest {

    @Test
    void theUniformPicksByTheCumulativeProbabilities() {
        // softmax of ln(1), ln(1), ln(2) = 1/4, 1/4, 1/2
        float[] logits = {0f, 0f, (float) Math.log(2)};
        assertEquals(0, Sampling.pick(logits, 1, 0, 0.0));
        assertEquals(0, Sampling.pick(logits, 1, 0, 0.24));
        assertEquals(1, Sampling.pick(logits, 1, 0, 0.26));
        assertEquals(2, Sampling.pick(logits, 1, 0, 0.51));
        assertEquals(2, Sampling.pick(logits, 1, 0, 0.999999));
        // temperature 0.5 squares the odds: 1/6, 1/6, 4/6
        assertEquals(1, Sampling.pick(logits, 0.5, 0, 0.32));
        assertEquals(2, Sampling.pick(logits, 0.5, 0, 0.34));
    }

    @Test
    void topKDropsAllButTheKLargestAndTopK1IsArgmax() {
        float[] logits = {1f, 3f, 2f, -1f};
        for (double u : new double[] {0, 0.3, 0.9999}) {
            assertEquals(1, Sampling.pick(logits, 1, 1, u));
            assertEquals(1, Sampling.pick(logits, 5, 1, u));
        }
        // top-2 keeps tokens 1 and 2 with odds e^3 : e^2
        double p1 = Math.exp(3) / (Math.exp(3) + Math.exp(2));
        assertEquals(1, Sampling.pick(logits, 1, 2, p1 - 1e-6));
        assertEquals(2, Sampling.pick(logits, 1, 2, p1 + 1e-6));
        assertEquals(Sampling.pick(logits, 1, 0, 0.5), Sampling.pick(logits, 1, 4, 0.5), "k = V keeps everything");
    }
}
