package dev.fathom.cli;

import dev.fathom.Fathom;
import dev.fathom.data.FashionMnist;
import dev.fathom.models.Mlp;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.train.ClassifierTrainer;
import dev.fathom.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code fathom train mlp}: trains a model on Fashion-MNIST and prints one line per epoch. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a model on Fashion-MNIST, printing train loss, test accuracy and speed per epoch.")
final class TrainCommand implements Callable<Integer> {
    private static final TrainConfig DEFAULTS = TrainConfig.defaults();

    /** The models this command trains. */
    enum ModelName {
        /** 784-128-10 with ReLU. */
        mlp
    }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The model: ${COMPLETION-CANDIDATES}.")
    ModelName model;

    @Option(names = "--device", paramLabel = "DEVICE", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training set (default: ${DEFAULT-VALUE}).")
    int epochs = DEFAULTS.epochs();

    @Option(names = "--batch-size", paramLabel = "B", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batchSize = DEFAULTS.batchSize();

    @Option(names = "--lr", paramLabel = "LR", description = "Adam's learning rate (default: ${DEFAULT-VALUE}).")
    double lr = DEFAULTS.learningRate();

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the initial weights and the shuffles (default: ${DEFAULT-VALUE}).")
    long seed = DEFAULTS.seed();

    @Option(names = "--data", paramLabel = "DIR", description = "Directory of the Fashion-MNIST IDX files (default: ${DEFAULT-VALUE}).")
    Path data = FashionMnist.DEFAULT_DIR;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        TrainConfig config = new TrainConfig(epochs, batchSize, lr, seed);
        Device d = Device.parse(device);
        Fathom.setDefaultDevice(d);
        Fathom.seed(seed);
        out.printf(Locale.ROOT, "fathom train %s: device %s (asked: %s), %s, data %s%n", model, d, device, config, data);

        FashionMnist.Splits splits = FashionMnist.load(data);
        out.printf(Locale.ROOT, "data: %d training and %d test images of %d pixels, %d classes%n", splits.train().count(),
                splits.test().count(), splits.train().width(), FashionMnist.CLASSES);

        try (Mlp mlp = new Mlp(new Generator(seed), splits.train().width(), 128, FashionMnist.CLASSES)) {
            out.printf(Locale.ROOT, "model: %s, %,d parameters, Adam, softmax cross-entropy%n", mlp, mlp.parameterCount());
            new ClassifierTrainer(config).fit(mlp, splits.train(), splits.test(), r -> out.println(r.format()));
        }
        return 0;
    }
}
