package dev.fathom.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code learning_curves.png}: loss and accuracy against the epoch or step, drawn from
 * {@link MetricsLog}'s rows after each epoch or evaluation (by {@link LearningCurvePlot}).
 *
 * <p>Drawing needs the {@code java.desktop} module and XChart. A Java runtime linked without them
 * (a {@code jlink}ed image, such as the one {@code scripts/gpu-check} carries to a GPU machine)
 * still trains: the plot is skipped, and the first skip says why, once per JVM;
 * {@code metrics.jsonl} has the same numbers.
 */
public final class LearningCurves {
    private static final System.Logger LOG = System.getLogger("dev.fathom");
    private static final AtomicBoolean SKIP_REPORTED = new AtomicBoolean();
    /** Why curves cannot be drawn in this JVM, or null when they can. */
    private static final String UNAVAILABLE = unavailableReason();

    private LearningCurves() {
    }

    /**
     * Draws the curves of {@code rows} into {@code png}; nothing is drawn for an empty log, or when
     * this runtime cannot draw ({@link #unavailable()}).
     *
     * @return whether {@code png} was written
     */
    public static boolean write(Path png, List<Map<String, Object>> rows, String xKey) {
        if (rows.isEmpty()) {
            return false;
        }
        if (UNAVAILABLE != null) {
            if (SKIP_REPORTED.compareAndSet(false, true)) {
                LOG.log(System.Logger.Level.WARNING, "learning curves not drawn: " + UNAVAILABLE
                        + "; metrics.jsonl has the numbers");
            }
            return false;
        }
        LearningCurvePlot.write(png, rows, xKey);
        return true;
    }

    /** Why this JVM cannot draw learning curves (a module or library it lacks), or null when it can. */
    public static String unavailable() {
        return UNAVAILABLE;
    }

    private static String unavailableReason() {
        if (ModuleLayer.boot().findModule("java.desktop").isEmpty()) {
            return "this Java runtime has no java.desktop module";
        }
        try {
            Class.forName("org.knowm.xchart.XYChart", false, LearningCurves.class.getClassLoader());
            return null;
        } catch (ClassNotFoundException | LinkageError e) {
            return "XChart (org.knowm.xchart) is not on the class path";
        }
    }
}
