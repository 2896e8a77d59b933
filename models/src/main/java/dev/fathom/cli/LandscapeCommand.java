package dev.fathom.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.fathom.Fathom;
import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.data.Batch;
import dev.fathom.data.FashionMnist;
import dev.fathom.data.LabeledData;
import dev.fathom.io.AtomicFile;
import dev.fathom.io.Checkpoint;
import dev.fathom.models.Zoo;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.theory.LossLandscape;
import dev.fathom.theory.LossSurface;
import dev.fathom.train.LearningCurves;
import dev.fathom.train.ProgressBar;
import dev.fathom.train.TrainingCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * {@code fathom landscape CKPT}: the training loss of a Fashion-MNIST classifier over a plane
 * through its weights, along two filter-normalized random directions (Li et al. 2018, through
 * {@link LossLandscape}), on a fixed batch of the first {@code --examples} training images;
 * writes {@code landscape.json} (the grid and its losses) and {@code landscape.png} into the
 * checkpoint's directory or {@code --out}, and prints the loss at the weights and the extremes of
 * the grid.
 */
@Command(name = "landscape", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Plot the training loss of a `fathom train mlp|cnn|resnet` checkpoint over a plane through its weights "
                + "(two filter-normalized random directions, Li et al. 2018).")
final class LandscapeCommand implements Callable<Integer> {
    /** More points than this per axis is a request for hours of forward passes. */
    private static final int MAX_POINTS = 201;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CKPT", description = "A checkpoint.safetensors or best.safetensors written by `fathom train`.")
    Path checkpoint;

    @Option(names = "--points", paramLabel = "N", description = "Grid points per axis, 2..201 (default: ${DEFAULT-VALUE}).")
    int points = 21;

    @Option(names = "--range", paramLabel = "R", description = "α and β run from -R to R, in units of the directions (default: ${DEFAULT-VALUE}).")
    double range = 1.0;

