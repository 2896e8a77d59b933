package dev.fathom.cli;

import dev.fathom.Fathom;
import dev.fathom.data.CharCorpus;
import dev.fathom.io.Checkpoint;
import dev.fathom.models.CharLm;
import dev.fathom.models.Gpt;
import dev.fathom.models.LstmLM;
import dev.fathom.nn.Module;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.Device;
import dev.fathom.train.CharLmCheckpoint;
import dev.fathom.train.CharLmTraining;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code fathom train charlm --arch gpt|lstm}: the reference char-LM workloads on the fortunes
 * corpus ({@link CharLmTraining}); writes {@code metrics.jsonl}, {@code learning_curves.png} and
 * {@code checkpoint.safetensors} (which {@code fathom sample} reads) into the run directory.
 */
@Command(name = "charlm", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a character-level language model (GPT or LSTM) on the fortunes corpus, step by step, as the PyTorch reference "
                + "workloads do; validation at step 0, every --eval-every steps and at the end.")
final class TrainCharLmCommand implements Callable<Integer> {
    /** The architectures, by their command-line names. */
    enum Arch { gpt, lstm }

    @Spec
    CommandSpec spec;

    @Option(names = "--arch", paramLabel = "ARCH", description = "${COMPLETION-CANDIDATES} (with --resume: the checkpoint's).")
    Arch arch;

    @Option(names = "--resume", paramLabel = "CKPT",
            description = "Continue the run whose checkpoint.safetensors this is, to --steps, as if it had not stopped (in its directory unless "
                    + "--out); the model, seed, batch and optimizer state are the checkpoint's.")
    Path resume;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps = 300;

    @Option(names = "--eval-every", paramLabel = "N", description = "Validate every N steps, besides step 0 and the last (default: ${DEFAULT-VALUE}).")
    int evalEvery = 100;

    @Option(names = {"--batch", "--batch-size"}, paramLabel = "N",
            description = "Windows of 128 characters per step and per validation batch (default: ${DEFAULT-VALUE}).")
    int batch = 32;

    @Option(names = "--lr", paramLabel = "X", description = "Learning rate (default: 3e-4 for gpt with AdamW, 2e-3 for lstm with Adam).")
    Double lr;

    @Option(names = "--tie-weights", description = "gpt only: the head shares the token embedding (the reference does not).")
    boolean tieWeights;

