package dev.fathom.bench.report;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Locale;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.LongSupplier;

/**
 * The CPU's memory bandwidth, measured from Java rather than taken from a data sheet: the run's
 * threads each work on their share of {@code float[]}s far larger than any cache, and the best of
 * several passes counts. Three kernels, as STREAM has: copy ({@code System.arraycopy}, read + write
 * counted), add ({@code c = a + b} with the Vector API, two reads + one write counted) and read (a
 * Vector API sum). A write-allocate cache also reads what it writes, which none of them counts, so
 * these are lower bounds. The roofline of the memory-bound benchmarks is the largest of the three.
 *
 * @param copyGBps best copy bandwidth, GB/s (10⁹ bytes)
 * @param addGBps  best add bandwidth, GB/s
 * @param readGBps best read (sum) bandwidth, GB/s
 * @param threads  threads that shared the work
 * @param mib      size of each array, MiB
 * @param passes   passes of each kind; the best counts
 */
public record MemoryBandwidth(double copyGBps, double addGBps, double readGBps, int threads, int mib, int passes) {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** The roofline for memory-bound work: the largest of the three. */
    public double bestGBps() {
        return Math.max(copyGBps, Math.max(addGBps, readGBps));
    }

    /** How it was measured, as one line for the report. */
    public String explain() {
        return String.format(Locale.ROOT, "measured: best of %d passes over %d MiB float[]s with %d thread(s): copy %s GB/s "
                + "(System.arraycopy, read + write counted), add %s GB/s (c = a + b, Vector API, 2 reads + 1 write counted), "
                + "read %s GB/s (Vector API sum)", passes, mib, threads, Fmt.num(copyGBps), Fmt.num(addGBps), Fmt.num(readGBps));
    }

    /** Measures with {@code threads} threads over arrays of {@code mib} MiB, {@code passes} passes each. */
    public static MemoryBandwidth measure(int threads, int mib, int passes) {
        return measure(threads, mib, passes, System::nanoTime);
    }

    /** As {@link #measure(int, int, int)}, timed by {@code nanoClock} (a test's clock checks the bytes counted). */
    static MemoryBandwidth measure(int threads, int mib, int passes, LongSupplier nanoClock) {
        if (threads < 1 || mib < 1 || passes < 1) {
            throw new IllegalArgumentException("MemoryBandwidth.measure: need threads, mib, passes >= 1, got " + threads + ", " + mib + ", "
                    + passes);
        }
        int n = mib * (1 << 20) / Float.BYTES;
        float[] a = new float[n];
        float[] b = new float[n];
        float[] c = new float[n];
        for (int i = 0; i < n; i += 1024) {
            a[i] = i;    // touch every page before timing
            b[i] = 1;
            c[i] = 2;
        }
        DoubleAdder sink = new DoubleAdder();
        double bytes = (double) n * Float.BYTES;
        double bestCopy = 0, bestAdd = 0, bestRead = 0;
        for (int p = 0; p < passes; p++) {
            bestCopy = Math.max(bestCopy, 2 * bytes / time(threads, n, (lo, hi) -> System.arraycopy(a, lo, c, lo, hi - lo), nanoClock) / 1e9);
            bestAdd = Math.max(bestAdd, 3 * bytes / time(threads, n, (lo, hi) -> add(a, b, c, lo, hi), nanoClock) / 1e9);
            bestRead = Math.max(bestRead, bytes / time(threads, n, (lo, hi) -> sink.add(sum(a, lo, hi)), nanoClock) / 1e9);
        }
        if (sink.sum() + c[n / 2] == 42.4242) {
            System.out.print("");   // keeps the results observable, so that the JIT cannot drop them
        }
        return new MemoryBandwidth(bestCopy, bestAdd, bestRead, threads, mib, passes);
    }

    private interface Range {
        void run(int lo, int hi);
    }

    /** Seconds for {@code threads} threads to run {@code body} on equal slices of {@code [0, n)}. */
    private static double time(int threads, int n, Range body, LongSupplier nanoClock) {
        Thread[] workers = new Thread[threads];
        long t0 = nanoClock.getAsLong();
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
        return (nanoClock.getAsLong() - t0) / 1e9;
    }

    private static void add(float[] a, float[] b, float[] c, int lo, int hi) {
        int i = lo;
        for (int upper = lo + F.loopBound(hi - lo); i < upper; i += F.length()) {
            FloatVector.fromArray(F, a, i).add(FloatVector.fromArray(F, b, i)).intoArray(c, i);
        }
        for (; i < hi; i++) {
            c[i] = a[i] + b[i];
        }
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
