package dev.fathom.cli;

import dev.fathom.Fathom;
import dev.fathom.data.DataLoader;
import dev.fathom.data.Dataset;
import dev.fathom.data.FashionMnist;
import dev.fathom.io.Checkpoint;
import dev.fathom.models.Zoo;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.optim.Optimizer;
import dev.fathom.tensor.Device;
import dev.fathom.train.Callback;
import dev.fathom.train.EpochEnd;
import dev.fathom.train.MetricsLog;
import dev.fathom.train.SaveCheckpoints;
import dev.fathom.train.Trainer;
import dev.fathom.train.TrainingCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code fathom train MODEL}: trains a zoo model on Fashion-MNIST, validating on the test set
 * every epoch; writes {@code metrics.jsonl}, {@code learning_curves.png}, {@code checkpoint.safetensors}
 * and {@code best.safetensors} into the run directory, and resumes from a checkpoint with {@code --resume}.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, subcommands = {TrainCharLmCommand.class, TrainDcganCommand.class},
        description = "Train a zoo model on Fashion-MNIST (one line per epoch, files in the run directory), or a char-LM or DCGAN (subcommands).")
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    // Optional for picocli only: a required positional would be demanded before a subcommand (`train charlm`) runs.
    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "${COMPLETION-CANDIDATES} (any case); or a subcommand below.")
    Zoo model;

    @Option(names = "--epochs", paramLabel = "N", description = "Last epoch to train (default: the reference workload's).")
    Integer epochs;

    @Option(names = {"--batch", "--batch-size"}, paramLabel = "N", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batch = 128;

    /** The learning rate of a new run without --lr (the reference Adam's). */
    static final double DEFAULT_LR = 1e-3;

    @Option(names = "--lr", paramLabel = "X", description = "Learning rate (default: 1e-3; with --resume, the checkpoint's, which --lr replaces).")
    Double lr;

    @Option(names = "--optimizer", paramLabel = "NAME", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    OptimizerChoice optimizer = OptimizerChoice.adam;

    @Mixin
    DataAndDevice where;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the weights, dropout and shuffles (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/MODEL-TIME, or the checkpoint's with --resume).")
    Path out;

    @Option(names = "--resume", paramLabel = "CKPT", description = "Continue a run from its checkpoint.safetensors.")
    Path resume;


    @Option(names = "--limit", paramLabel = "N", description = "Train on the first N training images only (quick runs).")
    Integer limit;

    /**
     * The one line that says what a resume at {@code first} replaces in {@code runDir}: the
     * {@code metrics.jsonl} rows of epoch {@code first} and later (a resume from an earlier
     * checkpoint starts the run over from there) and a {@code checkpoint.safetensors} of such an
     * epoch; null when it replaces nothing.
     */
    private String replacedByResume(Path runDir, int first) throws IOException {
        List<String> what = new ArrayList<>();
        Path log = runDir.resolve("metrics.jsonl");
        LongSummaryStatistics later = MetricsLog.laterRows(log, "epoch", first).stream().mapToLong(Long::longValue).summaryStatistics();
        if (later.getCount() > 0) {
            what.add((later.getMin() == later.getMax() ? "the row of epoch " + later.getMin()
                    : "the rows of epochs " + later.getMin() + ".." + later.getMax()) + " in " + log);
        }
        Path current = runDir.resolve("checkpoint.safetensors");
        if (Files.isRegularFile(current) && !Files.isSameFile(current, resume)) {
            String epoch = Checkpoint.peek(current).get(TrainingCheckpoint.EPOCH);
            if (epoch != null && epoch.matches("\\d{1,9}") && Integer.parseInt(epoch) >= first) {
                what.add(current + " (epoch " + epoch + ")");
            }
        }
        return what.isEmpty() ? null : "this run continues from epoch " + (first - 1) + " and replaces " + String.join(" and ", what);
    }

    /**
     * The value {@code key} of the checkpoint being resumed (option {@code option} of the run that
     * wrote it), which {@code given} (an explicit option, or null) must equal; {@code fallback} for
     * a checkpoint that predates the key.
     */
    private long sameAsTrained(Map<String, String> saved, String key, String option, Long given, long fallback, long min) throws IOException {
        if (saved.get(key) == null) {
            return given != null ? given : fallback;
        }
        long trained = Checkpoint.longScalar(resume, saved, key, null, min, key.equals("seed") ? Long.MAX_VALUE : Integer.MAX_VALUE);
        if (given != null && given != trained) {
            throw new IllegalArgumentException(resume + " was trained with " + option + " " + trained + "; resume with the same, or leave "
                    + option + " out (got " + given + ")");
        }
        return trained;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter w = spec.commandLine().getOut();
        if (model == null) {
            throw new ParameterException(spec.commandLine(), "Missing required parameter: 'MODEL' (mlp, cnn, resnet) or a subcommand (charlm, dcgan)");
        }
        Zoo zoo = model;
        int lastEpoch = epochs != null ? epochs : zoo.referenceEpochs();
        if (lastEpoch < 1 || batch < 1 || (lr != null && !(lr > 0 && lr < Double.POSITIVE_INFINITY)) || (limit != null && limit < 1)) {
            throw new IllegalArgumentException("need --epochs >= 1, --batch >= 1, a finite --lr > 0 and --limit >= 1; got --epochs " + lastEpoch
                    + ", --batch " + batch + (lr != null ? ", --lr " + lr : "") + (limit != null ? ", --limit " + limit : ""));
        }
        Device d = Device.parse(where.device);
        Fathom.setDefaultDevice(d);
        Map<String, String> info = new LinkedHashMap<>();
        if (resume != null) {
            Map<String, String> saved = Checkpoint.peek(resume);
            if (!zoo.id().equals(saved.get("model"))) {
                throw new IllegalArgumentException(resume + " holds a \"" + saved.get("model") + "\" model, not \"" + zoo.id() + "\"");
            }
            String trainedWith = saved.get("optimizer");
            if (trainedWith != null && !trainedWith.equals(optimizer.name())) {
                throw new IllegalArgumentException(resume + " was trained with --optimizer " + trainedWith + ", whose state it holds; resume with "
                        + "--optimizer " + trainedWith + " (got " + optimizer.name() + ")");
            }
            // What the data order depends on stays the run's: an explicit different value is refused, not silently replaced.
            var parsed = spec.commandLine().getParseResult();
            seed = sameAsTrained(saved, "seed", "--seed", parsed.hasMatchedOption("--seed") ? seed : null, seed, Long.MIN_VALUE);
            batch = (int) sameAsTrained(saved, "batch", "--batch", parsed.hasMatchedOption("--batch") ? (long) batch : null, batch, 1);
            if (saved.get("batch") != null) {
                // A checkpoint that records its batch records its limit too, when it had one: none means every image.
                if (saved.get("limit") == null && limit != null) {
                    throw new IllegalArgumentException(resume + " was trained on every training image; leave --limit out to resume it");
                }
                Long trained = saved.get("limit") == null ? null : sameAsTrained(saved, "limit", "--limit", limit == null ? null : (long) limit, 0, 1);
                limit = trained == null ? null : Math.toIntExact(trained);
            }
        }
        Fathom.seed(seed);
        Path runDir = RunDirectory.choose(out, resume, zoo.id());
        try (RunDirectory run = RunDirectory.open(runDir, resume != null, true)) {
            FashionMnist.Splits splits = FashionMnist.load(FashionMnist.locate(where.data));
            Dataset train = splits.train().reshape(zoo.exampleShape());
            if (limit != null && limit < train.size()) {
                train = splits.train().head(limit).reshape(zoo.exampleShape());
            }
            Dataset test = splits.test().reshape(zoo.exampleShape());
            DataLoader trainLoader = DataLoader.builder(train, batch).shuffle(true).seed(seed).prefetch(true).build();
            DataLoader testLoader = DataLoader.builder(test, 1000).build();
            info.put("model", zoo.id());
            info.put("seed", Long.toString(seed));
            info.put("optimizer", optimizer.name());
            info.put("batch", Integer.toString(batch));
            if (limit != null) {
                info.put("limit", Integer.toString(limit));
            }
            w.printf(Locale.ROOT, "fathom train %s on %s: %d training / %d test images, batch %d, %s lr %s, seed %d, run %s%n", zoo.id(), d,
                    train.size(), test.size(), batch, optimizer, lr != null ? lr : resume != null ? "from the checkpoint" : DEFAULT_LR, seed, runDir);
            try (Module net = zoo.create(); Optimizer opt = optimizer.create(net.parameters(), lr != null ? lr : DEFAULT_LR)) {
                int first = 1;
                if (resume != null) {
                    first = TrainingCheckpoint.resume(resume, net, opt) + 1;
                    double saved = opt.lr();
                    if (lr != null) {
                        opt.setLr(lr);   // an explicit --lr wins over the restored one, as setting param_groups' lr after loading does in PyTorch
                    }
                    w.printf(Locale.ROOT, "resumed from %s after epoch %d, lr %s%s%n", resume, first - 1, opt.lr(),
                            lr != null && lr != saved ? " (--lr; the checkpoint's was " + saved + ")" : "");
                    String replaced = replacedByResume(runDir, first);
                    if (replaced != null) {
                        w.println(replaced);
                    }
                }
                w.printf(Locale.ROOT, "model: %s, %,d parameters%n", net, net.parameterCount());
                if (first > lastEpoch) {
                    w.printf(Locale.ROOT, "nothing to do: the checkpoint is at epoch %d and --epochs is %d%n", first - 1, lastEpoch);
                    return 0;
                }
                Callback print = new Callback() {
                    @Override
                    public void onEpochEnd(Trainer t, EpochEnd e) {
                        w.printf(Locale.ROOT, "epoch %d/%d  train_loss %.4f  val_loss %.4f  val_acc %.4f  %.0f samples/s  %.1f s%n", e.epoch(), lastEpoch,
                                e.get("train_loss"), e.get("val_loss"), e.get("val_acc"), e.get("samples_per_s"), e.get("seconds"));
                    }
                };
                Trainer trainer = new Trainer(net, opt, "cross_entropy", Functional::crossEntropy, runDir, true,
                        List.of(new SaveCheckpoints(runDir, "val_acc", true, info), print));
                trainer.fit(trainLoader, testLoader, first, lastEpoch);
                w.println(run.keep());
            }
            return 0;
        }
    }
}