    @Option(names = "--device", paramLabel = "DEVICE", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the weights and the training windows (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/charlm-ARCH-TIME).")
    Path out;

    @Option(names = "--data", paramLabel = "DIR", description = "Directory of text files (default: /usr/share/games/fortunes).")
    Path data;

    /** The metadata of a checkpoint {@code --resume} can continue: a char-LM run's; throws naming what is wrong otherwise. */
    private Map<String, String> resumable(Path checkpoint) throws IOException {
        Map<String, String> meta = Checkpoint.peek(checkpoint);
        if (!CharLmCheckpoint.MODEL.equals(meta.get("model"))) {
            throw new IllegalArgumentException(checkpoint + " holds a \"" + meta.get("model") + "\" model; --resume continues a char-LM run "
                    + "(its checkpoint.safetensors)");
        }
        if (java.util.Arrays.stream(Arch.values()).noneMatch(a -> a.name().equals(meta.get("arch")))) {
            throw new IllegalArgumentException(checkpoint + ": unknown char-LM architecture \"" + meta.get("arch") + "\" in its metadata");
        }
        if (arch != null && !arch.name().equals(meta.get("arch"))) {
            throw new IllegalArgumentException(checkpoint + " is a " + meta.get("arch") + " run, not --arch " + arch + "; leave --arch out to resume");
        }
        if (tieWeights || lr != null) {
            throw new IllegalArgumentException("--resume continues " + checkpoint + " with its own " + (tieWeights ? "model" : "learning rate")
                    + "; leave " + (tieWeights ? "--tie-weights" : "--lr") + " out");
        }
        return meta;
    }

    /** The largest --batch: 4096 windows of 128 (the reference takes 32; the GPT's attention scores of 4096 are 1 GiB). */
    static final int MAX_BATCH = 4096;

    @Override
    public Integer call() throws IOException {
        PrintWriter w = spec.commandLine().getOut();
        if (steps < 1 || evalEvery < 1 || batch < 1 || (lr != null && !(lr > 0))) {
            throw new IllegalArgumentException("need --steps >= 1, --eval-every >= 1, --batch >= 1 and --lr > 0; got --steps " + steps
                    + ", --eval-every " + evalEvery + ", --batch " + batch + (lr != null ? ", --lr " + lr : ""));
        }
        if (batch > MAX_BATCH) {
            throw new IllegalArgumentException("--batch " + batch + " is more than " + MAX_BATCH + " windows of 128 characters a step (the reference "
                    + "uses 32; the GPT's attention scores alone would take " + String.format(java.util.Locale.ROOT, "%.1f", batch * 4.0 * 128 * 128 * 4 / (1L << 30))
                    + " GiB); lower --batch");
        }
        Map<String, String> saved = resume == null ? null : resumable(resume);
        if (saved != null) {
            // The run's own settings, unless given (a different one is refused by CharLmTraining.resume).
            arch = Arch.valueOf(saved.get("arch"));
            var parsed = spec.commandLine().getParseResult();
            seed = parsed.hasMatchedOption("--seed") ? seed : Checkpoint.longScalar(resume, saved, "seed", null, Long.MIN_VALUE, Long.MAX_VALUE);
            batch = parsed.hasMatchedOption("--batch") ? batch : (int) Checkpoint.longScalar(resume, saved, "batch", null, 1, MAX_BATCH);
        } else if (arch == null) {
            throw new ParameterException(spec.commandLine(), "Missing required option: '--arch=ARCH' (or --resume CKPT)");
        }
        if (tieWeights && arch != Arch.gpt) {
            throw new IllegalArgumentException("--tie-weights is for --arch gpt (the LSTM's head and embedding differ in size)");
        }
        Device d = Device.parse(device);
        Fathom.setDefaultDevice(d);
        Fathom.seed(seed);
        CharCorpus corpus = CharCorpus.load(data != null ? data : CharCorpus.FORTUNES_DIR);
        if (saved != null && !saved.get("vocab").equals(CharLmTraining.vocabulary(corpus))) {
            throw new IllegalArgumentException(resume + " was trained on another corpus (its vocabulary differs from " + corpus
                    + "'s); pass the --data it was trained on");
        }
        double rate = lr != null ? lr : CharLmTraining.referenceLr(arch.name());
        Path runDir = RunDirectory.choose(out, resume, "charlm-" + arch);
        try (RunDirectory run = RunDirectory.open(runDir, resume != null, true)) {
            CharLmTraining.Settings settings = new CharLmTraining.Settings(steps, evalEvery, batch, 128, 20, seed);
            CharLm model = saved != null ? CharLmCheckpoint.create(saved.get("arch"), saved.get("config"))
                    : arch == Arch.gpt ? new Gpt(Gpt.Config.reference(corpus.vocabSize()).withTieWeights(tieWeights))
                    : new LstmLM(LstmLM.Config.reference(corpus.vocabSize()));
            try (Module net = (Module) model; Optimizer opt = CharLmTraining.optimizer(arch.name(), net.parameters(), rate)) {
                net.to(d);
                w.printf(Locale.ROOT, "fathom train charlm --arch %s on %s: %s; batch %d x %d, %d steps, %s lr %s, seed %d, run %s%n", arch, d, corpus,
                        batch, 128, steps, arch == Arch.gpt ? "AdamW (weight decay 0.1)" : "Adam", saved != null ? "from the checkpoint" : rate, seed,
                        runDir);
                w.printf(Locale.ROOT, "model: %s, %,d parameters%n", net, net.parameterCount());
                CharLmTraining training = new CharLmTraining(model, opt, corpus, settings, runDir, w);
                CharLmTraining.Result r = saved != null ? training.resume(resume) : training.run();
                w.printf(Locale.ROOT, "val_loss step 0 %.4f, step %d %.4f; %.0f tokens/s (median step %.1f ms over steps %s)%n", r.firstValLoss(), steps,
                        r.lastValLoss(), r.tokensPerSecond(), r.medianStepMs(),
                        r.firstTimedStep() + ".." + steps);
                w.println(run.keep());
            }
            return 0;
        }
    }
}
