package dev.fathom.bench.run;

import dev.fathom.bench.report.Measurement;
import dev.fathom.bench.report.PeerStatus;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs the PyTorch peer scripts ({@code shared/peers/torch/}) for the selected suite entries, in the
 * same run as Fathom's benchmarks and with the same thread count, each as
 * {@code env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PEERS_QUIET_WAIT_S=5 /usr/bin/python3 SCRIPT --threads N ...}
 * (the two OpenBLAS variables would force slower kernels on some machines; the peers wait at most
 * 5 s for a quiet machine). A script's stderr (its progress) goes to a log file.
 */
public final class PeerRunner {
    /** The Python the peers are written for: Debian's, with python3-torch and python3-numpy. */
    public static final String PYTHON = "/usr/bin/python3";

    /**
     * One peer script: the suite entry it matches, its file, and its arguments beyond {@code --threads};
     * {@code quickArgs} null: not run by a quick run.
     */
    record Script(String entry, String file, List<String> quickArgs, List<String> fullArgs) {
    }

    static List<Script> scripts(boolean quickRun) {
        List<String> gemmSizes = quickRun ? List.of("256", "512") : List.of("256", "512", "1024", "2048");
        String steps = quickRun ? "30" : "100";
        return List.of(
                new Script("gemm", "gemm.py", List.of("--sizes", String.join(",", gemmSizes), "--reps", "3", "--min-rep-s", "0.1"),
                        List.of("--sizes", String.join(",", gemmSizes))),
                // Two epochs: the second is the one compared (PeerLines), after PyTorch's own warm-up.
                new Script("train.mlp", "mlp_fmnist.py", List.of("--epochs", "2"), List.of("--epochs", "2")),
                // An epoch takes 10-15 s on a 2-core machine, two more than a quick run can spend.
                new Script("train.cnn", "cnn_fmnist.py", null, List.of("--epochs", "2")),
                new Script("train.gpt", "charlm_transformer.py", List.of("--steps", steps), List.of("--steps", steps)),
                new Script("train.lstm", "charlm_lstm.py", List.of("--steps", steps), List.of("--steps", steps)),
                new Script("train.dcgan", "dcgan_fmnist.py", List.of("--steps", steps), List.of("--steps", steps)));
    }

    private final Path dir;
    private final boolean quick;
    private final int threads;
    private final Path logDir;
    private final PrintStream progress;
    private final List<String> details = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final Map<String, String> skipped = new LinkedHashMap<>();
    private boolean envShown;

    public PeerRunner(Path dir, boolean quick, int threads, Path logDir, PrintStream progress) {
        this.dir = dir;
        this.quick = quick;
        this.threads = threads;
        this.logDir = logDir;
        this.progress = progress;
    }

