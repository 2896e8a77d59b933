package dev.fathom.train;

import dev.fathom.io.Checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a run stopped, as its checkpoint records it: the last step done, and the seed and batch
 * its data stream depends on. A resumed run must have the same seed and batch, and more steps to
 * go; {@link #continuing} checks both for the char-LM and GAN runs.
 */
public record RunPosition(long step, long seed, int batch) {

    /** The position in {@code file}'s scalars (as {@link Checkpoint#scalars()} reads them). */
    static RunPosition read(Path file, Map<String, String> scalars) throws IOException {
        return new RunPosition(Checkpoint.longScalar(file, scalars, "step", null, 1, Integer.MAX_VALUE - 1),
                Checkpoint.longScalar(file, scalars, "seed", null, Long.MIN_VALUE, Long.MAX_VALUE),
                (int) Checkpoint.longScalar(file, scalars, "batch", null, 1, Integer.MAX_VALUE));
    }

    /** The step to continue after, when a run of {@code seed}, {@code batch} and {@code steps} can continue this one from {@code file}. */
    long continuing(Path file, long seed, int batch, long steps) {
        if (this.seed != seed || this.batch != batch) {
            throw new IllegalArgumentException(file + " was trained with seed " + this.seed + " and batch " + this.batch
                    + "; resume with the same (got seed " + seed + ", batch " + batch + ")");
        }
        if (step >= steps) {
            throw new IllegalArgumentException(file + " is at step " + step + " already; ask for more steps than that (got " + steps + ")");
        }
        return step;
    }
}
