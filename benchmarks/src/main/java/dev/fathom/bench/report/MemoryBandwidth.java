package dev.fathom.bench.report;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Locale;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * The CPU's memory bandwidth, measured from Java rather than taken from a data sheet: the run's
 * threads each copy ({@code System.arraycopy}) or sum (Vector API) their share of two
 * {@code float[]} far larger than any cache, and the best of several passes counts. Copy moves
 * {@code 2·bytes} (read + write, as STREAM counts it; a write-allocate cache reads the target too,
 * so this is a lower bound), sum reads {@code bytes}. The roofline of the memory-bound benchmarks
 * is the larger of the two.
 *
 * @param copyGBps best copy bandwidth, GB/s (10⁹ bytes)
 * @param readGBps best read (sum) bandwidth, GB/s
 * @param threads  threads that shared the work
 * @param mib      size of each array, MiB
 * @param passes   passes of each kind; the best counts
 */
public record MemoryBandwidth(double copyGBps, double readGBps, int threads, int mib, int passes) {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** The roofline for memory-bound work: the larger of copy and read bandwidth. */
    public double bestGBps() {
        return Math.max(copyGBps, readGBps);
    }

    /** How it was measured, as one line for the report. */
    public String explain() {
        return String.format(Locale.ROOT, "measured: best of %d passes over two %d MiB float[] with %d thread(s): copy %s GB/s "
                + "(System.arraycopy, read + write counted), read %s GB/s (Vector API sum)", passes, mib, threads, Fmt.num(copyGBps),
                Fmt.num(readGBps));
    }

    /** Measures with {@code threads} threads over arrays of {@code mib} MiB, {@code passes} passes each. */
    public static MemoryBandwidth measure(int threads, int mib, int passes) {
        if (threads < 1 || mib < 1 || passes < 1) {
            throw new IllegalArgumentException("MemoryBandwidth.measure: need threads, mib, passes >= 1, got " + threads + ", " + mib + ", "
                    + passes);
        }
        int n = mib * (1 << 20) / Float.BYTES;
        float[] src = new float[n];
        float[] dst = new float[n];
        for (int i = 0; i < n; i += 1024) {
            src[i] = i;    // touch every page before timing
            dst[i] = 1;
        }
        DoubleAdder sink = new DoubleAdder();
        double bestCopy = 0, bestRead = 0;
        for (int p = 0; p < passes; p++) {
            double copy = time(threads, n, (lo, hi) -> System.arraycopy(src, lo, dst, lo, hi - lo));
            bestCopy = Math.max(bestCopy, 2.0 * n * Float.BYTES / copy / 1e9);
            double read = time(threads, n, (lo, hi) -> sink.add(sum(src, lo, hi)));
            bestRead = Math.max(bestRead, (double) n * Float.BYTES / read / 1e9);
        }
        if (sink.sum() == 42.4242) {
            System.out.print("");   // keeps the sums observable, so that the JIT cannot drop them
        }
        return new MemoryBandwidth(bestCopy, bestRead, threads, mib, passes);
    }

    private interface Range {
        void run(int lo, int hi);
    }

    /** Seconds for {@code threads} threads to run {@code body} on equal slices of {@code [0, n)}. */
    private static double time(int threads, int n, Range body) {
        Thread[] workers = new Thread[threads];
        long t0 = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int lo = (int) ((long) n * t / threads), hi = (int) ((long) n * (t + 1) / threads);
            workers[t] = Thread.ofPlatform().start(() -> body.run(lo, hi));
        }
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("MemoryBandwidth: interrupted", e);
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double sum(float[] a, int lo, int hi) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int step = F.length(), i = lo;
        for (; i + 2 * step <= hi; i += 2 * step) {
            acc0 = acc0.add(FloatVector.fromArray(F, a, i));
            acc1 = acc1.add(FloatVector.fromArray(F, a, i + step));
        }
        double s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < hi; i++) {
            s += a[i];
        }
        return s;
    }
}
