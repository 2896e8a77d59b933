package dev.fathom.bench.run;

import dev.fathom.bench.report.Charts;
import dev.fathom.bench.report.CpuPeak;
import dev.fathom.bench.report.FamilyTable;
import dev.fathom.bench.report.Fmt;
import dev.fathom.bench.report.GpuPeaks;
import dev.fathom.bench.report.JsonLines;
import dev.fathom.bench.report.Machine;
import dev.fathom.bench.report.Measurement;
import dev.fathom.bench.report.MemoryBandwidth;
import dev.fathom.bench.report.PeerStatus;
import dev.fathom.bench.report.Peaks;
import dev.fathom.bench.report.Report;
import dev.fathom.bench.report.TargetTable;
import dev.fathom.spi.Backend;
import jdk.incubator.vector.FloatVector;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code scripts/bench}: measures the machine (computed CPU peak, measured memory bandwidth), runs
 * the selected {@link Suite} entries on every chosen backend, each followed by its PyTorch peer
 * (with {@code --rounds}, that pair again and again, and keeps the {@link Rounds#medians}), and writes
 * {@code bench-results.jsonl}, {@code bench-report.md} and the charts into the output directory.
 * Exit status: 0 when everything ran, 1 when a benchmark or a peer failed (the report is still
 * written when only peers failed), 2 for options it cannot honour.
 *
 * <p>System properties set by the script: {@code fathom.bench.peersDir} (the peer scripts),
 * {@code fathom.bench.commit} (the git commit), {@code fathom.bench.command} (the command line).
 */
public final class BenchMain {
    static final String RESULTS = "bench-results.jsonl";
    static final String REPORT = "bench-report.md";
    static final String GEMM_CHART = "gemm.png";
    static final String RATIO_CHART = "e2e-ratio.png";

    private BenchMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        BenchOptions o;
        List<SuiteEntry> entries;
        List<Backend> backends;
        try {
            o = BenchOptions.parse(args, System.getenv("FATHOM_THREADS"));
            if (o.help()) {
                out.print(BenchOptions.usage(Suite.names()));
                return 0;
            }
            entries = Suite.select(o.only());
            backends = BackendChoice.choose(o.backends(), BackendChoice.found());
        } catch (UsageException e) {
            err.println("bench: " + e.getMessage());
            return 2;
        }
        try {
            return measure(o, entries, backends, out, err);
        } catch (BenchmarkFailedException e) {
            err.println("bench: " + e.getMessage());
            printTail(e.log(), err);
            return 1;
        } catch (IOException | UncheckedIOException e) {
            err.println("bench: " + e.getMessage());
            return 1;
        }
    }

    private static int measure(BenchOptions o, List<SuiteEntry> entries, List<Backend> backends, PrintStream out, PrintStream err)
            throws BenchmarkFailedException, IOException {
        long t0 = System.nanoTime();
        Path dir = o.out().toAbsolutePath().normalize();
        Path logs = dir.resolve("logs");
        Files.createDirectories(logs);
        List<String> names = backends.stream().map(Backend::name).toList();
        out.println("bench: backends " + names + ", " + o.threads() + " thread(s), " + (o.quick() ? "quick" : "full") + " run, entries "
                + entries.stream().map(SuiteEntry::name).toList() + " → " + dir);

        Machine machine = machine(o.threads(), backends);
        Map<String, GpuPeaks.Peak> gpuPeaks = new HashMap<>();
        for (Backend b : backends) {
            if (!b.name().equals("cpu")) {
                GpuPeaks.lookup(b.describe(0)).ifPresent(p -> gpuPeaks.put(b.name(), p));
            }
        }
        machine.lines().forEach(l -> out.println("bench: " + l.substring(2)));

        PeerRunner runner = null;
        String peersNotRun = null;
        if (o.noPeers()) {
            peersNotRun = "--no-peers";
        } else {
            runner = new PeerRunner(peersDir(), o.quick(), o.threads(), logs, out);
            peersNotRun = runner.unavailableReason();
            if (peersNotRun != null) {
                out.println("bench: peers not run: " + peersNotRun);
                runner = null;
            }
        }

        JmhRunner jmh = new JmhRunner(names, o.quick(), o.threads());
        List<Measurement> results = new ArrayList<>();
        for (SuiteEntry e : entries) {
            long te = System.nanoTime();
            List<List<Measurement>> rounds = new ArrayList<>();
            for (int r = 1; r <= o.rounds(); r++) {
                out.println("bench: running " + e.name() + (o.rounds() > 1 ? " (round " + r + " of " + o.rounds() + ")" : "") + " ...");
                String log = "jmh-" + e.name() + (o.rounds() > 1 ? "-round" + r : "") + ".log";
                List<Measurement> ms = new ArrayList<>(jmh.run(e, logs.resolve(log)));
                if (runner != null) {
                    ms.addAll(runner.runEntry(e.name()));   // the peer right after: the same minutes of the machine
                }
                for (Measurement m : ms) {
                    out.println("bench:   " + describe(m));
                }
                rounds.add(ms);
            }
            out.printf("bench:   (%.0f s)%n", (System.nanoTime() - te) / 1e9);
            results.addAll(Rounds.medians(rounds));
        }

        PeerStatus peers = runner == null ? PeerStatus.notRun(peersNotRun) : runner.status();
        List<String> order = new ArrayList<>(names);
        if (runner != null) {
            order.add("numpy");
            order.add("torch");
        }

        Peaks peaks = new Peaks(machine.peak().gflops(), machine.bandwidth().bestGBps(), gpuPeaks);
        results = peaks.apply(results);
        JsonLines.write(dir.resolve(RESULTS), results);
        List<TargetTable.Row> rows = TargetTable.rows(results);
        boolean gemmChart = Charts.gemm(dir.resolve(GEMM_CHART), results, order, machine.peak().gflops());
        boolean ratioChart = Charts.ratios(dir.resolve(RATIO_CHART), rows);
        Report report = new Report(System.getProperty("fathom.bench.command", "scripts/bench"),
                jmh.settings(), machine, results, order, peers, gemmChart ? GEMM_CHART : null, ratioChart ? RATIO_CHART : null);
        JsonLines.writeText(dir.resolve(REPORT), report.render());

        out.println();
        out.print(TargetTable.render(rows, peers.notRunReason(), peers.skipped()));
        out.println();
        out.printf("bench: wrote %s, %s%s (%.0f s)%n", dir.resolve(RESULTS), dir.resolve(REPORT),
                gemmChart || ratioChart ? " and charts" : "", (System.nanoTime() - t0) / 1e9);
        if (!peers.failures().isEmpty()) {
            peers.failures().forEach(f -> err.println("bench: peer failed: " + f));
            return 1;
        }
        return 0;
    }

    private static Machine machine(int threads, List<Backend> backends) {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        CpuPeak peak = CpuPeak.detect(threads, lanes);
        // Three arrays far larger than any cache, but at most 3/8 of the heap (CI machines may be small).
        int mib = (int) Math.max(16, Math.min(256, Runtime.getRuntime().maxMemory() / (8L << 20)));
        MemoryBandwidth bw = MemoryBandwidth.measure(Math.min(threads, Runtime.getRuntime().availableProcessors()), mib, 6);
        List<String> gpus = new ArrayList<>();
        for (Backend b : backends) {
            if (b.name().equals("cpu")) {
                continue;
            }
            for (int i = 0; i < b.deviceCount(); i++) {
                String d = b.describe(i);
                gpus.add(b.name() + ":" + i + " " + d + "; published FP32 peak " + GpuPeaks.lookup(d)
                        .map(p -> Fmt.num(p.fp32Tflops()) + " TFLOP/s, memory " + Fmt.num(p.memoryGBps()) + " GB/s (" + p.name() + ")")
                        .orElse("unknown (not in the table of dev.fathom.bench.report.GpuPeaks)"));
            }
        }
        Runtime.Version v = Runtime.version();
        return new Machine(CpuPeak.modelName(), Runtime.getRuntime().availableProcessors(), threads,
                FloatVector.SPECIES_PREFERRED.vectorBitSize(), peak, bw,
                v + " (" + System.getProperty("java.vendor", "?") + ")",
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), System.getProperty("fathom.bench.commit", "unknown"), gpus);
    }

    private static Path peersDir() {
        String d = System.getProperty("fathom.bench.peersDir");
        return d == null || d.isBlank() ? null : Path.of(d);
    }

    /** One progress line: {@code gemm n=512 cpu: 1.23 ms/op, 218 GFLOP/s}. */
    static String describe(Measurement m) {
        String rate = m.gflops() != null ? ", " + Fmt.num(m.gflops()) + " GFLOP/s" : m.gbps() != null ? ", " + Fmt.num(m.gbps()) + " GB/s" : "";
        return m.bench() + " " + FamilyTable.params(m) + " " + m.backend() + ": " + Fmt.num(m.value()) + " " + m.unit() + rate
                + (Boolean.TRUE.equals(m.contaminated()) ? " (contaminated)" : "");
    }

    private static void printTail(Path log, PrintStream err) {
        if (log == null || !Files.isReadable(log)) {
            return;
        }
        try {
            List<String> lines = Files.readAllLines(log);
            err.println("bench: last lines of " + log + ":");
            lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> err.println("  " + l));
        } catch (IOException e) {
            err.println("bench: cannot read " + log + ": " + e.getMessage());
        }
    }
}
