package dev.fathom.train;

import dev.fathom.Fathom;
import dev.fathom.LiveBuffers;
import dev.fathom.data.DataLoader;
import dev.fathom.data.LabeledData;
import dev.fathom.models.Mlp;
import dev.fathom.nn.Dropout;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Linear;
import dev.fathom.nn.Module;
import dev.fathom.nn.ReLU;
import dev.fathom.nn.Sequential;
import dev.fathom.optim.Adam;
import dev.fathom.optim.CosineAnnealingLR;
import dev.fathom.optim.Optimizer;
import dev.fathom.optim.SGD;
import dev.fathom.optim.StepLR;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The training loop on synthetic data: it learns, logs, stops, resumes bit-exactly and names divergence. */
class TrainerTest {

    /** Three Gaussian blobs in 2-D, 0.5 apart per unit of spread: separable to ~99%. */
    static LabeledData blobs(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] centers = {{-2, 0}, {2, 0}, {0, 3}};
        float[] x = new float[2 * n];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            int c = i % 3;
            y[i] = c;
            x[2 * i] = (float) (centers[c][0] + 0.5 * gaussian(r));
            x[2 * i + 1] = (float) (centers[c][1] + 0.5 * gaussian(r));
        }
        return new LabeledData(x, y, n, 2, 3);
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private static DataLoader loader(LabeledData d, int batch, boolean shuffle) {
        return DataLoader.builder(d, batch).shuffle(shuffle).seed(11).build();
    }

    private static Trainer trainer(Module m, Optimizer o, Path dir, List<Callback> callbacks) {
        return new Trainer(m, o, "cross_entropy", Functional::crossEntropy, dir, false, callbacks);
    }

    private static long live() {
        return LiveBuffers.now();
    }

    @Test
    void learnsBlobsLogsEveryEpochAndLeaksNothing(@TempDir Path dir) throws Exception {
        Fathom.seed(3);
        try (Mlp mlp = new Mlp(2, 16, 3); Adam adam = new Adam(mlp.parameters(), 0.05)) {
            Trainer t = trainer(mlp, adam, dir, List.of());
            t.fit(loader(blobs(300, 1), 32, true), loader(blobs(90, 2), 45, false), 1, 1);
            long before = LiveBuffers.settled();
            List<Map<String, Object>> rows = t.fit(loader(blobs(300, 1), 32, true), loader(blobs(90, 2), 45, false), 2, 8);
            assertEquals(before, live(), "epochs leave no buffers behind");
            assertEquals(7, rows.size());
            Map<String, Object> last = rows.getLast();
            assertTrue(((Number) last.get("val_acc")).doubleValue() >= 0.95, "separable blobs: " + last);
            for (String key : new String[] {"epoch", "train_loss", "val_loss", "val_acc", "samples_per_s", "seconds", "lr"}) {
                assertTrue(last.containsKey(key), key + " logged: " + last);
            }
            assertEquals(8, Files.readAllLines(dir.resolve("metrics.jsonl")).size(), "the resumed log appends to the first call's");
            assertTrue(Files.size(dir.resolve("learning_curves.png")) > 1000);
            double first = ((Number) rows.getFirst().get("train_loss")).doubleValue();
            assertTrue(((Number) last.get("train_loss")).doubleValue() < first, "the loss falls: " + rows);
        }
    }

    /** A model with dropout, so the global generator's position matters too. */
    private static Module dropoutNet() {
        return new Sequential(new Linear(2, 16), new ReLU(), new Dropout(0.3), new Linear(16, 3));
    }

    /** Every parameter of {@code m}, flattened in order (CharLmTrainingTest's resume check too). */
    static float[] weights(Module m) {
        List<Float> all = new ArrayList<>();
        for (var p : m.parameters()) {
            for (float v : p.data().toFloatArray()) {
                all.add(v);
            }
        }
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }

    /**
     * train_acc counts every batch's hits, the short last one included: with a learning rate of 0
     * the model is the same at every step, so the count is a plain F64 forward pass's.
     */
    @Test
    void trainAccuracyCountsTheHitsOfEveryBatch(@TempDir Path dir) throws Exception {
        LabeledData data = blobs(100, 4);
        Fathom.seed(9);
        try (Linear net = new Linear(2, 3); SGD frozen = new SGD(net.parameters(), 0)) {
            float[] w = net.weight().data().toFloatArray(), b = net.bias().data().toFloatArray();
            long hits = 0;
            for (int i = 0; i < data.count(); i++) {
                int best = 0;
                double bestLogit = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < 3; c++) {
                    double logit = b[c] + (double) w[2 * c] * data.features()[2 * i] + (double) w[2 * c + 1] * data.features()[2 * i + 1];
                    if (logit > bestLogit) {
                        best = c;
                        bestLogit = logit;
                    }
                }
                hits += best == data.labels()[i] ? 1 : 0;
            }
            assertTrue(hits > 0 && hits < data.count(), "an initial model that is neither always right nor always wrong: " + hits);
            // 100 examples in batches of 32: 32, 32, 32 and 4
            Map<String, Object> row = trainer(net, frozen, dir, List.of()).fit(loader(data, 32, true), loader(data, 50, false), 1, 1).getFirst();
            assertEquals(hits / 100.0, ((Number) row.get("train_acc")).doubleValue(), 0.0, "row " + row);
        }
    }

    @Test
    void stopAndResumeGivesBitIdenticalWeights(@TempDir Path dir) throws Exception {
        LabeledData train = blobs(200, 5), val = blobs(60, 6);
        float[] straight;
        Fathom.seed(42);
        try (Module m = dropoutNet(); Adam o = new Adam(m.parameters(), 0.01)) {
            trainer(m, o, dir.resolve("a"), List.of()).fit(loader(train, 32, true), loader(val, 60, false), 1, 4);
            straight = weights(m);
        }
        Path ckpt = dir.resolve("b/checkpoint.safetensors");
        Fathom.seed(42);
        try (Module m = dropoutNet(); Adam o = new Adam(m.parameters(), 0.01)) {
            trainer(m, o, dir.resolve("b"), List.of(new SaveCheckpoints(dir.resolve("b"), null, true, Map.of("model", "test"))))
                    .fit(loader(train, 32, true), loader(val, 60, false), 1, 2);
        }
        Fathom.seed(999);   // a different process state: everything must come from the checkpoint
        float[] resumed;
        try (Module m = dropoutNet(); Adam o = new Adam(m.parameters(), 0.01)) {
            int done = TrainingCheckpoint.resume(ckpt, m, o);
            assertEquals(2, done);
            trainer(m, o, dir.resolve("b"), List.of()).fit(loader(train, 32, true), loader(val, 60, false), done + 1, 4);
            resumed = weights(m);
        }
        assertArrayEquals(straight, resumed, "2 + 2 epochs through a checkpoint equal 4 straight epochs, bit for bit");
        assertEquals(4, Files.readAllLines(dir.resolve("b/metrics.jsonl")).size());
    }

    /** The epoch stored in a checkpoint's metadata. */
    private static long savedEpoch(Path file) throws Exception {
        return Long.parseLong(dev.fathom.io.Checkpoint.peek(file).get(TrainingCheckpoint.EPOCH));
    }

    /** Two epochs, then a resume from epoch 2's checkpoint for epochs 3..4, each fit with its own trainer and callback (as the CLI runs). */
    private static void trainResumed(Path dir, SaveCheckpoints first, SaveCheckpoints second) throws Exception {
        LabeledData train = blobs(60, 5), val = blobs(30, 6);
        Fathom.seed(8);
        try (Module m = dropoutNet(); Adam o = new Adam(m.parameters(), 0.01)) {
            trainer(m, o, dir, List.of(first)).fit(loader(train, 20, true), loader(val, 30, false), 1, 2);
        }
        try (Module m = dropoutNet(); Adam o = new Adam(m.parameters(), 0.01)) {
            int done = TrainingCheckpoint.resume(dir.resolve("checkpoint.safetensors"), m, o);
            trainer(m, o, dir, List.of(second)).fit(loader(train, 20, true), loader(val, 30, false), done + 1, 4);
        }
    }

    @Test
    void aResumedRunKeepsTheBestModelOfTheEpochsBeforeTheResume(@TempDir Path dir) throws Exception {
        // Monitoring "epoch" itself makes the order of quality known in advance: smaller is better, so epoch 1 is the best of all four.
        trainResumed(dir, new SaveCheckpoints(dir, "epoch", false, Map.of()), new SaveCheckpoints(dir, "epoch", false, Map.of()));
        assertEquals(1, savedEpoch(dir.resolve("best.safetensors")), "epochs 3 and 4 are worse than epoch 1 from the run's record");
        assertEquals(4, savedEpoch(dir.resolve("checkpoint.safetensors")));
        // Larger is better: each epoch after the resume beats the record and replaces best.safetensors.
        Path up = dir.resolve("up");
        trainResumed(up, new SaveCheckpoints(up, "epoch", true, Map.of()), new SaveCheckpoints(up, "epoch", true, Map.of()));
        assertEquals(4, savedEpoch(up.resolve("best.safetensors")));
    }

    @Test
    void aPerBatchScheduleIsSavedAndResumedWithTheRun(@TempDir Path dir) throws Exception {
        LabeledData train = blobs(128, 8), val = blobs(30, 9);
        int total = 4 * 4;   // 4 epochs of 4 batches
        float[] straight;
        double lrStraight;
        Fathom.seed(5);
        try (Module m = dropoutNet(); Adam o = new Adam(m.parameters(), 0.02)) {
            Trainer t = trainer(m, o, dir.resolve("a"), List.of()).schedule(new CosineAnnealingLR(o, 2, total, 0.001), true);
            List<Map<String, Object>> rows = t.fit(loader(train, 32, true), loader(val, 30, false), 1, 4);
            straight = weights(m);
            lrStraight = o.lr();
            assertTrue(((Number) rows.get(0).get("lr")).doubleValue() > ((Number) rows.get(3).get("lr")).doubleValue(), "cosine decays: " + rows);
            assertTrue(rows.get(0).containsKey("train_acc"), "classification logs training accuracy: " + rows.get(0));
        }
        Fathom.seed(5);
        try (Module m = dropoutNet(); Adam o = new Adam(m.parameters(), 0.02)) {
            Trainer t = trainer(m, o, dir.resolve("b"), List.of(new SaveCheckpoints(dir.resolve("b"), null, true, Map.of())))
                    .schedule(new CosineAnnealingLR(o, 2, total, 0.001), true);
            t.fit(loader(train, 32, true), loader(val, 30, false), 1, 2);
        }
        Fathom.seed(77);
        try (Module m = dropoutNet(); Adam o = new Adam(m.parameters(), 0.02)) {
            CosineAnnealingLR schedule = new CosineAnnealingLR(o, 2, total, 0.001);
            int done = TrainingCheckpoint.resume(dir.resolve("b/checkpoint.safetensors"), m, o, schedule);
            trainer(m, o, dir.resolve("b"), List.of()).schedule(schedule, true).fit(loader(train, 32, true), loader(val, 30, false), done + 1, 4);
            assertArrayEquals(straight, weights(m), "the schedule's position came back with the checkpoint");
            assertEquals(lrStraight, o.lr(), 0.0);
        }
    }

    @Test
    void predictReturnsEveryOutputInOrder(@TempDir Path dir) {
        Fathom.seed(4);
        LabeledData data = blobs(23, 3);
        try (Mlp mlp = new Mlp(2, 5, 3); var s = dev.fathom.tensor.Scope.open()) {
            Tensor all = trainer(mlp, null, dir, List.of()).predict(loader(data, 5, false));
            assertArrayEquals(new int[] {23, 3}, all.shape());
            Tensor direct = mlp.forward(Tensor.of(data.features(), 23, 2));
            assertArrayEquals(direct.toFloatArray(), all.toFloatArray(), "batched prediction equals one forward pass");
        }
    }

    @Test
    void aNanLossNamesTheLossEpochAndStepAndWritesNoCheckpoint(@TempDir Path dir) {
        LabeledData clean = blobs(64, 7);
        float[] x = clean.features().clone();
        x[2 * 40] = Float.NaN;
        LabeledData poisoned = new LabeledData(x, clean.labels(), 64, 2, 3);
        Fathom.seed(1);
        try (Mlp mlp = new Mlp(2, 8, 3); Adam adam = new Adam(mlp.parameters(), 0.01)) {
            Trainer t = trainer(mlp, adam, dir, List.of(new SaveCheckpoints(dir, "val_acc", true, Map.of())));
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> t.fit(loader(poisoned, 16, false), loader(clean, 64, false), 1, 2));
            assertTrue(e.getMessage().contains("cross_entropy is NaN at epoch 1, step 3 of 4"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("checkpoint.safetensors")), "no checkpoint of a diverged epoch");
    }

    @Test
    void aNanValidationLossStopsTheRunBeforeTheEpochIsLoggedOrSaved(@TempDir Path dir) {
        // One batch an epoch: its loss is finite, the update at this learning rate is not, so only the validation sees it.
        LabeledData data = blobs(16, 7);
        Fathom.seed(1);
        try (Mlp mlp = new Mlp(2, 8, 3); Adam adam = new Adam(mlp.parameters(), 1e30)) {
            Trainer t = trainer(mlp, adam, dir, List.of(new SaveCheckpoints(dir, "val_acc", true, Map.of())));
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> t.fit(loader(data, 16, false), loader(data, 16, false), 1, 2));
            assertTrue(e.getMessage().matches("training diverged: the validation cross_entropy is (NaN|Infinity) after epoch 1 \\(learning rate 1\\.0E30\\); .*"),
                    e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("checkpoint.safetensors")), "no checkpoint of NaN weights");
        assertFalse(Files.exists(dir.resolve("best.safetensors")), "no best of NaN weights");
    }

    @Test
    void aLoaderWithNoBatchesIsRefusedWithItsSizesBeforeAnythingIsWritten(@TempDir Path dir) {
        Fathom.seed(1);
        LabeledData ten = blobs(10, 1), none = new LabeledData(new float[0], new long[0], 0, 2, 3);
        DataLoader dropLast = DataLoader.builder(ten, 32).dropLast(true).build();
        try (Mlp mlp = new Mlp(2, 8, 3); Adam adam = new Adam(mlp.parameters(), 0.01)) {
            Trainer t = trainer(mlp, adam, dir, List.of(new SaveCheckpoints(dir, "val_acc", true, Map.of())));
            String m = assertThrows(IllegalArgumentException.class, () -> t.fit(dropLast, loader(ten, 5, false), 1, 1)).getMessage();
            assertEquals("Trainer.fit: the training loader has no batches: 10 examples, batch size 32, drop-last true; "
                    + "use a batch size of at most 10 or turn drop-last off", m);
            m = assertThrows(IllegalArgumentException.class, () -> t.fit(loader(ten, 5, false), loader(none, 5, false), 1, 1)).getMessage();
            assertEquals("Trainer.fit: the validation loader has no batches: 0 examples, batch size 5, drop-last false; the data set is empty", m);
            m = assertThrows(IllegalArgumentException.class, () -> t.evaluate(loader(none, 4, false))).getMessage();
            assertTrue(m.startsWith("Trainer.evaluate: the evaluation loader has no batches: 0 examples"), m);
        }
        assertFalse(Files.exists(dir.resolve("metrics.jsonl")), "no log of a run that never started");
    }

    @Test
    void aScheduleOfAnotherOptimizerANonScalarLossAndNullsAreRefusedWithWhatToDo(@TempDir Path dir) {
        Fathom.seed(3);
        try (Mlp mlp = new Mlp(2, 8, 3); Adam adam = new Adam(mlp.parameters(), 0.01); SGD other = new SGD(mlp.parameters(), 0.1)) {
            Trainer t = trainer(mlp, adam, dir, List.of());
            String m = assertThrows(IllegalArgumentException.class, () -> t.schedule(new StepLR(other, 1, 0.5), false)).getMessage();
            assertEquals("Trainer.schedule: the StepLR sets the learning rate of another optimizer, not this trainer's Adam; "
                    + "construct the schedule with the optimizer the trainer was given", m);
            assertNull(t.schedule(), "a refused schedule is not kept");
            assertEquals(0.1, other.lr(), 0.0, "StepLR sets its optimizer's rate when made, and nothing stepped it");
            m = assertThrows(IllegalArgumentException.class, () -> trainer(mlp, null, dir, List.of()).schedule(new StepLR(adam, 1, 0.5), true))
                    .getMessage();
            assertTrue(m.contains("this trainer has none (it only evaluates)"), m);

            Trainer perExample = new Trainer(mlp, adam, "nll", (out, y) -> out.logSoftmax(-1).mul(-1), dir, false, List.of());
            m = assertThrows(IllegalArgumentException.class, () -> perExample.fit(loader(blobs(20, 1), 5, false), null, 1, 1)).getMessage();
            assertEquals("Trainer.fit: the loss nll gave a tensor of shape [5, 3] (15 elements) for output [5, 3] and target [5]; "
                    + "it must return one number: reduce it over the batch, e.g. with .mean()", m);
            m = assertThrows(IllegalArgumentException.class, () -> perExample.evaluate(loader(blobs(20, 1), 5, false))).getMessage();
            assertTrue(m.startsWith("Trainer.evaluate: the loss nll gave a tensor of shape [5, 3]"), m);

            m = assertThrows(NullPointerException.class, () -> trainer(mlp, adam, dir, null)).getMessage();
            assertEquals("Trainer: callbacks is null; pass List.of() for none", m);
            m = assertThrows(IllegalArgumentException.class, () -> t.predict(null)).getMessage();
            assertEquals("Trainer.predict: the prediction loader is null", m);
        }
    }

    @Test
    void earlyStoppingEndsTheRunWithAReason(@TempDir Path dir) {
        Fathom.seed(2);
        try (Mlp mlp = new Mlp(2, 8, 3); Adam adam = new Adam(mlp.parameters(), 0.01)) {
            Trainer t = trainer(mlp, adam, dir, List.of(new EarlyStopping("val_loss", false, 1, 1e9)));
            List<Map<String, Object>> rows = t.fit(loader(blobs(60, 1), 20, true), loader(blobs(30, 2), 30, false), 1, 10);
            assertEquals(2, rows.size(), "epoch 1 sets the best; epoch 2 cannot beat it by 1e9");
            assertNotNull(t.stopReason());
            assertTrue(t.stopReason().contains("val_loss"), t.stopReason());
        }
    }

    @Test
    void evaluationOnlyTrainerRefusesToFit(@TempDir Path dir) {
        try (Mlp mlp = new Mlp(2, 3)) {
            Trainer t = trainer(mlp, null, dir, List.of());
            Evaluation e = t.evaluate(loader(blobs(30, 1), 7, false));
            assertEquals(30, e.labels().length);
            assertThrows(IllegalStateException.class, () -> t.fit(loader(blobs(30, 1), 7, false), null, 1, 1));
        }
    }

    @Test
    void mlpTakesFlatOrImageShapedInputAndRejectsOthers() {
        // In a scope: tensors left to the Cleaner would be freed during a later test's live-buffer count.
        try (Mlp mlp = new Mlp(4, 3); Scope s = Scope.open()) {
            assertArrayEquals(new int[] {2, 3}, mlp.forward(Tensor.zeros(2, 4)).shape());
            assertArrayEquals(new int[] {2, 3}, mlp.forward(Tensor.zeros(2, 1, 2, 2)).shape());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mlp.forward(Tensor.zeros(2, 5)));
            assertTrue(e.getMessage().contains("[2, 5]"), e.getMessage());
        }
    }
}
