package dev.fathom.train;

import dev.fathom.io.IoErrors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * After every epoch, atomically writes {@code checkpoint.safetensors} (to resume from) and, when
 * {@code monitor} improves, {@code best.safetensors} (keep-best), both with {@link TrainingCheckpoint}.
 * A failed or interrupted write leaves the previous file as it was.
 *
 * <p>A resumed run starts from the best {@code monitor} value in the run's record
 * ({@link Trainer#history()}, the {@code metrics.jsonl} rows before the first epoch of this fit)
 * when {@code best.safetensors} exists, so that a worse epoch after the resume does not replace it.
 */
public final class SaveCheckpoints implements Callback {
    private final Path dir;
    private final String monitor;
    private final boolean maximize;
    private final Map<String, String> info;
    private double best = Double.NaN;

    /**
     * @param monitor  the metric that decides the best epoch (e.g. {@code val_acc}); null for none
     * @param maximize whether larger is better
     * @param info     scalars stored in every file (model name, data seed, …)
     */
    public SaveCheckpoints(Path dir, String monitor, boolean maximize, Map<String, String> info) {
        this.dir = dir;
        this.monitor = monitor;
        this.maximize = maximize;
        this.info = Map.copyOf(info);
    }

    @Override
    public void onTrainStart(Trainer trainer) {
        best = Double.NaN;
        if (monitor == null || !Files.exists(dir.resolve("best.safetensors"))) {
            return;
        }
        for (Map<String, Object> row : trainer.history()) {
            if (row.get(monitor) instanceof Number n && !Double.isNaN(n.doubleValue()) && improves(n.doubleValue())) {
                best = n.doubleValue();
            }
        }
    }

    private boolean improves(double v) {
        return Double.isNaN(best) || (maximize ? v > best : v < best);
    }

    @Override
    public void onEpochEnd(Trainer trainer, EpochEnd end) {
        try {
            TrainingCheckpoint.save(dir.resolve("checkpoint.safetensors"), trainer.model(), trainer.optimizer(), trainer.schedule(), end.epoch(), info);
            double v = monitor == null ? Double.NaN : end.get(monitor);
            if (!Double.isNaN(v) && improves(v)) {
                best = v;
                TrainingCheckpoint.save(dir.resolve("best.safetensors"), trainer.model(), trainer.optimizer(), trainer.schedule(), end.epoch(), info);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("saving the checkpoint of epoch " + end.epoch() + " in " + dir + ": " + IoErrors.describe(e), e);
        }
    }
}
