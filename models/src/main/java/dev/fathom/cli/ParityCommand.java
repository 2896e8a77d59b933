package dev.fathom.cli;

import dev.fathom.data.CharCorpus;
import dev.fathom.models.Zoo;
import dev.fathom.spi.Backend;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.internal.Backends;
import dev.fathom.train.CharLmParity;
import dev.fathom.train.DcganParity;
import dev.fathom.train.Parity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code fathom parity}: the same seeded training steps on several devices, losses compared step by
 * step: {@link Parity} for the image models, {@link CharLmParity} for the char-level GPT and LSTM,
 * {@link DcganParity} for the DCGAN (its D and G losses, each compared).
 *
 * <p>Exit 0 when every comparison is within {@code --rtol}, 1 otherwise. Without {@code --devices}
 * on a machine where only the CPU is usable there is nothing to compare: exit 1, saying so. One
 * device named with {@code --devices} runs the steps there and compares nothing (exit 0:
 * {@code scripts/gpu-check} profiles the CNN's host time this way); a device named twice is an error.
 */
@Command(name = "parity", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train the same seeded model for a few steps on several devices (synthetic batches) and compare the losses "
                + "step by step (gpt, lstm: the reference char-LMs on windows of the fortunes corpus; dcgan: the reference DCGAN's D and G "
                + "losses on synthetic images, compare 2 steps); exits with 1 when any differs from the first "
                + "device's by more than --rtol.")
final class ParityCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", split = ",", paramLabel = "MODEL", description = "Models to compare: mlp, cnn, resnet, gpt, lstm, dcgan (default: mlp,cnn).")
    List<String> models = List.of("mlp", "cnn");

    @Option(names = "--devices", split = ",", paramLabel = "DEVICE",
            description = "Devices, the first being the reference (default: cpu and the first device of every other available backend; "
                    + "a test backend, of negative priority, only when named). One device runs the steps without a comparison.")
    List<String> devices;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps per run (default: 50; 2 for dcgan, whose free-running losses drift apart "
            + "by Adam's amplification of rounding noise within a few steps, as the DcganParity documentation explains).")
    Integer steps;

    @Option(names = "--optimizer", paramLabel = "adam|sgd", description = "mlp, cnn, resnet: adam (lr 1e-3, the default) or sgd "
            + "(lr 0.01, momentum 0.9). Adam turns a rounding-level difference (a max-pool or ReLU tie decided differently) into "
            + "lr-sized steps; SGD does not, so a difference under sgd points at arithmetic.")
    String optimizer = "adam";

    @Option(names = "--batch-size", paramLabel = "N", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize = 64;

    @Option(names = "--rtol", paramLabel = "X", description = "Largest relative loss difference accepted, finite and >= 0 (default: ${DEFAULT-VALUE}).")
    double rtol = 1e-4;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the weights and the batches (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--data", paramLabel = "DIR", description = "gpt, lstm: directory of text files (default: /usr/share/games/fortunes).")
    Path data;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        // Names that do not parse are usage errors (exit 2), found before any device is probed.
        Parity.Optim optim = switch (optimizer.toLowerCase(Locale.ROOT)) {
            case "adam" -> Parity.Optim.ADAM;
            case "sgd" -> Parity.Optim.SGD;
            default -> throw new ParameterException(spec.commandLine(), "--optimizer: unknown optimizer \"" + optimizer + "\"; choose adam or sgd");
        };
        Set<String> charLms = Set.of("gpt", "lstm");
        for (String id : models) {
            String m = id.toLowerCase(Locale.ROOT);
            if (!charLms.contains(m) && !m.equals("dcgan") && java.util.Arrays.stream(Zoo.values()).noneMatch(z -> z.id().equals(m))) {
                throw new ParameterException(spec.commandLine(), "--model: unknown model \"" + id + "\"; choose from mlp, cnn, resnet, gpt, lstm, dcgan");
            }
        }
        List<Device> chosen = new ArrayList<>();
        if (devices == null) {
            chosen.add(Device.cpu());
            for (Backend b : Backends.all()) {
                if (b.name().equals("cpu") || b.priority() < 0) {
                    continue;  // negative priority: a test backend (cuda-emu), run only when named, as Device.auto() does
                }
                if (b.availability().available() && b.deviceCount() > 0) {
                    chosen.add(new Device(b.name(), 0));
                } else {
                    spec.commandLine().getErr().println("parity: skipping " + b.name() + ": " + b.availability().reason());
                }
            }
        } else {
            for (String d : devices) {
                chosen.add(Device.parse(d));  // an unusable device named explicitly fails below, never silently drops out
            }
        }
        if (!(rtol >= 0) || Double.isInfinite(rtol)) {
            throw new IllegalArgumentException("parity --rtol: need a finite tolerance >= 0, got " + rtol + " (e.g. --rtol 1e-4)");
        }
        for (int i = 0; i < chosen.size(); i++) {
            if (chosen.indexOf(chosen.get(i)) != i) {
                throw new IllegalArgumentException("parity --devices: " + chosen.get(i) + " is named twice; a device compared with itself agrees "
                        + "by construction: name two different devices, e.g. --devices cpu,cuda");
            }
        }
        if (devices == null && chosen.size() < 2) {
            // A default run on a machine where only the CPU is usable would compare the CPU with itself and "agree".
            spec.commandLine().getErr().println("parity: nothing to compare: " + chosen.getFirst() + " is the only usable device here (the "
                    + "reasons are above); name the devices with --devices, e.g. --devices cpu,cuda (one device runs the steps without a comparison)");
            return 1;
        }
        boolean ok = true;
        CharCorpus corpus = null;
        for (String id : models) {
            String m = id.toLowerCase(Locale.ROOT);
            List<Parity.Report> reports;
            if (charLms.contains(m)) {
                if (corpus == null) {
                    corpus = CharCorpus.load(data != null ? data : CharCorpus.FORTUNES_DIR);
                }
                reports = List.of(CharLmParity.reference(m, corpus, seed, stepsOr(50), batchSize, chosen));
            } else if (m.equals("dcgan")) {
                reports = DcganParity.run(seed, stepsOr(2), batchSize, chosen);
            } else {
                reports = List.of(Parity.run(Zoo.byId(m), seed, stepsOr(50), batchSize, chosen, optim));
            }
            for (Parity.Report r : reports) {
                out.print(r.describe());
                if (chosen.size() < 2) {   // one device named: the steps run (gpu-check profiles this way), nothing is compared
                    out.printf(Locale.ROOT, "%s: nothing compared (one device, %s)%n", r.model(), chosen.getFirst());
                    continue;
                }
                double worst = r.maxRelativeDifference();
                boolean pass = worst <= rtol;
                ok &= pass;
                out.printf(Locale.ROOT, "%s: %s (max rel. diff %.2e at step %d on %s; rtol %.0e)%n", r.model(), pass ? "agree" : "DIFFER",
                        worst, r.worstStep(), r.worstDevice(), rtol);
            }
        }
        return ok ? 0 : 1;
    }

    /** {@code --steps}, or the model's default; the parity runs themselves reject fewer than 1. */
    private int stepsOr(int modelDefault) {
        return steps != null ? steps : modelDefault;
    }
}
