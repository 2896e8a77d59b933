package dev.fathom.train;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.data.Batch;
import dev.fathom.data.LabeledData;
import dev.fathom.models.Mlp;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Fits a classifier with mean softmax cross-entropy and Adam: each epoch shuffles the training
 * set (from the config's seed), takes one step per batch inside its own {@link Scope}, then
 * measures accuracy on the test set.
 */
public final class ClassifierTrainer {
    private final TrainConfig config;

    public ClassifierTrainer(TrainConfig config) {
        this.config = config;
    }

    /** Trains {@code model} in place; reports each epoch to {@code onEpoch} and returns all reports. */
    public List<EpochReport> fit(Mlp model, LabeledData train, LabeledData test, Consumer<EpochReport> onEpoch) {
        if (train.count() == 0) {
            throw new IllegalArgumentException("ClassifierTrainer.fit: the training set is empty");
        }
        List<EpochReport> reports = new ArrayList<>();
        SplittableRandom shuffler = new SplittableRandom(config.seed());
        int[] order = train.identityOrder();
        int steps = (train.count() + config.batchSize() - 1) / config.batchSize();
        try (Adam adam = new Adam(model.parameters(), config.learningRate())) {
            for (int epoch = 1; epoch <= config.epochs(); epoch++) {
                shuffle(order, shuffler);
                double lossSum = 0;
                long start = System.nanoTime();
                for (int step = 0; step < steps; step++) {
                    int from = step * config.batchSize();
                    int size = Math.min(config.batchSize(), train.count() - from);
                    try (Scope s = Scope.open()) {
                        Batch batch = train.batch(order, from, size);
                        Tensor loss = Losses.crossEntropy(model.forward(batch.x()), batch.y());
                        float value = loss.item();
                        if (!Float.isFinite(value)) {
                            throw new TrainingDivergedException("training diverged: the loss is " + value + " at epoch " + epoch + ", step "
                                    + (step + 1) + " of " + steps + " (learning rate " + config.learningRate() + ", batch size "
                                    + config.batchSize() + "); try a lower learning rate, and check the data for NaNs");
                        }
                        lossSum += (double) value * size;
                        loss.backward();
                        adam.step();
                        adam.zeroGrad();
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                EpochReport report = new EpochReport(epoch, config.epochs(), lossSum / train.count(), accuracy(model, test, 1000),
                        train.count() / seconds, seconds);
                reports.add(report);
                onEpoch.accept(report);
            }
        }
        return reports;
    }

    /** The fraction of {@code data} whose argmax logit is the label (0 for an empty set). */
    public static double accuracy(Mlp model, LabeledData data, int batchSize) {
        if (data.count() == 0) {
            return 0;
        }
        int[] order = data.identityOrder();
        long correct = 0;
        try (GradMode off = Autograd.noGrad()) {
            for (int from = 0; from < data.count(); from += batchSize) {
                try (Scope s = Scope.open()) {
                    Batch batch = data.batch(order, from, Math.min(batchSize, data.count() - from));
                    long[] predicted = model.forward(batch.x()).argmax(1).toLongArray();
                    long[] labels = batch.y().toLongArray();
                    for (int i = 0; i < predicted.length; i++) {
                        correct += predicted[i] == labels[i] ? 1 : 0;
                    }
                }
            }
        }
        return (double) correct / data.count();
    }

    /** Fisher–Yates, so that the order depends only on the seed. */
    private static void shuffle(int[] a, SplittableRandom random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
        }
    }
}
