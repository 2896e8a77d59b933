package dev.fathom.train;

/**
 * Stops training when {@code monitor} (e.g. {@code val_loss}) has not improved by more than
 * {@code minDelta} for {@code patience} epochs; {@code maximize} for metrics such as accuracy.
 */
public final class EarlyStopping implements Callback {
    private final String monitor;
    private final boolean maximize;
    private final int patience;
    private final double minDelta;
    private double best;
    private int bad;

    public EarlyStopping(String monitor, boolean maximize, int patience, double minDelta) {
        if (patience < 1 || !(minDelta >= 0)) {
            throw new IllegalArgumentException("EarlyStopping: need patience >= 1 and minDelta >= 0, got " + patience + " and " + minDelta);
        }
        this.monitor = monitor;
        this.maximize = maximize;
        this.patience = patience;
        this.minDelta = minDelta;
        this.best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    @Override
    public void onEpochEnd(Trainer trainer, EpochEnd end) {
        double v = end.get(monitor);
        if (Double.isNaN(v)) {
            throw new IllegalStateException("EarlyStopping: metric '" + monitor + "' was not logged at epoch " + end.epoch()
                    + " (logged: " + end.metrics().keySet() + ")");
        }
        boolean improved = maximize ? v > best + minDelta : v < best - minDelta;
        if (improved) {
            best = v;
            bad = 0;
        } else if (++bad >= patience) {
            trainer.stop("early stopping: " + monitor + " has not improved on " + best + " for " + patience + " epochs");
        }
    }

    @Override
    public String toString() {
        return "EarlyStopping(monitor=" + monitor + ", maximize=" + maximize + ", patience=" + patience + ", minDelta=" + minDelta + ")";
    }
}
