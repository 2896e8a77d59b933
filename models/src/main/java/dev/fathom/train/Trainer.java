package dev.fathom.train;

import dev.fathom.autograd.Autograd;
import dev.fathom.data.Batch;
import dev.fathom.data.DataLoader;
import dev.fathom.nn.Module;
import dev.fathom.optim.LrSchedule;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * Fits a model with an optimizer and a loss: per epoch, one step per training batch (each in its
 * own {@link Scope}, so nothing a step allocates outlives it but the epoch's count of correct
 * predictions), then validation, one row in the run's {@code metrics.jsonl} and a redrawn
 * {@code learning_curves.png}, then the callbacks.
 *
 * <p>A step reads one number back from the device: its loss, before the optimizer runs, so that a
 * loss that is NaN or infinite stops the run with {@link TrainingDivergedException} (naming the
 * loss, the epoch and the step) before it reaches the weights; a validation loss that is not
 * finite (a finite loss whose update was not) stops it before the epoch is logged or checkpointed. Classification is detected from I64
 * targets: then training and validation accuracy are logged as {@code train_acc} and
 * {@code val_acc}, the training hits summed on the device and read once an epoch. An optional
 * {@link LrSchedule} steps per batch or per epoch. Not thread-safe; one fit at a time.
 */
public final class Trainer {
    private final Module model;
    private final Optimizer optimizer;
    private final String lossName;
    private final BiFunction<Tensor, Tensor, Tensor> loss;
    private final List<Callback> callbacks;
    private final Path runDir;
    private final boolean progress;
    private String stopReason;
    private int epoch;
    private List<Map<String, Object>> history = List.of();
    private LrSchedule schedule;
    private boolean schedulePerBatch;

    /**
     * @param optimizer null for a trainer that only evaluates
     * @param lossName named in messages and logs, e.g. {@code "cross_entropy"}
     * @param loss     (model output, target) → scalar loss
     * @param runDir   where {@code metrics.jsonl} and {@code learning_curves.png} go
     * @param progress draw a progress bar on standard error
     */
    public Trainer(Module model, Optimizer optimizer, String lossName, BiFunction<Tensor, Tensor, Tensor> loss, Path runDir,
                   boolean progress, List<Callback> callbacks) {
        this.model = Objects.requireNonNull(model, "Trainer: model is null");
        this.optimizer = optimizer;
        this.lossName = Objects.requireNonNull(lossName, "Trainer: lossName is null");
        this.loss = Objects.requireNonNull(loss, "Trainer: loss is null");
        this.runDir = Objects.requireNonNull(runDir, "Trainer: runDir is null");
        this.progress = progress;
        this.callbacks = List.copyOf(Objects.requireNonNull(callbacks, "Trainer: callbacks is null; pass List.of() for none"));
    }

    /**
     * Steps {@code schedule} after every optimizer step ({@code perBatch}) or after every epoch's
     * validation (with the validation loss when the schedule watches a metric); it is saved in
     * checkpoints with the optimizer. Returns this.
     */
    public Trainer schedule(LrSchedule schedule, boolean perBatch) {
        if (schedule != null && schedule.optimizer() != optimizer) {
            throw new IllegalArgumentException("Trainer.schedule: the " + schedule.getClass().getSimpleName() + " sets the learning rate of "
                    + (optimizer == null ? "an optimizer, but this trainer has none (it only evaluates)"
                    : "another optimizer, not this trainer's " + optimizer.getClass().getSimpleName())
                    + "; construct the schedule with the optimizer the trainer was given");
        }
        this.schedule = schedule;
        this.schedulePerBatch = perBatch;
        return this;
    }

    /** The schedule set with {@link #schedule}, or null. */
    public LrSchedule schedule() {
        return schedule;
    }

    /** Asks the running fit to stop after the current epoch; the reason is logged. */
    public void stop(String reason) {
        stopReason = reason;
    }

    /** Why the last fit stopped early, or null. */
    public String stopReason() {
        return stopReason;
    }

    /**
     * The rows of {@code metrics.jsonl} from before the current fit's first epoch (a resumed run's
     * record; empty for a run from epoch 1), read when {@link #fit} starts and before
     * {@link Callback#onTrainStart}, so that callbacks can pick up where the run left off.
     */
    public List<Map<String, Object>> history() {
        return history;
    }

    /** The last completed epoch (1-based; 0 before the first). */
    public int epoch() {
        return epoch;
    }