    @Option(names = "--examples", paramLabel = "N", description = "The first N training images form the batch (default: ${DEFAULT-VALUE}).")
    int examples = 1000;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the two random directions (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--out", paramLabel = "DIR", description = "Where landscape.json and landscape.png go (default: the checkpoint's directory).")
    Path out;

    @Mixin
    DataAndDevice where;

    @Override
    public Integer call() throws IOException {
        PrintWriter w = spec.commandLine().getOut();
        if (points < 2 || points > MAX_POINTS) {
            throw new IllegalArgumentException("--points must be between 2 and " + MAX_POINTS + ", got " + points
                    + " (the plane costs points² forward passes)");
        }
        if (!(range > 0) || !Double.isFinite(range)) {
            throw new IllegalArgumentException("--range must be a positive number, got " + range);
        }
        if (examples < 1) {
            throw new IllegalArgumentException("--examples must be at least 1, got " + examples);
        }
        Map<String, String> meta = Checkpoint.peek(checkpoint);
        Zoo zoo = CheckpointKind.classifier(checkpoint, meta, "fathom landscape takes");
        Path dir = out != null ? out : checkpoint.toAbsolutePath().getParent();
        RunDirectory.requireWritable(dir);
        Fathom.setDefaultDevice(Device.parse(where.device));
        LabeledData train = FashionMnist.load(FashionMnist.locate(where.data)).train();
        if (examples > train.size()) {
            throw new IllegalArgumentException("--examples must be at most the " + train.size() + " training images, got " + examples);
        }
        LossSurface surface;
        double center;
        try (Scope s = Scope.open(); Module net = zoo.create()) {
            TrainingCheckpoint.loadModel(checkpoint, net);
            net.eval();
            Batch batch = train.reshape(zoo.exampleShape()).batch(IntStream.range(0, examples).toArray());
            List<Parameter> ps = net.parameters();
            Generator g = new Generator(seed);
            List<Tensor> d1 = LossLandscape.randomDirection(ps, LossLandscape.Normalization.FILTER, g);
            List<Tensor> d2 = LossLandscape.randomDirection(ps, LossLandscape.Normalization.FILTER, g);
            double[] grid = LossLandscape.linspace(-range, range, points);
            Supplier<Tensor> batchLoss = () -> Functional.crossEntropy(net.forward(batch.x()), batch.y());
            try (GradMode off = Autograd.noGrad(); Scope forward = Scope.open()) {
                center = batchLoss.get().itemDouble();
            }
            ProgressBar bar = ProgressBar.stderr("landscape", (long) points * points);
            long[] done = {0};
            Supplier<Tensor> loss = () -> {
                Tensor l = batchLoss.get();
                done[0]++;
                bar.update(done[0], l.itemDouble(), done[0] * examples);
                return l;
            };
            surface = LossLandscape.plane(loss, ps, d1, d2, grid, grid);
        }
        String epoch = meta.getOrDefault("epoch", "?");
        long diverged = Arrays.stream(surface.losses()).flatMapToDouble(Arrays::stream).filter(v -> !Double.isFinite(v)).count();
        if (!Double.isFinite(center)) {
            throw new IllegalArgumentException(checkpoint + ": the training loss at the checkpoint's own weights is " + center
                    + "; the weights hold NaNs or overflow, so there is no landscape to draw");
        }
        if (diverged == (long) points * points) {
            throw new IllegalArgumentException("every one of the " + points + " × " + points + " points over α, β in [" + -range + ", " + range
                    + "] gave a NaN or infinite loss (the loss at the weights is " + String.format(Locale.ROOT, "%.4f", center)
                    + "); a smaller --range stays where the loss is finite");
        }
        if (diverged > 0) {
            w.printf(Locale.ROOT, "%d of the %d points gave a NaN or infinite loss: null in landscape.json, the top band in landscape.png; "
                    + "a smaller --range stays where the loss is finite%n", diverged, (long) points * points);
        }
        // Drawn before anything is written, so that a failure leaves no file behind.
        byte[] png = LearningCurves.unavailable() == null ? LandscapePlot.render(surface,
                String.format(Locale.ROOT, "%s, epoch %s: training loss on %d images", zoo.id(), epoch, examples)) : null;
        Files.createDirectories(dir);
        writeJson(dir.resolve("landscape.json"), zoo, meta, surface, center);
        List<String> wrote = new ArrayList<>(List.of("landscape.json"));
        if (png != null) {
            AtomicFile.write(dir.resolve("landscape.png"), png);
            wrote.add("landscape.png");
        } else {
            w.println("landscape.png not drawn: " + LearningCurves.unavailable() + "; landscape.json has the numbers");
        }
        w.print(summary(zoo, epoch, surface, center));
        w.println("wrote " + dir + " (" + String.join(", ", wrote) + ")");
        return 0;
    }

    private String summary(Zoo zoo, String epoch, LossSurface surface, double center) {
        double[] alphas = surface.alphas(), betas = surface.betas();
        int li = 0, lj = 0, hi = 0, hj = 0;
        for (int i = 0; i < alphas.length; i++) {
            for (int j = 0; j < betas.length; j++) {
                double v = surface.at(i, j);
                if (!Double.isNaN(v) && (Double.isNaN(surface.at(li, lj)) || v < surface.at(li, lj))) {
                    li = i;
                    lj = j;
                }
                if (Double.isNaN(v) || v > surface.at(hi, hj)) {
                    hi = i;
                    hj = j;
                }
            }
        }
        return String.format(Locale.ROOT, "%s (epoch %s): training loss on %d images %.4f at the weights;"
                        + " over α, β in [%s, %s] (%d × %d points) lowest %.4f at (%.3g, %.3g), highest %.4g at (%.3g, %.3g)%n",
                zoo.id(), epoch, examples, center, alphas[0], alphas[alphas.length - 1], alphas.length, betas.length,
                surface.at(li, lj), alphas[li], betas[lj], surface.at(hi, hj), alphas[hi], betas[hj]);
    }

    private void writeJson(Path file, Zoo zoo, Map<String, String> meta, LossSurface surface, double center) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("model", zoo.id());
        doc.put("checkpoint", checkpoint.toAbsolutePath().toString());
        String epoch = meta.get("epoch");
        doc.put("epoch", epoch != null && epoch.matches("\\d{1,9}") ? (Object) Integer.parseInt(epoch) : epoch);   // a number, as in metrics.jsonl
        doc.put("examples", examples);
        doc.put("split", "train");
        doc.put("loss", "cross_entropy");
        doc.put("directions", "filter-normalized Gaussian (Li et al. 2018), biases fixed");
        doc.put("seed", seed);
        doc.put("center_loss", finite(center));
        doc.put("alphas", surface.alphas());
        doc.put("betas", surface.betas());
        List<List<Double>> rows = new ArrayList<>();
        for (double[] row : surface.losses()) {
            List<Double> r = new ArrayList<>(row.length);
            for (double v : row) {
                r.add(finite(v));
            }
            rows.add(r);
        }
        doc.put("losses", rows);
        byte[] bytes = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(doc);
        AtomicFile.write(file, bytes);
    }

    /** JSON has no NaN or infinity: a diverged point is null. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
