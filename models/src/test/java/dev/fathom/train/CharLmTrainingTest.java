package dev.fathom.train;

import dev.fathom.Fathom;
import dev.fathom.LiveBuffers;
import dev.fathom.autograd.Autograd;
import dev.fathom.data.CharCorpus;
import dev.fathom.models.CharLm;
import dev.fathom.models.CharLmFixtures;
import dev.fathom.models.Gpt;
import dev.fathom.models.LstmLM;
import dev.fathom.nn.Module;
import dev.fathom.optim.AdamW;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The step-based char-LM loop: what it logs, the validation it computes, checkpoints, divergence, leaks. */
class CharLmTrainingTest {
    private static final CharCorpus CORPUS = CharCorpus.of(CharLmFixtures.text2000());
    private static final int CTX = 16;

    private static Gpt gpt() {
        Fathom.seed(0);
        return new Gpt(new Gpt.Config(CORPUS.vocabSize(), CTX, 16, 1, 2, false));
    }

    private static CharLmTraining.Result train(CharLm m, Path dir, int steps, int evalEvery) throws IOException {
        try (Optimizer opt = CharLmTraining.optimizer(m.arch(), ((Module) m).parameters(), 3e-3)) {
            return new CharLmTraining(m, opt, CORPUS, new CharLmTraining.Settings(steps, evalEvery, 4, CTX, 3, 0), dir, null).run();
        }
    }

    /** The validation loss by its definition: mean over batches of the mean −log p(target), computed here in F64. */
    private static double referenceValLoss(CharLm m) {
        long[] val = CORPUS.val();
        double sum = 0;
        long[][] batches = CORPUS.valOffsets(3, 4, CTX);
        try (Scope s = Scope.open(); var g = Autograd.noGrad()) {
            for (long[] starts : batches) {
                long[][] xy = CharCorpus.windows(val, starts, CTX);
                float[] logits = m.forward(Tensor.of(xy[0], 4, CTX)).toFloatArray();
                double nll = 0;
                for (int i = 0; i < xy[1].length; i++) {
                    nll -= CharLmFixtures.logProb(logits, i * m.vocabSize(), m.vocabSize(), xy[1][i]);
                }
                sum += nll / xy[1].length;
            }
        }
        return sum / batches.length;
    }

    @Test
    void aRunLogsEveryStepValidatesOnScheduleAndSavesALoadableCheckpoint(@TempDir Path dir) throws IOException {
        CharLmTraining.Result r;
        double initialReference;
        try (Gpt g = gpt()) {
            initialReference = referenceValLoss(g);
            r = train(g, dir, 5, 2);
            assertEquals(referenceValLoss(g), r.lastValLoss(), 1e-5, "validation = the mean of the batch means");
        }
        assertEquals(initialReference, r.firstValLoss(), 1e-5);
        // N(0, 0.02) weights give nearly uniform predictions: ln V
        assertEquals(Math.log(CORPUS.vocabSize()), r.firstValLoss(), 0.05);
        assertTrue(r.lastValLoss() < r.firstValLoss(), r.toString());
        assertTrue(r.tokensPerSecond() > 0 && r.medianStepMs() > 0);
        List<String> rows = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertEquals(6, rows.size());
        assertTrue(rows.get(0).matches("\\{\"step\":0,\"val_loss\":[0-9.]+}"), rows.get(0));
        for (int step = 1; step <= 5; step++) {
            String row = rows.get(step);
            assertTrue(row.startsWith("{\"step\":" + step + ",\"train_loss\":") && row.contains("\"tokens_per_s\":"), row);
            assertEquals(step % 2 == 0 || step == 5, row.contains("\"val_loss\""), row);
        }
        assertTrue(Files.size(dir.resolve("learning_curves.png")) > 0);
        try (CharLmCheckpoint.Loaded loaded = CharLmCheckpoint.load(dir.resolve("checkpoint.safetensors"), Device.cpu())) {
            assertEquals(5, loaded.step());
            assertEquals(CharLmTraining.vocabulary(CORPUS), loaded.vocabulary());
            assertInstanceOf(Gpt.class, loaded.model());
            assertEquals(r.lastValLoss(), referenceValLoss(loaded.model()), 1e-5, "the checkpoint holds the trained weights");
        }
    }

