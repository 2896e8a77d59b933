package dev.fathom.train;

import java.util.Arrays;

/**
 * A run's speed as the PyTorch reference scripts measure it: the median time of the steps after
 * the first {@link #WARMUP_STEPS} (all of them when there are no more), and the first step that
 * median counts. The char-LM and GAN trainings report it.
 *
 * @param medianSeconds  the median step time
 * @param firstTimedStep the first step (counted from 1 over the whole run) that the median includes
 */
record SteadySteps(double medianSeconds, int firstTimedStep) {
    /** Steps left out of the median: the JIT's and the allocator's warm-up. */
    static final int WARMUP_STEPS = 20;

    /** From the times of steps {@code done + 1}, {@code done + 2}, … (a resumed run warms up again). */
    static SteadySteps of(double[] seconds, long done) {
        boolean warm = seconds.length > WARMUP_STEPS;
        return new SteadySteps(median(warm ? Arrays.copyOfRange(seconds, WARMUP_STEPS, seconds.length) : seconds),
                (int) done + 1 + (warm ? WARMUP_STEPS : 0));
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
