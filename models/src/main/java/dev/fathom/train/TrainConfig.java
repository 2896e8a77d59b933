package dev.fathom.train;

/**
 * The settings of one training run; every default lives in {@link #defaults()}.
 *
 * @param epochs       passes over the training set, at least 1
 * @param batchSize    examples per step, at least 1
 * @param learningRate Adam's step size, positive and finite
 * @param seed         fixes the shuffle order (and, through the caller, the initial weights)
 */
public record TrainConfig(int epochs, int batchSize, double learningRate, long seed) {

    public TrainConfig {
        if (epochs < 1 || batchSize < 1 || !(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("TrainConfig: need epochs >= 1, batchSize >= 1 and a positive finite learningRate, got epochs="
                    + epochs + " batchSize=" + batchSize + " learningRate=" + learningRate);
        }
    }

    /** 5 epochs of batches of 64 at Adam's usual 1e-3, seed 7. */
    public static TrainConfig defaults() {
        return new TrainConfig(5, 64, 1e-3, 7);
    }

    public TrainConfig withEpochs(int e) {
        return new TrainConfig(e, batchSize, learningRate, seed);
    }

    public TrainConfig withBatchSize(int b) {
        return new TrainConfig(epochs, b, learningRate, seed);
    }

    public TrainConfig withLearningRate(double lr) {
        return new TrainConfig(epochs, batchSize, lr, seed);
    }

    public TrainConfig withSeed(long s) {
        return new TrainConfig(epochs, batchSize, learningRate, s);
    }
}
