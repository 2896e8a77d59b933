package dev.fathom.train;

import dev.fathom.data.FashionMnist;
import dev.fathom.data.LabeledData;
import dev.fathom.models.Mlp;
import dev.fathom.spi.MemoryStats;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.internal.Backends;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Small training runs that must reach a stated accuracy; all on the default device (the CPU). */
class ClassifierTrainerTest {

    /** Three Gaussian blobs (std 0.5) at radius 3, 120° apart: separable, so a small MLP gets them all. */
    static LabeledData blobs(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[2 * n];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            int c = i % 3;
            double angle = 2 * Math.PI * c / 3;
            x[2 * i] = (float) (3 * Math.cos(angle) + 0.5 * r.nextGaussian());
            x[2 * i + 1] = (float) (3 * Math.sin(angle) + 0.5 * r.nextGaussian());
            y[i] = c;
        }
        return new LabeledData(x, y, n, 2, 3);
    }

    private static MemoryStats cpuMemory() {
        return Backends.kernels(Device.cpu()).memoryStats();
    }

    @Test
    void mlpSeparatesBlobsAboveNinetyFivePercent() {
        LabeledData train = blobs(300, 1);
        LabeledData test = blobs(150, 2);
        TrainConfig config = new TrainConfig(15, 16, 0.01, 3);
        List<EpochReport> seen = new ArrayList<>();
        try (Mlp mlp = new Mlp(new Generator(3), 2, 16, 3)) {
            List<EpochReport> reports = new ClassifierTrainer(config).fit(mlp, train, test, seen::add);
            assertEquals(reports, seen);
            assertEquals(15, reports.size());
            EpochReport last = reports.getLast();
            assertTrue(last.testAccuracy() >= 0.95, last.format());
            assertTrue(last.trainLoss() < reports.getFirst().trainLoss(), "the loss must fall: " + reports);
            assertTrue(last.samplesPerSecond() > 0);
        }
    }

    @Test
    void sameSeedSameRun() {
        TrainConfig config = new TrainConfig(2, 32, 0.01, 5);
        double[] losses = new double[2];
        for (int run = 0; run < 2; run++) {
            try (Mlp mlp = new Mlp(new Generator(5), 2, 8, 3)) {
                losses[run] = new ClassifierTrainer(config).fit(mlp, blobs(96, 1), blobs(30, 2), r -> { }).getLast().trainLoss();
            }
        }
        assertEquals(losses[0], losses[1]);
    }

    @Test
    void stepsLeaveNoLiveBuffersBehind() {
        long before = cpuMemory().liveBuffers();
        try (Mlp mlp = new Mlp(new Generator(3), 2, 16, 3)) {
            new ClassifierTrainer(new TrainConfig(3, 16, 0.01, 3)).fit(mlp, blobs(160, 1), blobs(30, 2), r -> { });
        }
        assertEquals(before, cpuMemory().liveBuffers(), "training must release every tensor it creates: " + cpuMemory());
    }

    @Test
    void aNanLossStopsTheRunNamingTheStep() {
        LabeledData clean = blobs(64, 1);
        float[] x = clean.features().clone();
        x[2 * 40] = Float.NaN;   // example 40 lands in some batch of the first epoch
        LabeledData poisoned = new LabeledData(x, clean.labels(), 64, 2, 3);
        try (Mlp mlp = new Mlp(new Generator(3), 2, 8, 3)) {
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> new ClassifierTrainer(new TrainConfig(1, 16, 0.01, 3)).fit(mlp, poisoned, clean, r -> { }));
            assertTrue(e.getMessage().matches("training diverged: the loss is NaN at epoch 1, step [1-4] of 4 .*"), e.getMessage());
        }
    }

    @Test
    void fashionMnistSubsetOneEpochAboveSeventyFivePercent() throws IOException {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist");
        FashionMnist.Splits s = FashionMnist.load(FashionMnist.DEFAULT_DIR);
        try (Mlp mlp = new Mlp(new Generator(7), 784, 128, 10)) {
            EpochReport r = new ClassifierTrainer(new TrainConfig(1, 64, 1e-3, 7))
                    .fit(mlp, s.train().head(10_000), s.test().head(2_000), x -> { }).getLast();
            assertTrue(r.testAccuracy() >= 0.75, r.format());
        }
    }
}
