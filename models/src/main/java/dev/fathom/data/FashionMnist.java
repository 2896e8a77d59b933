package dev.fathom.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 60,000 training and 10,000 test images of
 * 28×28 grey pixels in 10 classes, as the four IDX files that Debian's
 * {@code dataset-fashion-mnist} package installs. Pixels become F32 in [0, 1].
 */
public final class FashionMnist {
    /** Where {@code apt-get install dataset-fashion-mnist} puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int CLASSES = 10;
    public static final String[] CLASS_NAMES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
        "Bag", "Ankle boot"};

    /** The shape of one image, {@code [channels, height, width]}; {@code train().reshape(IMAGE_SHAPE)} gives images for a CNN. */
    public static final int[] IMAGE_SHAPE = {1, 28, 28};

    /** The training and test splits, each with examples of shape {@code [784]}. */
    public record Splits(LabeledData train, LabeledData test) {
    }

    private FashionMnist() {
    }

    /**
     * Loads both splits from {@code dir}, which holds {@code train-images-idx3-ubyte},
     * {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte} and
     * {@code t10k-labels-idx1-ubyte}, each plain or with {@code .gz}.
     *
     * @throws FileNotFoundException when a file is missing, saying how to install the data
     * @throws IOException           when a file is corrupt or the files disagree
     */
    public static Splits load(Path dir) throws IOException {
        return new Splits(split(dir, "train"), split(dir, "t10k"));
    }

    /**
     * Loads the test split alone ({@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte},
     * plain or {@code .gz}), for evaluation: the training files need not be there.
     *
     * @throws FileNotFoundException when a file is missing, saying how to install the data
     * @throws IOException           when a file is corrupt or the files disagree
     */
    public static LabeledData loadTest(Path dir) throws IOException {
        return split(dir, "t10k");
    }

    /** Loads both splits from {@link #locate(Path) locate(null)}: Debian's directory. */
    public static Splits load() throws IOException {
        return load(locate(null));
    }

    /**
     * The directory to read: {@code userDir} when given (it must exist), else {@link #DEFAULT_DIR}
     * when it exists.
     *
     * @throws FileNotFoundException saying how to get the data when neither is there
     */
    public static Path locate(Path userDir) throws FileNotFoundException {
        Path dir = userDir != null ? userDir : DEFAULT_DIR;
        if (!Files.isDirectory(dir)) {
            throw new FileNotFoundException("Fashion-MNIST not found: " + dir + " is not a directory; " + HOW_TO_GET);
        }
        return dir;
    }

    private static final String HOW_TO_GET = "install it with `apt-get install dataset-fashion-mnist` (files go to " + DEFAULT_DIR
            + "), or pass --data DIR with the four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
            + "t10k-labels-idx1-ubyte; plain or .gz)";

    /** An IDX file, or an error that names its path and how to replace it. */
    private static Idx readIdx(Path file) throws IOException {
        try {
            return Idx.read(file);
        } catch (IOException e) {
            // Idx's messages start with the file's name: put its directory in front.
            throw new IOException(file.toAbsolutePath().getParent() + java.io.File.separator + e.getMessage() + "; the file is damaged: reinstall it with `apt-get install "
                    + "--reinstall dataset-fashion-mnist`, or pass --data a directory with intact copies", e);
        }
    }

    private static LabeledData split(Path dir, String prefix) throws IOException {
        Path imageFile = find(dir, prefix + "-images-idx3-ubyte");
        Idx images = readIdx(imageFile);
        Idx labels = readIdx(find(dir, prefix + "-labels-idx1-ubyte"));
        if (images.dims().length != 3 || labels.dims().length != 1 || images.dims()[0] != labels.dims()[0]) {
            throw new IOException(dir + ": " + prefix + " images " + Arrays.toString(images.dims()) + " and labels "
                    + Arrays.toString(labels.dims()) + " do not match; expected [n, rows, cols] images and [n] labels");
        }
        int n = images.dims()[0];
        if (n == 0) {
            throw new IOException(imageFile + " holds 0 images (Fashion-MNIST's " + prefix + " split has " + (prefix.equals("train") ? "60,000" : "10,000")
                    + "); nothing to train or evaluate on: " + HOW_TO_GET);
        }
        if (images.dims()[1] != IMAGE_SHAPE[1] || images.dims()[2] != IMAGE_SHAPE[2]) {
            throw new IOException(imageFile + ": the " + prefix + " images are " + Arrays.toString(images.dims()) + ", but Fashion-MNIST images are "
                    + IMAGE_SHAPE[1] + "×" + IMAGE_SHAPE[2] + " ([n, 28, 28]); pass --data DIR with Fashion-MNIST's own files");
        }
        int width = images.dims()[1] * images.dims()[2];
        float[] pixels = new float[n * width];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = images.unsigned(i) / 255f;
        }
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            y[i] = labels.unsigned(i);
            if (y[i] >= CLASSES) {
                throw new IOException(dir + ": " + prefix + " label " + y[i] + " of example " + i + " is not a Fashion-MNIST class (0-9)");
            }
        }
        return new LabeledData(pixels, y, n, width, CLASSES);
    }

    /** {@code dir/base.gz} or {@code dir/base}; a missing file says how to get the data. */
    private static Path find(Path dir, String base) throws FileNotFoundException {
        for (Path p : new Path[] {dir.resolve(base + ".gz"), dir.resolve(base)}) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new FileNotFoundException("Fashion-MNIST not found: " + dir + " has no " + base + "[.gz]; " + HOW_TO_GET);
    }
}
