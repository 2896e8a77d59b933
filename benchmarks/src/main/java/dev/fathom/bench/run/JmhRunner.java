package dev.fathom.bench.run;

import dev.fathom.bench.report.Measurement;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;
import org.openjdk.jmh.annotations.Mode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Runs one {@link SuiteEntry} through JMH's {@link Runner} on the chosen backends and turns each
 * result into a {@link Measurement}. Every benchmark runs in one forked JVM that gets the flags
 * Fathom needs and {@code -Dfathom.threads}; a full run keeps each class's own iteration settings,
 * a quick run does 2 warm-up and 2 measured iterations of 0.5 s. A measurement's value is the
 * median iteration ({@link #medianIteration}), as the peers report medians. JMH's own output goes
 * to a log file; a benchmark that throws stops the run ({@code shouldFailOnError}).
 */
public final class JmhRunner {
    /**
     * Quick iterations: 2 warm-up, 2 measured, 0.5 s each. The first call of a fresh JVM takes up to
     * about 1 s (thread pool, class initialization, the interpreter), so one warm-up iteration would
     * be that call alone and the measured numbers would still be JIT-cold.
     */
    static final int QUICK_WARMUP = 2;
    static final int QUICK_MEASURE = 2;
    static final int QUICK_MILLIS = 500;

    private final List<String> backends;
    private final boolean quick;
    private final int threads;

    public JmhRunner(List<String> backends, boolean quick, int threads) {
        this.backends = List.copyOf(backends);
        this.quick = quick;
        this.threads = threads;
    }

    /** How JMH measures, for the report. */
    public String settings() {
        return quick
                ? "quick run: JMH " + QUICK_WARMUP + " warm-up and " + QUICK_MEASURE + " measured iterations of " + QUICK_MILLIS
                        + " ms, 1 fork; small sweeps (numbers are rough)"
                : "full run: JMH with each benchmark's own warm-up and measurement iterations, 1 fork";
    }

    /** The property through which {@code scripts/bench} hands {@code FATHOM_JAVA_OPTS} to the forked JVMs. */
    static final String FORK_ARGS_PROPERTY = "fathom.bench.forkArgs";

    /**
     * The JVM flags of the forked benchmark JVMs: what Fathom needs, {@code -Dfathom.threads}, and
     * the options of {@value #FORK_ARGS_PROPERTY} (whitespace-separated; {@code scripts/bench} passes
     * {@code FATHOM_JAVA_OPTS} there). JMH's {@code jvmArgs} replaces the host's own options, so
     * without it an {@code -Xmx} or {@code -Dfathom.*} given to the script reached only the host, not
     * the JVMs being measured.
     */
    public List<String> jvmArgs() {
        List<String> args = new java.util.ArrayList<>(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Dfathom.threads=" + threads));
        for (String a : System.getProperty(FORK_ARGS_PROPERTY, "").trim().split("\\s+")) {
            if (!a.isEmpty()) {
                args.add(a);
            }
        }
        return List.copyOf(args);
    }

    /** Runs {@code entry}; JMH's output goes to {@code log}. Throws {@link BenchmarkFailedException} when a benchmark fails. */
    public List<Measurement> run(SuiteEntry entry, Path log) throws BenchmarkFailedException {
        List<String> methods = entry.methodsFor(quick);
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include("^" + Pattern.quote(entry.benchmark().getName()) + "\\.(" + String.join("|", methods) + ")$")
                .param("backend", backends.toArray(String[]::new))
                .forks(1)
                .jvmArgs(jvmArgs().toArray(String[]::new))
                .jvmArgsAppend()
                .mode(Mode.AverageTime)
                .timeUnit(TimeUnit.MILLISECONDS)
                .shouldFailOnError(true)
                .verbosity(VerboseMode.NORMAL)
                .output(log.toString());
        for (Map.Entry<String, List<String>> p : entry.paramsFor(quick).entrySet()) {
            b.param(p.getKey(), p.getValue().toArray(String[]::new));
        }
        if (quick) {
            b.warmupIterations(QUICK_WARMUP).warmupTime(TimeValue.milliseconds(QUICK_MILLIS))
                    .measurementIterations(QUICK_MEASURE).measurementTime(TimeValue.milliseconds(QUICK_MILLIS));
        }
        Collection<RunResult> results;
        try {
            results = new Runner(b.build()).run();
        } catch (RunnerException e) {
            throw new BenchmarkFailedException(entry.name() + " failed (" + e.getMessage() + "); JMH's log: " + log, log, e);
        }
        if (results.isEmpty()) {
            throw new BenchmarkFailedException(entry.name() + ": JMH ran nothing (is the benchmark list in the jar stale? rebuild); JMH's log: "
                    + log, log, null);
        }
        List<Measurement> out = new ArrayList<>();
        for (RunResult r : results) {
            out.add(measurement(entry, r));
        }
        return out;
    }

    private Measurement measurement(SuiteEntry entry, RunResult r) {
        BenchmarkParams p = r.getParams();
        String full = p.getBenchmark();
        String method = full.substring(full.lastIndexOf('.') + 1);
        SuiteEntry.Bench bench = entry.methods().get(method);
        if (bench == null) {
            throw new IllegalStateException("JMH ran " + full + ", which suite entry " + entry.name() + " does not list");
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (String k : p.getParamsKeys()) {
            params.put(k, p.getParam(k));
        }
        Map<String, Object> shown = new LinkedHashMap<>();
        for (String k : entry.shown()) {
            String v = params.get(k);
            if (v == null) {
                throw new IllegalStateException(full + " has no parameter " + k + " (has " + params.keySet() + ")");
            }
            shown.put(k, Measurement.paramValue(v));
        }
        String unit = r.getPrimaryResult().getScoreUnit();
        if (!unit.equals("ms/op")) {
            throw new IllegalStateException(full + ": JMH reported " + unit + ", expected ms/op");
        }
        return Work.measure(bench.work(), bench.name(), params.get("backend"), params, shown, medianIteration(r),
                r.getPrimaryResult().getScoreError(), threads);
    }

    /**
     * The median of the measured iterations' average times, JMH's own mean only when it kept no
     * iterations. The PyTorch peers report medians (gemm.py over its repetitions, the training
     * scripts over their steps), and one iteration that a neighbour on this shared machine slowed
     * moved the mean of five by a fifth of its delay: a 256³ product's mean went from 0.20 to 0.26 ms
     * on the same run's outliers.
     */
    static double medianIteration(RunResult r) {
        Statistics s = r.getPrimaryResult().getStatistics();
        return s.getN() > 0 ? s.getPercentile(50.0) : r.getPrimaryResult().getScore();
    }
}
