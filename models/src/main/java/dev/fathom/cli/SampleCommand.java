package dev.fathom.cli;

import dev.fathom.Fathom;
import dev.fathom.io.Checkpoint;
import dev.fathom.models.Dcgan;
import dev.fathom.models.Sampling;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.train.CharLmCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code fathom sample CKPT}: text from a char-LM checkpoint ({@code --prompt}, {@code --tokens},
 * {@code --temperature}, {@code --top-k}, reproducible with {@code --seed}); a grid of images from a
 * DCGAN checkpoint ({@code --grid PNG}, optionally judged by a classifier with {@code --judge}; see {@link GanSampling}).
 */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate from a trained model: text from a charlm checkpoint (prompt, then --tokens more characters), "
                + "or an image grid from a dcgan checkpoint (--grid).")
final class SampleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CKPT", description = "A checkpoint.safetensors written by `fathom train`.")
    Path checkpoint;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "charlm: the text to continue (every character must be in the training vocabulary).")
    String prompt;

    @Option(names = "--tokens", paramLabel = "N", description = "charlm: characters to generate (default: ${DEFAULT-VALUE}).")
    int tokens = 200;

    @Option(names = "--temperature", paramLabel = "T", description = "charlm: divide the logits by T > 0 (default: ${DEFAULT-VALUE}).")
    double temperature = 1.0;

    @Option(names = "--top-k", paramLabel = "K", description = "charlm: sample among the K most likely characters; 0 = all (default: ${DEFAULT-VALUE}).")
    int topK = 0;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the sampling (default: 0 for text; for a grid, the run's own grid noise).")
    Long seed;

    @Option(names = "--device", paramLabel = "DEVICE", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Option(names = "--grid", paramLabel = "PNG", description = "dcgan: write an 8x8 grid of generated images to PNG.")
    Path grid;

    @Option(names = "--judge", paramLabel = "CKPT", description = "dcgan: also score " + GanSampling.JUDGE_SAMPLES
            + " samples with a Fashion-MNIST classifier checkpoint (from `fathom train cnn`).")
    Path judge;

    @Override
    public Integer call() throws IOException {
        Device d = Device.parse(device);
        Fathom.setDefaultDevice(d);
        Map<String, String> meta = Checkpoint.peek(checkpoint);
        if (Dcgan.ID.equals(meta.get("model"))) {
            if (grid == null || prompt != null) {
                throw new IllegalArgumentException(checkpoint + " holds a dcgan model: draw images with --grid PNG (--prompt is for charlm checkpoints)");
            }
            GanSampling.sample(checkpoint, grid, seed, judge, spec.commandLine().getOut());
            return 0;
        }
        if (!CharLmCheckpoint.MODEL.equals(meta.get("model"))) {
            throw new IllegalArgumentException(checkpoint + " holds a \"" + meta.get("model") + "\" model; sample prints text from charlm checkpoints, "
                    + "and --grid is for dcgan checkpoints; a classifier's is for `fathom eval`");
        }
        if (grid != null || judge != null) {
            throw new IllegalArgumentException((grid != null ? "--grid" : "--judge") + " is for dcgan checkpoints; " + checkpoint
                    + " holds a charlm model (sample text with --prompt)");
        }
        if (prompt == null || prompt.isEmpty()) {
            throw new IllegalArgumentException("give --prompt TEXT (at least one character) to sample from the charlm checkpoint " + checkpoint);
        }
        if (tokens < 0 || !(temperature > 0) || Double.isInfinite(temperature) || topK < 0) {
            throw new IllegalArgumentException("need --tokens >= 0, a finite --temperature > 0 and --top-k >= 0 (0 = all); got " + tokens + ", "
                    + temperature + ", " + topK);
        }
        try (CharLmCheckpoint.Loaded loaded = CharLmCheckpoint.load(checkpoint, d)) {
            int[] vocab = loaded.vocabulary().codePoints().toArray();
            long[] ids = encode(prompt, vocab);
            long[] out = Sampling.generate(loaded.model(), ids, tokens, temperature, topK, new Generator(seed == null ? 0 : seed));
            StringBuilder text = new StringBuilder(prompt);
            for (long id : out) {
                text.appendCodePoint(vocab[(int) id]);
            }
            PrintWriter w = spec.commandLine().getOut();
            w.println(text);
            w.flush();
        }
        return 0;
    }

    /** The ids of {@code text} in {@code vocab} (sorted code points); an unknown character is an error naming it and the vocabulary. */
    static long[] encode(String text, int[] vocab) {
        return text.codePoints().mapToLong(c -> {
            int i = Arrays.binarySearch(vocab, c);
            if (i < 0) {
                throw new IllegalArgumentException("the prompt's character " + describe(c) + " is not in the model's vocabulary; it has "
                        + vocab.length + " characters: " + Arrays.stream(vocab).mapToObj(SampleCommand::show).collect(Collectors.joining("")));
            }
            return i;
        }).toArray();
    }

    private static String describe(int c) {
        return "'" + show(c) + "' (U+" + String.format("%04X", c) + (Character.getName(c) != null ? " " + Character.getName(c) : "") + ")";
    }

    /** Printable characters as they are; controls and spaces escaped so the list reads on one line. */
    private static String show(int c) {
        return switch (c) {
            case '\n' -> "\\n";
            case '\t' -> "\\t";
            case '\r' -> "\\r";
            case ' ' -> "␠";
            default -> Character.isISOControl(c) || Character.isWhitespace(c) ? String.format("\\u%04X", c) : Character.toString(c);
        };
    }
}
