package dev.fathom.train;

import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.data.Batch;
import dev.fathom.data.DataLoader;
import dev.fathom.data.LabeledData;
import dev.fathom.models.Mlp;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Fits a classifier with mean softmax cross-entropy and Adam: each epoch shuffles the training
 * set (a {@link DataLoader} seeded with the config's seed, so in the PyTorch peers' order),
 * takes one step per batch inside its own {@link Scope}, then measures accuracy on the test set.
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
        DataLoader loader = DataLoader.builder(train, config.batchSize()).shuffle(true).seed(config.seed()).build();
        int steps = loader.batchesPerEpoch();
        try (Adam adam = new Adam(model.parameters(), config.learningRate())) {
            for (int epoch = 1; epoch <= config.epochs(); epoch++) {
                double lossSum = 0;
                long start = System.nanoTime();
                try (DataLoader.Epoch batches = loader.epoch()) {
                    for (int step = 0; batches.hasNext(); step++) {
                        try (Scope s = Scope.open()) {
                            Batch batch = batches.next();
                            Tensor loss = Losses.crossEntropy(model.forward(batch.x()), batch.y());
                            float value = loss.item();
                            if (!Float.isFinite(value)) {
                                throw new TrainingDivergedException("training diverged: the loss is " + value + " at epoch " + epoch + ", step "
                                        + (step + 1) + " of " + steps + " (learning rate " + config.learningRate() + ", batch size "
                                        + config.batchSize() + "); try a lower learning rate, and check the data for NaNs");
                            }
                            lossSum += (double) value * batch.size();
                            loss.backward();
                            adam.step();
                            adam.zeroGrad();
                        }
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
}
