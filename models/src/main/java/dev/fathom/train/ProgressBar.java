package dev.fathom.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress on the terminal: on a TTY one line redrawn in place
 * ({@code epoch 2/5 [=====>    ] 230/469  loss 0.4123  11234 samples/s  ETA 0:12}); otherwise
 * (CI, a pipe, a log file) a plain line after the first step and at every 10%, never carriage returns.
 */
public final class ProgressBar {
    private static final int WIDTH = 24;

    private final PrintStream out;
    private final boolean tty;
    private final String label;
    private final long total;
    private final long start = System.nanoTime();
    private int lastDecile = -1;

    public ProgressBar(PrintStream out, boolean tty, String label, long total) {
        this.out = out;
        this.tty = tty;
        this.label = label;
        this.total = Math.max(1, total);
    }

    /** A bar on standard error, drawn in place only when the process has a terminal. */
    public static ProgressBar stderr(String label, long total) {
        var console = System.console();
        return new ProgressBar(System.err, console != null && console.isTerminal(), label, total);
    }

    /** Reports {@code done} of the total steps, the latest loss and how many samples those steps took. */
    public void update(long done, double loss, long samples) {
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = seconds > 0 ? samples / seconds : 0;
        double eta = done > 0 ? seconds * (total - done) / done : 0;
        String line = String.format(Locale.ROOT, "%s %s %d/%d  loss %.4f  %.0f samples/s  ETA %s", label, bar(done), done, total, loss,
                rate, clock(eta));
        if (tty) {
            out.print("\r" + line + "\u001b[K");
            if (done >= total) {
                out.println();
            }
        } else {
            int decile = (int) (10 * done / total);
            if (decile > lastDecile) {
                lastDecile = decile;
                out.println(line);
            }
        }
        out.flush();
    }

    private String bar(long done) {
        int filled = (int) (WIDTH * done / total);
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < WIDTH; i++) {
            sb.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        return sb.append(']').toString();
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
