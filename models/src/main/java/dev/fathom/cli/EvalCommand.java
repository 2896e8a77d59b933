package dev.fathom.cli;

import dev.fathom.Fathom;
import dev.fathom.data.DataLoader;
import dev.fathom.data.FashionMnist;
import dev.fathom.io.Checkpoint;
import dev.fathom.metrics.ConfusionMatrix;
import dev.fathom.models.Zoo;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.tensor.Device;
import dev.fathom.train.Evaluation;
import dev.fathom.train.Trainer;
import dev.fathom.train.TrainingCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code fathom eval CKPT}: test accuracy, per-class precision/recall/F1 and the confusion matrix of a saved model. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate a checkpoint on the Fashion-MNIST test set.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CKPT", description = "A checkpoint.safetensors or best.safetensors written by `fathom train`.")
    Path checkpoint;

    @Mixin
    DataAndDevice where;


    @Override
    public Integer call() throws IOException {
        PrintWriter w = spec.commandLine().getOut();
        Map<String, String> meta = Checkpoint.peek(checkpoint);
        Zoo zoo = CheckpointKind.classifier(checkpoint, meta, "fathom eval takes");
        Fathom.setDefaultDevice(Device.parse(where.device));
        DataLoader test = DataLoader.builder(FashionMnist.loadTest(FashionMnist.locate(where.data)).reshape(zoo.exampleShape()), 1000).build();
        try (Module net = zoo.create()) {
            TrainingCheckpoint.loadModel(checkpoint, net);
            Trainer t = new Trainer(net, null, "cross_entropy", Functional::crossEntropy, Path.of("."), false, List.of());
            Evaluation e = t.evaluate(test);
            w.printf(Locale.ROOT, "%s (%s, epoch %s): test loss %.4f, accuracy %.4f on %d images%n%n", checkpoint, zoo.id(), meta.get("epoch"),
                    e.loss(), e.accuracy(), e.labels().length);
            ConfusionMatrix cm = ConfusionMatrix.of(e.predicted(), e.labels(), FashionMnist.CLASSES);
            w.println(cm.report(FashionMnist.CLASS_NAMES));
            w.println(cm.format(FashionMnist.CLASS_NAMES));
        }
        return 0;
    }
}
