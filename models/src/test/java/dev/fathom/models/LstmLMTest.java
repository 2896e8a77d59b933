package dev.fathom.models;

import dev.fathom.Fathom;
import dev.fathom.autograd.Autograd;
import dev.fathom.data.CharCorpus;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The char-level LSTM: sizes as the reference, state carried by the decoder, memorization, sampling. */
class LstmLMTest {

    @Test
    void theReferenceModelHasPyTorchsParameterCount() {
        int v = 113, e = 64, h = 256;
        long layer0 = 4L * h * (e + h) + 8L * h;
        long layer1 = 4L * h * (h + h) + 8L * h;
        try (LstmLM m = new LstmLM(LstmLM.Config.reference(v))) {
            assertEquals((long) v * e + layer0 + layer1 + (long) h * v + v, m.parameterCount());
            assertTrue(m.lstm().batchFirst());
            assertEquals(2, m.lstm().numLayers());
            // PyTorch's default init: U(±1/sqrt(256)) for the recurrent weights
            double bound = 1 / Math.sqrt(h);
            assertTrue(Arrays.stream(m.namedParameters().get("lstm.weight_hh_l1").data().toDoubleArray()).allMatch(x -> Math.abs(x) <= bound));
        }
    }

    @Test
    void theDecoderCarriesTheStateAsOneForwardDoes() {
        long[] ids = {3, 1, 4, 1, 5, 9, 2, 6};
        Fathom.seed(2);
        try (LstmLM m = new LstmLM(new LstmLM.Config(10, 6, 12, 2)); Scope s = Scope.open(); var ng = Autograd.noGrad();
             CharLm.Decoder d = m.decoder()) {
            Tensor full = m.forward(Tensor.of(ids, 1, ids.length));
            float[] first = d.feed(Arrays.copyOf(ids, 3)).toFloatArray();  // a chunk, then one at a time
            assertArrayEquals(full.select(0, 0).select(0, 2).toFloatArray(), first, 1e-5f);
            for (int t = 3; t < ids.length; t++) {
                assertArrayEquals(full.select(0, 0).select(0, t).toFloatArray(), d.feed(new long[] {ids[t]}).toFloatArray(), 1e-5f, "t = " + t);
            }
        }
    }

    @Test
    void aSmallLstmMemorizesTwoThousandCharacters() {
        String text = CharLmFixtures.text2000();
        CharCorpus c = CharCorpus.of(text);
        Fathom.seed(0);
        try (LstmLM m = new LstmLM(new LstmLM.Config(c.vocabSize(), 32, 128, 1))) {
            long[] ids = c.encode(text);
            int steps = CharLmFixtures.stepsToReach(m, ids, 24, 32, 1e-2, 0.5, 300);
            double mean = CharLmFixtures.meanLoss(m, ids, 24);
            assertTrue(steps > 0 && steps <= 300, "not memorized after 300 steps: mean loss over every window " + mean);
            assertTrue(mean < 0.5, "mean loss over every window " + mean);
        }
    }

    @Test
    void samplingIsReproducibleWithASeed() {
        Fathom.seed(4);
        try (LstmLM m = new LstmLM(new LstmLM.Config(10, 6, 12, 2))) {
            long[] a = Sampling.generate(m, new long[] {1}, 30, 1.5, 0, new Generator(9));
            assertArrayEquals(a, Sampling.generate(m, new long[] {1}, 30, 1.5, 0, new Generator(9)));
            assertFalse(Arrays.equals(a, Sampling.generate(m, new long[] {1}, 30, 1.5, 0, new Generator(10))));
        }
    }

    @Test
    void badInputIsRejected() {
        try (LstmLM m = new LstmLM(new LstmLM.Config(10, 6, 12, 1)); Scope s = Scope.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.of(new float[] {1}, 1, 1)));
            assertTrue(e.getMessage().contains("LstmLM.forward: ids must be I64 [N, T]"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new LstmLM.Config(10, 0, 12, 1));
        LstmLM.Config c = new LstmLM.Config(10, 6, 12, 3);
        assertEquals(c, LstmLM.Config.parse(c.format()));
    }
}