    /** Why the peers cannot run here, or null when they can. */
    public String unavailableReason() {
        if (dir == null) {
            return "the peer scripts' directory is unknown (set FATHOM_PEERS_DIR)";
        }
        if (!Files.isRegularFile(dir.resolve("peerlib.py"))) {
            return "no peer scripts at " + dir + " (set FATHOM_PEERS_DIR to the peers/torch directory)";
        }
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return PYTHON + " not found (apt-get install python3 python3-torch python3-numpy)";
        }
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch, numpy").redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return PYTHON + " -c \"import torch, numpy\" took over 120 s";
            }
            if (p.exitValue() != 0) {
                String last = output.isEmpty() ? "exit " + p.exitValue() : output.lines().reduce((a, b) -> b).orElse("");
                return PYTHON + " cannot import torch and numpy (" + last + "); apt-get install python3-torch python3-numpy";
            }
            return null;
        } catch (IOException e) {
            return "cannot start " + PYTHON + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while checking " + PYTHON;
        }
    }

    /**
     * Runs the script that matches entry {@code name} (nothing when none does) and returns its
     * measurements; {@link #status} gathers what the report says about every script run so far.
     * The caller runs each right after Fathom's benchmark of the same entry: the machine's speed
     * drifts over minutes, and a peer run several minutes later (as all peers once ran, after every
     * benchmark) moved a ratio by up to a quarter between runs of the same code.
     */
    public List<Measurement> runEntry(String name) {
        List<Measurement> measured = new ArrayList<>();
        for (Script s : scripts(quick)) {
            if (!s.entry().equals(name)) {
                continue;
            }
            if (details.isEmpty()) {
                details.add("scripts: " + dir + ", run as `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PEERS_QUIET_WAIT_S=5 " + PYTHON
                        + " SCRIPT --threads " + threads + " ...`, each right after the Fathom benchmark it matches");
            }
            if (quick && s.quickArgs() == null) {
                details.add(s.file() + ": not run with --quick (its two epochs take too long); run without --quick");
                skipped.put(s.entry(), "not run with --quick");
                continue;
            }
            List<String> cmd = new ArrayList<>(List.of(PYTHON, dir.resolve(s.file()).toString(), "--threads", Integer.toString(threads)));
            cmd.addAll(quick ? s.quickArgs() : s.fullArgs());
            String shown = String.join(" ", cmd.subList(1, cmd.size())).replace(dir + "/", "");
            progress.println("bench: peer " + shown);
            Path log = logDir.resolve("peer-" + s.file().replace(".py", "") + ".log");
            try {
                List<String> stdout = exec(cmd, log);
                PeerLines.Parsed parsed = PeerLines.parse(stdout);
                if (parsed.measurements().isEmpty()) {
                    failures.add(shown + ": reported no result (log: " + log + ")");
                    continue;
                }
                measured.addAll(parsed.measurements());
                if (!envShown && !parsed.env().isEmpty()) {
                    Map<String, String> e = parsed.env();
                    details.add("PyTorch " + e.getOrDefault("torch", "?") + ", numpy " + e.getOrDefault("numpy", "?") + ", BLAS "
                            + e.getOrDefault("blas_kind", "?") + " (OpenBLAS core " + e.getOrDefault("openblas_corename", "?") + ")");
                    envShown = true;
                }
                details.add(String.format(Locale.ROOT, "%s: %.1f s%s", s.file(), parsed.wallSeconds(),
                        parsed.contaminated() ? ", contaminated (other processes used the CPUs while it measured)" : ", not contaminated"));
            } catch (IOException | RuntimeException e) {
                failures.add(shown + ": " + e.getMessage() + " (log: " + log + ")");
            }
        }
        return measured;
    }

    /** What the report says about the scripts run so far. */
    public PeerStatus status() {
        return new PeerStatus(null, details, failures, skipped);
    }

    /** Runs {@code cmd} with the peers' environment; returns stdout's lines, or throws with the reason. */
    private List<String> exec(List<String> cmd, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(log.toFile());
        pb.environment().remove("OPENBLAS_CORETYPE");
        pb.environment().remove("OPENBLAS_L2_SIZE");
        pb.environment().put("PEERS_QUIET_WAIT_S", "5");
        Process p = pb.start();
        p.getOutputStream().close();
        long limitS = quick ? 600 : 1800;
        AtomicBoolean killed = new AtomicBoolean();
        Thread.ofPlatform().daemon().start(() -> {   // a hung script must not hang the run
            try {
                if (!p.waitFor(limitS, TimeUnit.SECONDS)) {
                    killed.set(true);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
            }
        }
        try {
            int rc = p.waitFor();
            if (killed.get()) {
                throw new IOException("killed after " + limitS + " s");
            }
            if (rc != 0) {
                throw new IOException("exit " + rc + lastLine(log));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return lines;
    }

    private static String lastLine(Path log) {
        try {
            return Files.readAllLines(log).stream().filter(l -> !l.isBlank()).reduce((a, b) -> b).map(l -> ": " + l.strip()).orElse("");
        } catch (IOException e) {
            return "";
        }
    }
}
