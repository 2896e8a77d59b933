package dev.fathom.models;

import dev.fathom.Fathom;
import dev.fathom.autograd.Autograd;
import dev.fathom.data.CharCorpus;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The char-level GPT: sizes and init as the reference, incremental decoding, memorization, sampling. */
class GptTest {
    private static final Gpt.Config SMALL = new Gpt.Config(11, 8, 16, 2, 2, false);

    private static Gpt small(long seed) {
        Fathom.seed(seed);
        return new Gpt(SMALL);
    }

    @Test
    void theReferenceModelHasPyTorchsParameterCount() {
        int v = 113, d = 128, h = 512;
        long block = 2 * d + (3L * d * d + 3 * d) + (d * d + d) + 2 * d + (h * d + h) + (d * h + d);
        long expected = v * d + 128 * d + 4 * block + 2 * d + (long) v * d;
        try (Gpt g = new Gpt(Gpt.Config.reference(v)); Gpt tied = new Gpt(Gpt.Config.reference(v).withTieWeights(true))) {
            assertEquals(expected, g.parameterCount());
            assertEquals(838_656, g.parameterCount());  // sum(p.numel()) of charlm_transformer.py's GPT with V = 113
            assertEquals(expected - (long) v * d, tied.parameterCount());
            assertFalse(tied.namedParameters().containsKey("head.weight"));
            assertTrue(g.namedParameters().containsKey("blocks.3.attn.in_proj_weight"), g.namedParameters().keySet().toString());
        }
    }

    @Test
    void weightsAreNormal002BiasesZeroLayerNormsOne() {
        Fathom.seed(3);
        try (Gpt g = new Gpt(Gpt.Config.reference(113))) {
            for (Map.Entry<String, Parameter> e : g.namedParameters().entrySet()) {
                double[] w = e.getValue().data().toDoubleArray();
                String n = e.getKey();
                if (n.contains("ln")) {
                    double fill = n.endsWith("weight") ? 1 : 0;
                    assertTrue(Arrays.stream(w).allMatch(x -> x == fill), n);
                } else if (n.endsWith("bias")) {
                    assertTrue(Arrays.stream(w).allMatch(x -> x == 0), n);
                } else {
                    double mean = Arrays.stream(w).average().orElseThrow();
                    double std = Math.sqrt(Arrays.stream(w).map(x -> (x - mean) * (x - mean)).sum() / w.length);
                    // the std of n normal samples is within a few 0.02/sqrt(2n) of 0.02
                    assertEquals(0.02, std, 6 * 0.02 / Math.sqrt(2.0 * w.length), n);
                    assertEquals(0.0, mean, 6 * 0.02 / Math.sqrt(w.length), n);
                }
            }
        }
    }

    @Test
    void aTiedHeadSendsGradientToEveryEmbeddingRow() {
        for (boolean tie : new boolean[] {false, true}) {
            Fathom.seed(1);
            try (Gpt g = new Gpt(new Gpt.Config(11, 8, 16, 1, 2, tie)); Scope s = Scope.open()) {
                Tensor logits = g.forward(Tensor.of(new long[] {0, 1, 2}, 1, 3));
                logits.select(2, 7).sum().backward();
                float[] row7 = g.tok().weight().grad().select(0, 7).toFloatArray();
                // Token 7 is not in the input: only the tied head can reach its embedding row.
                boolean nonZero = false;
                for (float x : row7) {
                    nonZero |= x != 0;
                }
                assertEquals(tie, nonZero, "tie = " + tie);
                assertEquals(tie, g.head() == null);
            }
        }
    }