    public Module model() {
        return model;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * Trains epochs {@code firstEpoch..lastEpoch} (1-based; a resumed run starts later), validating
     * on {@code validation} (may be null) after each. Returns the rows logged by this call.
     * Throws IllegalArgumentException when a loader has no batches (an empty data set, or
     * drop-last with fewer examples than a batch), before anything is trained or written.
     *
     * <p>{@code metrics.jsonl} keeps the rows of the epochs before {@code firstEpoch}; rows of
     * {@code firstEpoch} and later (from a run that went further before this one resumed from an
     * earlier checkpoint) are dropped when the first epoch of this call is logged.
     */
    public List<Map<String, Object>> fit(DataLoader train, DataLoader validation, int firstEpoch, int lastEpoch) {
        if (firstEpoch < 1 || lastEpoch < firstEpoch) {
            throw new IllegalArgumentException("Trainer.fit: need 1 <= firstEpoch <= lastEpoch, got " + firstEpoch + " and " + lastEpoch);
        }
        if (optimizer == null) {
            throw new IllegalStateException("Trainer.fit: this trainer was made without an optimizer (evaluation only)");
        }
        requireBatches("Trainer.fit", "training", train);
        if (validation != null) {
            requireBatches("Trainer.fit", "validation", validation);
        }
        stopReason = null;
        List<Map<String, Object>> rows = new ArrayList<>();
        try (MetricsLog log = MetricsLog.resume(runDir.resolve("metrics.jsonl"), "epoch", firstEpoch)) {
            history = List.copyOf(log.rows());
            callbacks.forEach(c -> c.onTrainStart(this));
            for (int e = firstEpoch; e <= lastEpoch && stopReason == null; e++) {
                Map<String, Object> row = trainEpoch(train, e, lastEpoch);
                if (validation != null) {
                    Evaluation v = evaluate(validation);
                    if (!Double.isFinite(v.loss())) {
                        // The step's loss was finite, its update was not: stop before the log and the checkpoints take these weights.
                        throw new TrainingDivergedException("training diverged: the validation " + lossName + " is " + v.loss() + " after epoch " + e
                                + " (learning rate " + optimizer.lr() + "); lower the learning rate, or check the data for NaNs");
                    }
                    row.put("val_loss", v.loss());
                    if (v.predicted() != null) {
                        row.put("val_acc", v.accuracy());
                    }
                }
                row.put("lr", optimizer.lr());
                if (schedule != null && !schedulePerBatch) {
                    if (schedule.needsMetric()) {
                        if (!(row.get("val_loss") instanceof Double v)) {
                            throw new IllegalStateException("Trainer.fit: " + schedule.getClass().getSimpleName()
                                    + " needs the validation loss; pass a validation loader");
                        }
                        schedule.step(v);
                    } else {
                        schedule.step();
                    }
                }
                log.log(row);
                LearningCurves.write(runDir.resolve("learning_curves.png"), log.rows(), "epoch");
                rows.add(row);
                epoch = e;
                EpochEnd end = new EpochEnd(e, row);
                for (Callback c : callbacks) {
                    c.onEpochEnd(this, end);
                }
            }
        }
        callbacks.forEach(c -> c.onTrainEnd(this));
        return rows;
    }

    private Map<String, Object> trainEpoch(DataLoader train, int e, int lastEpoch) {
        model.train();
        int steps = train.batchesPerEpoch();
        ProgressBar bar = progress ? ProgressBar.stderr(String.format("epoch %d/%d", e, lastEpoch), steps) : null;
        double lossSum = 0;
        long samples = 0;
        long correct = 0;
        boolean classes = false;
        long start = System.nanoTime();
        // The correct predictions so far, a scalar on the model's device read once after the epoch:
        // reading each step's count would wait for that step's last kernels on an asynchronous device.
        Tensor hits = null;
        // Loader epochs count from 0, ours from 1: epoch e takes the loader's permutation e - 1 (resume-safe).
        try (DataLoader.Epoch batches = train.epoch(e - 1)) {
            int step = 0;
            while (batches.hasNext()) {
                step++;
                try (Scope s = Scope.open()) {
                    Batch b = batches.next();
                    Tensor output = model.forward(b.x());
                    Tensor l = lossOf(output, b.y(), "Trainer.fit");
                    double value = l.itemDouble();
                    if (!Double.isFinite(value)) {
                        throw new TrainingDivergedException("training diverged: " + lossName + " is " + value + " at epoch " + e + ", step "
                                + step + " of " + steps + " (learning rate " + optimizer.lr() + "); lower the learning rate, or check the data for NaNs");
                    }
                    optimizer.zeroGrad();
                    l.backward();
                    optimizer.step();
                    if (schedule != null && schedulePerBatch) {
                        schedule.step();
                    }
                    lossSum += value * b.size();
                    samples += b.size();
                    if (b.y().dtype() == DType.I64) {
                        classes = true;
                        try (var g = Autograd.noGrad()) {
                            Tensor batchHits = output.argmax(-1).eq(b.y()).sum();
                            if (hits == null) {
                                hits = Scope.escape(batchHits);
                            } else {
                                hits.addInPlace(batchHits);
                            }
                        }
                    }
                }
                if (bar != null) {
                    bar.update(step, samples == 0 ? 0 : lossSum / samples, samples);
                }
            }
            if (hits != null) {
                correct = hits.itemLong();
            }
        } finally {
            if (hits != null) {
                hits.close();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("epoch", e);
        row.put("train_loss", samples == 0 ? Double.NaN : lossSum / samples);
        if (classes) {
            row.put("train_acc", (double) correct / samples);
        }
        row.put("samples_per_s", samples / seconds);
        row.put("seconds", seconds);
        return row;
    }

    /** Throws naming the data set size, batch size and drop-last when {@code loader} would yield no batch (a NaN loss otherwise). */
    private static void requireBatches(String op, String role, DataLoader loader) {
        if (loader == null) {
            throw new IllegalArgumentException(op + ": the " + role + " loader is null");
        }
        if (loader.batchesPerEpoch() == 0) {
            int n = loader.dataset().size();
            throw new IllegalArgumentException(op + ": the " + role + " loader has no batches: " + n + " examples, batch size "
                    + loader.batchSize() + ", drop-last " + loader.dropLast() + (n == 0 ? "; the data set is empty"
                    : "; use a batch size of at most " + n + " or turn drop-last off"));
        }
    }

    /**
     * The mean loss over {@code data} in eval mode without recording; predictions when the targets are class indices.
     *
     * @throws IllegalArgumentException when {@code data} has no batches (an empty data set, or drop-last with fewer examples than a batch)
     */
    public Evaluation evaluate(DataLoader data) {
        requireBatches("Trainer.evaluate", "evaluation", data);
        boolean wasTraining = model.isTraining();
        model.eval();
        double lossSum = 0;
        long n = 0;
        List<long[]> predicted = new ArrayList<>(), labels = new ArrayList<>();
        try (var g = Autograd.noGrad(); DataLoader.Epoch batches = data.epoch(0)) {
            while (batches.hasNext()) {
                try (Scope s = Scope.open()) {
                    Batch b = batches.next();
                    Tensor out = model.forward(b.x());
                    lossSum += lossOf(out, b.y(), "Trainer.evaluate").itemDouble() * b.size();
                    n += b.size();
                    if (b.y().dtype() == DType.I64) {
                        predicted.add(out.argmax(-1).toLongArray());
                        labels.add(b.y().toLongArray());
                    }
                }
            }
        } finally {
            if (wasTraining) {
                model.train();
            }
        }
        return new Evaluation(n == 0 ? Double.NaN : lossSum / n, predicted.isEmpty() ? null : concat(predicted),
                labels.isEmpty() ? null : concat(labels));
    }

    /**
     * The model's outputs for every example of {@code data}, in order, in eval mode without
     * recording: one tensor {@code (N, ...)} on the model's device, owned by the caller's scope.
     */
    public Tensor predict(DataLoader data) {
        requireBatches("Trainer.predict", "prediction", data);
        boolean wasTraining = model.isTraining();
        model.eval();
        List<Tensor> parts = new ArrayList<>();
        try (var g = Autograd.noGrad(); DataLoader.Epoch batches = data.epoch(0)) {
            while (batches.hasNext()) {
                try (Scope s = Scope.open()) {
                    parts.add(Scope.escape(model.forward(batches.next().x()).contiguous()));
                }
            }
            return Tensor.cat(0, parts.toArray(Tensor[]::new));
        } finally {
            parts.forEach(Tensor::close);
            if (wasTraining) {
                model.train();
            }
        }
    }

    private static long[] concat(List<long[]> parts) {
        int n = 0;
        for (long[] p : parts) {
            n += p.length;
        }
        long[] out = new long[n];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** The loss of one batch, which must be one number (a mean or sum over the batch). */
    private Tensor lossOf(Tensor output, Tensor target, String op) {
        Tensor l = loss.apply(output, target);
        if (l == null || l.numel() != 1) {
            throw new IllegalArgumentException(op + ": the loss " + lossName + " gave " + (l == null ? "null"
                    : "a tensor of shape " + Arrays.toString(l.shape()) + " (" + l.numel() + " elements)")
                    + " for output " + Arrays.toString(output.shape()) + " and target " + Arrays.toString(target.shape())
                    + "; it must return one number: reduce it over the batch, e.g. with .mean()");
        }
        return l;
    }
}
