package dev.fathom.train;

import dev.fathom.io.Checkpoint;
import dev.fathom.nn.Module;
import dev.fathom.io.Stateful;
import dev.fathom.optim.LrSchedule;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.Generator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Everything a stopped run needs to continue bit-identically, in one safetensors file: the model,
 * the optimizer (moments, step counts, learning rate), the LR schedule's counters, the global
 * generator's position (dropout
 * masks, random augmentations) and the last completed epoch. The shuffle order is a pure function
 * of the data seed and the epoch, so the epoch is enough to restore it. Descriptive scalars (the
 * model's name and sizes, the command line) ride along for {@code fathom eval}.
 */
public final class TrainingCheckpoint {
    public static final String EPOCH = "epoch";

    private TrainingCheckpoint() {
    }

    private static Checkpoint of(Module model, Optimizer optimizer, LrSchedule schedule) {
        Checkpoint c = new Checkpoint().section("model", model);
        if (optimizer != null) {
            c.section("optimizer", new OptimizerSection(optimizer));
        }
        if (schedule != null) {
            c.section("schedule", scheduleSection(schedule));
        }
        return c.section("rng", Generator.global());
    }

    /** A schedule's counters as strings (integers exact, doubles round-trip). */
    private static Stateful scheduleSection(LrSchedule schedule) {
        return Stateful.of(Map::of, () -> NumberStrings.format(schedule.stateDict()),
                (tensors, scalars) -> schedule.loadStateDict(NumberStrings.parse(scalars, null)));
    }

    /** Atomically writes the state after {@code epoch} (1-based) to {@code file}, with {@code info} as scalars. */
    public static void save(Path file, Module model, Optimizer optimizer, int epoch, Map<String, String> info) throws IOException {
        save(file, model, optimizer, null, epoch, info);
    }

    /** As {@link #save(Path, Module, Optimizer, int, Map)}, with the LR schedule's counters (may be null). */
    public static void save(Path file, Module model, Optimizer optimizer, LrSchedule schedule, int epoch, Map<String, String> info)
            throws IOException {
        Checkpoint c = of(model, optimizer, schedule).put(EPOCH, epoch);
        info.forEach(c::put);
        c.save(file);
    }

    /** Restores model, optimizer and generator from {@code file}; returns the last completed epoch. */
    public static int resume(Path file, Module model, Optimizer optimizer) throws IOException {
        return resume(file, model, optimizer, null);
    }

    /**
     * Restores model, optimizer, schedule (may be null) and generator; returns the last completed
     * epoch (throws IOException naming the file when it is not an integer from 1 on: corrupt metadata).
     */
    public static int resume(Path file, Module model, Optimizer optimizer, LrSchedule schedule) throws IOException {
        Checkpoint c = of(model, optimizer, schedule);
        c.load(file);
        return (int) Checkpoint.longScalar(file, c.scalars(), EPOCH, null, 1, Integer.MAX_VALUE - 1);
    }

    /** Restores only the model (for evaluation); returns the scalars. */
    public static Map<String, String> loadModel(Path file, Module model) throws IOException {
        Checkpoint c = new Checkpoint().section("model", model);
        c.load(file, false);
        return c.scalars();
    }
}