    @Test
    void theKvCacheDecoderGivesTheFullForwardsLogitsAndCropsToTheContext() {
        long[] ids = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8};  // 12 tokens, context 8
        try (Gpt g = small(5); Scope s = Scope.open(); var ng = Autograd.noGrad(); CharLm.Decoder d = g.decoder()) {
            g.eval();
            Tensor full = g.forward(Tensor.of(Arrays.copyOf(ids, 8), 1, 8));
            for (int t = 0; t < ids.length; t++) {
                float[] step = d.feed(new long[] {ids[t]}).toFloatArray();
                float[] expected;
                if (t < 8) {
                    expected = full.select(0, 0).select(0, t).toFloatArray();
                } else {
                    // past the context: the logits of the last 8 tokens, from scratch
                    Tensor window = g.forward(Tensor.of(Arrays.copyOfRange(ids, t - 7, t + 1), 1, 8));
                    expected = window.select(0, 0).select(0, 7).toFloatArray();
                }
                assertArrayEquals(expected, step, 2e-5f, "position " + t);
            }
        }
    }

    @Test
    void aSmallGptMemorizesTwoThousandCharacters() {
        String text = CharLmFixtures.text2000();
        assertEquals(2000, text.length());
        CharCorpus c = CharCorpus.of(text);
        Fathom.seed(0);
        try (Gpt g = new Gpt(new Gpt.Config(c.vocabSize(), 32, 64, 2, 4, false))) {
            long[] ids = c.encode(text);
            int steps = CharLmFixtures.stepsToReach(g, ids, 32, 16, 3e-3, 0.5, 600);
            double mean = CharLmFixtures.meanLoss(g, ids, 32);
            assertTrue(steps > 0 && steps <= 600, "not memorized after 600 steps: mean loss over every window " + mean);
            assertTrue(mean < 0.5, "mean loss over every window " + mean);
        }
    }

    @Test
    void samplingIsReproducibleWithASeedAndTopK1IsTheModelsArgmax() {
        long[] prompt = {1, 2, 3};
        try (Gpt g = small(7); Scope s = Scope.open()) {
            long[] a = Sampling.generate(g, prompt, 20, 1.0, 0, new Generator(42));
            long[] b = Sampling.generate(g, prompt, 20, 1.0, 0, new Generator(42));
            long[] c = Sampling.generate(g, prompt, 20, 1.0, 0, new Generator(43));
            assertArrayEquals(a, b);
            assertFalse(Arrays.equals(a, c), "another seed, another text: " + Arrays.toString(a));
            long[] greedy = Sampling.generate(g, prompt, 12, 0.7, 1, new Generator(1));
            long[] seq = Arrays.copyOf(prompt, prompt.length + greedy.length);
            try (var ng = Autograd.noGrad()) {
                for (int i = 0; i < greedy.length; i++) {
                    int len = prompt.length + i;
                    int from = Math.max(0, len - SMALL.context());
                    Tensor logits = g.forward(Tensor.of(Arrays.copyOfRange(seq, from, len), 1, len - from));
                    long argmax = logits.select(0, 0).select(0, len - from - 1).argmax().itemLong();
                    assertEquals(argmax, greedy[i], "token " + i);
                    seq[len] = greedy[i];
                }
            }
            assertTrue(g.isTraining(), "generate leaves the mode as it found it");
        }
    }

    @Test
    void badInputIsRejectedWithTheReason() {
        try (Gpt g = small(0); Scope s = Scope.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.forward(Tensor.of(new long[9], 1, 9)));
            assertTrue(e.getMessage().contains("exceed the context of 8"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> g.forward(Tensor.of(new float[] {1, 2}, 1, 2)));
            assertTrue(e.getMessage().contains("I64 [N, T]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Sampling.generate(g, new long[] {11}, 1, 1, 0, new Generator(0)));
            assertTrue(e.getMessage().contains("token id 11 is outside the vocabulary [0, 11)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Sampling.generate(g, new long[] {1}, 1, 0, 0, new Generator(0)));
            assertTrue(e.getMessage().contains("temperature 0.0"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Gpt.Config(10, 8, 30, 1, 4, false));
        assertTrue(e.getMessage().contains("d_model 30") && e.getMessage().contains("heads 4"), e.getMessage());
        assertEquals(SMALL, Gpt.Config.parse(SMALL.format()));
        assertThrows(IllegalArgumentException.class, () -> Gpt.Config.parse("vocab_size=3"));
        assertNotEquals(SMALL, SMALL.withTieWeights(true));
    }
}