    @Test
    void aResumedRunContinuesBitIdentically(@TempDir Path dir) throws IOException {
        CharLmTraining.Settings four = new CharLmTraining.Settings(4, 2, 4, CTX, 3, 5);
        float[] straight;
        CharLmTraining.Result whole;
        try (Gpt g = gpt(); Optimizer opt = CharLmTraining.optimizer("gpt", g.parameters(), 3e-3)) {
            whole = new CharLmTraining(g, opt, CORPUS, four, dir.resolve("straight"), null).run();
            straight = TrainerTest.weights(g);
        }
        Path split = dir.resolve("split");
        try (Gpt g = gpt(); Optimizer opt = CharLmTraining.optimizer("gpt", g.parameters(), 3e-3)) {
            new CharLmTraining(g, opt, CORPUS, new CharLmTraining.Settings(2, 2, 4, CTX, 3, 5), split, null).run();
        }
        Fathom.seed(77);   // other initial weights: the checkpoint must bring back every one
        CharLmTraining.Result resumed;
        try (Gpt g = new Gpt(new Gpt.Config(CORPUS.vocabSize(), CTX, 16, 1, 2, false));
             Optimizer opt = CharLmTraining.optimizer("gpt", g.parameters(), 3e-3)) {
            resumed = new CharLmTraining(g, opt, CORPUS, four, split, null).resume(split.resolve("checkpoint.safetensors"));
            assertArrayEquals(straight, TrainerTest.weights(g), "steps 3 and 4 after the resume are the straight run's");
        }
        assertEquals(whole.lastValLoss(), resumed.lastValLoss(), 0.0);
        assertEquals(whole.firstValLoss(), resumed.firstValLoss(), 0.0, "the step-0 loss comes back from the log");
        assertEquals(1, whole.firstTimedStep());
        assertEquals(3, resumed.firstTimedStep(), "the resumed run timed steps 3 and 4");
        List<String> rows = Files.readAllLines(split.resolve("metrics.jsonl"));
        assertEquals(5, rows.size(), "steps 0 to 4, once each: " + rows);

        try (Gpt g = gpt(); Optimizer opt = CharLmTraining.optimizer("gpt", g.parameters(), 3e-3)) {
            String m = assertThrows(IllegalArgumentException.class, () -> new CharLmTraining(g, opt, CORPUS,
                    new CharLmTraining.Settings(4, 2, 8, CTX, 3, 5), split, null).resume(split.resolve("checkpoint.safetensors"))).getMessage();
            assertTrue(m.endsWith("was trained with seed 5 and batch 4; resume with the same (got seed 5, batch 8)"), m);
            m = assertThrows(IllegalArgumentException.class, () -> new CharLmTraining(g, opt, CORPUS, four, split, null)
                    .resume(split.resolve("checkpoint.safetensors"))).getMessage();
            assertTrue(m.endsWith("is at step 4 already; ask for more steps than that (got 4)"), m);
        }
    }

    @Test
    void theSameSeedGivesTheSameLossesForBothArchitectures(@TempDir Path dir) throws IOException {
        for (String arch : new String[] {"gpt", "lstm"}) {
            double[] last = new double[2];
            for (int run = 0; run < 2; run++) {
                Fathom.seed(0);
                CharLm m = arch.equals("gpt") ? gpt() : new LstmLM(new LstmLM.Config(CORPUS.vocabSize(), 8, 16, 2));
                try (Module closing = (Module) m) {
                    last[run] = train(m, dir.resolve(arch + run), 3, 3).lastTrainLoss();
                }
            }
            assertEquals(last[0], last[1], 0.0, arch);
        }
    }

    @Test
    void aNanLossStopsTheRunNamingTheStep(@TempDir Path dir) {
        try (Gpt g = gpt()) {
            try (var ng = Autograd.noGrad()) {
                g.head().weight().data().fillInPlace(Double.NaN);
            }
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> train(g, dir, 3, 1));
            assertTrue(e.getMessage().contains("cross_entropy is NaN at step 1 of 3"), e.getMessage());
            assertFalse(Files.exists(dir.resolve("checkpoint.safetensors")), "no checkpoint of a diverged model");
        }
    }

    @Test
    void aCheckpointThatCannotBeWrittenNamesTheStepAndTheDirectory(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("checkpoint.safetensors"));   // a directory where the file goes
        try (Gpt g = gpt()) {
            IOException e = assertThrows(IOException.class, () -> train(g, dir, 2, 1));
            assertTrue(e.getMessage().startsWith("saving the checkpoint of step 1 in " + dir + ": "), e.getMessage());
        }
    }

    @Test
    void stepsLeaveNoBuffersBehind(@TempDir Path dir) throws IOException {
        long before = LiveBuffers.settled();
        try (Gpt g = gpt()) {
            train(g, dir.resolve("gpt"), 3, 2);
        }
        try (LstmLM m = new LstmLM(new LstmLM.Config(CORPUS.vocabSize(), 8, 16, 2))) {
            train(m, dir.resolve("lstm"), 3, 2);
        }
        assertEquals(before, LiveBuffers.now());
    }

    @Test
    void theReferenceOptimizersAndBadSettings() {
        try (Gpt g = gpt(); Optimizer opt = CharLmTraining.optimizer("gpt", g.parameters(), 3e-4)) {
            assertInstanceOf(AdamW.class, opt);
            assertEquals(3e-4, opt.lr());
        }
        assertEquals(3e-4, CharLmTraining.referenceLr("gpt"));
        assertEquals(2e-3, CharLmTraining.referenceLr("lstm"));
        assertThrows(IllegalArgumentException.class, () -> CharLmTraining.referenceLr("rnn"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CharLmTraining.Settings(0, 1, 1, 1, 1, 0));
        assertTrue(e.getMessage().contains("steps 0"), e.getMessage());
        try (Gpt other = new Gpt(new Gpt.Config(5, 8, 8, 1, 1, false)); Optimizer opt = CharLmTraining.optimizer("gpt", other.parameters(), 1e-3)) {
            e = assertThrows(IllegalArgumentException.class, () -> new CharLmTraining(other, opt, CORPUS, CharLmTraining.Settings.reference(),
                    Path.of("unused"), null));
            assertTrue(e.getMessage().contains("the corpus has " + CORPUS.vocabSize() + " characters but the model 5 tokens"), e.getMessage());
        }
        assertEquals(2.5, SteadySteps.median(new double[] {4, 1, 3, 2}));
        assertArrayEquals(new double[] {1}, new double[] {SteadySteps.median(new double[] {1})});
    }
}
