package dev.fathom.bench.run;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The options of {@code scripts/bench}. Options take their value as the next argument or after
 * {@code =}; a later option overrides an earlier one.
 *
 * @param backends the backends asked for, or empty for every available one
 * @param only     which suite entries to run (a regular expression found in their names), or null for all
 * @param threads  threads for Fathom ({@code -Dfathom.threads}) and the peers
 * @param rounds   how many times each entry and its peer run, alternating; the report takes medians
 */
public record BenchOptions(boolean quick, List<String> backends, Pattern only, Path out, boolean noPeers, int threads, int rounds,
                           boolean help) {

    public static final String USAGE = """
            Usage: scripts/bench [--quick] [--backends cpu,cuda] [--only PATTERN] [--out DIR] [--no-peers] [--threads N]
                                 [--rounds N] [--help]

            Runs Fathom's benchmarks on every available backend (JMH op benchmarks and the reference
            training steps), runs the PyTorch peers in the same run where python3-torch is installed,
            and writes DIR/bench-results.jsonl, DIR/bench-report.md and PNG charts.

              --quick           few, short JMH iterations and a subset of sizes (a smoke run, minutes)
              --backends LIST   comma-separated backends (default: every available one); an unavailable
                                one is an error that says why
              --only PATTERN    only entries whose name contains a match of this regular expression:
                                %s
              --out DIR         where the results go (default: bench-out)
              --no-peers        do not run the PyTorch peers
              --threads N       threads for Fathom and the peers (default: $FATHOM_THREADS, else 2)
              --rounds N        run each entry, then its peer, N times over and report the median of
                                each (default 1): on a shared machine one run of either can be off by
                                a quarter
              --help            this text
            Environment: FATHOM_PEERS_DIR (the peer scripts; default ../shared/peers/torch from the repository).
            """;

    /** Parses {@code args}; {@code envThreads} is {@code $FATHOM_THREADS} (or null). */
    public static BenchOptions parse(String[] args, String envThreads) throws UsageException {
        boolean quick = false, noPeers = false, help = false;
        List<String> backends = List.of();
        Pattern only = null;
        Path out = Path.of("bench-out");
        int threads = envThreads == null || envThreads.isBlank() ? 2 : positive("FATHOM_THREADS", envThreads), rounds = 1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i], value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--quick" -> quick = flag(a, value);
                case "--no-peers" -> noPeers = flag(a, value);
                case "--help", "-h" -> help = flag(a, value);
                case "--backends" -> backends = backends(value != null ? value : next(args, ++i, a));
                case "--only" -> only = pattern(value != null ? value : next(args, ++i, a));
                case "--out" -> out = out(value != null ? value : next(args, ++i, a));
                case "--threads" -> threads = positive("--threads", value != null ? value : next(args, ++i, a));
                case "--rounds" -> rounds = positive("--rounds", value != null ? value : next(args, ++i, a));
                default -> throw new UsageException(a.startsWith("-")
                        ? "unknown option " + a + "; see scripts/bench --help"
                        : "unexpected argument \"" + a + "\"; scripts/bench takes only options (see --help)");
            }
        }
        return new BenchOptions(quick, backends, only, out, noPeers, threads, rounds, help);
    }

    private static boolean flag(String name, String value) throws UsageException {
        if (value != null) {
            throw new UsageException(name + " takes no value, got \"" + value + "\"");
        }
        return true;
    }

    private static String next(String[] args, int i, String name) throws UsageException {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new UsageException(name + " needs a value; see scripts/bench --help");
        }
        return args[i];
    }

    private static List<String> backends(String v) throws UsageException {
        List<String> out = new ArrayList<>();
        for (String s : v.split(",", -1)) {
            String b = s.trim().toLowerCase(Locale.ROOT);
            if (b.isEmpty()) {
                throw new UsageException("--backends: empty name in \"" + v + "\"; give a comma-separated list such as cpu,cuda");
            }
            if (!out.contains(b)) {
                out.add(b);
            }
        }
        return List.copyOf(out);
    }

    private static Pattern pattern(String v) throws UsageException {
        if (v.isEmpty()) {
            throw new UsageException("--only: empty pattern; give part of an entry name such as gemm or train");
        }
        try {
            return Pattern.compile(v);
        } catch (PatternSyntaxException e) {
            throw new UsageException("--only: \"" + v + "\" is not a regular expression (" + e.getDescription() + " at index "
                    + e.getIndex() + ")");
        }
    }

    private static Path out(String v) throws UsageException {
        if (v.isBlank()) {
            throw new UsageException("--out: empty directory name");
        }
        return Path.of(v);
    }

    private static int positive(String name, String v) throws UsageException {
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(name + " must be a positive integer, got \"" + v + "\"");
    }

    /** The usage text with the entry names filled in. */
    public static String usage(List<String> entryNames) {
        return USAGE.formatted(String.join(", ", entryNames));
    }
}
