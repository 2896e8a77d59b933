package dev.fathom.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A character-level corpus as the reference char-LM workloads define it
 * ({@code shared/peers/torch/peerlib.py}): the plain files of a directory in sorted name order
 * (skipping {@code *.dat}, {@code *.u8}, symbolic links and directories), concatenated without
 * separators and decoded as UTF-8; the vocabulary is the distinct code points, sorted; the first
 * 90% of the positions are the training split, the rest validation. Training windows start at
 * {@code below(n − ctx)} of a {@link SplitMix64} stream, row by row; validation windows are fixed
 * and evenly spread, so both sides see the same batches.
 */
public final class CharCorpus {
    /** Debian's {@code fortunes} package. */
    public static final Path FORTUNES_DIR = Path.of("/usr/share/games/fortunes");
    private static final String HOW_TO_GET = "install it with `apt-get install fortunes`, or pass a directory of text files";

    private final int[] vocab;
    private final long[] train;
    private final long[] val;
    private final int files;

    private CharCorpus(int[] vocab, long[] train, long[] val, int files) {
        this.vocab = vocab;
        this.train = train;
        this.val = val;
        this.files = files;
    }

    /** The corpus of {@code dir} (e.g. {@link #FORTUNES_DIR}). */
    public static CharCorpus load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new FileNotFoundException("text corpus not found: " + dir + " is not a directory; " + HOW_TO_GET);
        }
        List<Path> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> !p.getFileName().toString().endsWith(".dat") && !p.getFileName().toString().endsWith(".u8"))
                    .forEach(names::add);
        }
        // Sorted by name as the peers' Python sorts: by code point (Java's String order differs only beyond the BMP).
        names.sort((a, b) -> Arrays.compare(a.getFileName().toString().codePoints().toArray(),
                b.getFileName().toString().codePoints().toArray()));
        if (names.isEmpty()) {
            throw new FileNotFoundException("text corpus not found: " + dir + " has no plain files; " + HOW_TO_GET);
        }
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (Path p : names) {
            all.write(Files.readAllBytes(p));
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(all.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("text corpus " + dir + " is not valid UTF-8 (" + e.getMessage() + "); the files are read as UTF-8", e);
        }
        return of(text, names.size());
    }

    /** A corpus of {@code text} (one "file"), split and indexed as {@link #load} does. */
    public static CharCorpus of(String text) {
        return of(text, 1);
    }

    private static CharCorpus of(String text, int files) {
        int[] points = text.codePoints().toArray();
        if (points.length < 2) {
            throw new IllegalArgumentException("CharCorpus: a corpus needs at least 2 characters, got " + points.length);
        }
        int[] vocab = Arrays.stream(points).distinct().sorted().toArray();
        long[] ids = new long[points.length];
        for (int i = 0; i < points.length; i++) {
            ids[i] = Arrays.binarySearch(vocab, points[i]);
        }
        int nTrain = (int) (0.9 * ids.length);
        return new CharCorpus(vocab, Arrays.copyOf(ids, nTrain), Arrays.copyOfRange(ids, nTrain, ids.length), files);
    }

    /** How many files were read. */
    public int files() {
        return files;
    }

    /** Characters in the whole corpus. */
    public int size() {
        return train.length + val.length;
    }

    public int vocabSize() {
        return vocab.length;
    }

    /** The training split's token ids (a copy). */
    public long[] train() {
        return train.clone();
    }

    /** The validation split's token ids (a copy). */
    public long[] val() {
        return val.clone();
    }

    /** The id of code point {@code c}; throws naming it when it is not in the vocabulary. */
    public long encode(int c) {
        int i = Arrays.binarySearch(vocab, c);
        if (i < 0) {
            throw new IllegalArgumentException("CharCorpus: " + Character.getName(c) + " (U+" + Integer.toHexString(c).toUpperCase()
                    + ") is not in the corpus's vocabulary of " + vocab.length + " characters");
        }
        return i;
    }

    /** The ids of {@code text}, code point by code point. */
    public long[] encode(String text) {
        return text.codePoints().mapToLong(this::encode).toArray();
    }

    /** The text of {@code ids}. */
    public String decode(long[] ids) {
        StringBuilder sb = new StringBuilder(ids.length);
        for (long id : ids) {
            if (id < 0 || id >= vocab.length) {
                throw new IllegalArgumentException("CharCorpus.decode: id " + id + " is outside the vocabulary [0, " + vocab.length + ")");
            }
            sb.appendCodePoint(vocab[(int) id]);
        }
        return sb.toString();
    }

    /** The most tokens one call of {@link #windows} or {@link #valOffsets} takes: 2^27 (1 GiB of inputs and targets as longs). */
    public static final long MAX_TOKENS = 1L << 27;

    /** Start offsets of one training batch: {@code below(train.length − ctx)} for each of {@code batch} rows. */
    public long[] trainOffsets(SplitMix64 rng, int batch, int ctx) {
        checkWindow(train.length, batch, ctx);
        long[] starts = new long[batch];
        for (int i = 0; i < batch; i++) {
            starts[i] = rng.below(train.length - ctx);
        }
        return starts;
    }

    /**
     * The fixed validation windows: {@code K = batches·batch} starts spread evenly,
     * {@code start_k = k·(n − ctx − 1) / (K − 1)}; batch b is windows {@code b·batch} to
     * {@code b·batch + batch − 1}.
     */
    public long[][] valOffsets(int batches, int batch, int ctx) {
        checkWindow(val.length, batch, ctx);
        long windows = (long) batches * batch;
        if (batches < 1 || windows < 2 || windows * ctx > MAX_TOKENS) {
            throw new IllegalArgumentException("CharCorpus.valOffsets: need 2 to " + MAX_TOKENS / ctx + " windows of " + ctx + " in all, got "
                    + batches + " batch(es) of " + batch + " (" + windows + ")");
        }
        int k = (int) windows;
        long[][] out = new long[batches][batch];
        for (int i = 0; i < k; i++) {
            out[i / batch][i % batch] = (long) i * (val.length - ctx - 1) / (k - 1);
        }
        return out;
    }

    /** Inputs and next-character targets of the windows at {@code starts}: two {@code [starts.length, ctx]} row-major arrays. */
    public static long[][] windows(long[] data, long[] starts, int ctx) {
        if (ctx < 1 || (long) starts.length * ctx > MAX_TOKENS) {
            throw new IllegalArgumentException("CharCorpus.windows: " + starts.length + " windows of " + ctx + " tokens are "
                    + (long) starts.length * ctx + " tokens; need ctx >= 1 and at most " + MAX_TOKENS + " tokens (" + MAX_TOKENS / Math.max(ctx, 1)
                    + " windows of " + ctx + ")");
        }
        long[] x = new long[starts.length * ctx];
        long[] y = new long[starts.length * ctx];
        for (int r = 0; r < starts.length; r++) {
            if (starts[r] < 0 || starts[r] + ctx + 1 > data.length) {
                throw new IllegalArgumentException("CharCorpus.windows: a window of " + (ctx + 1) + " at " + starts[r]
                        + " does not fit " + data.length + " tokens");
            }
            System.arraycopy(data, (int) starts[r], x, r * ctx, ctx);
            System.arraycopy(data, (int) starts[r] + 1, y, r * ctx, ctx);
        }
        return new long[][] {x, y};
    }

    private static void checkWindow(int n, int batch, int ctx) {
        if (batch < 1 || ctx < 1 || n < ctx + 2) {
            throw new IllegalArgumentException("CharCorpus: windows of " + ctx + " (+1) characters in batches of " + batch
                    + " need batch ≥ 1, ctx ≥ 1 and a split longer than ctx + 1; the split has " + n + " characters");
        }
    }

    @Override
    public String toString() {
        return "CharCorpus(" + files + " files, " + size() + " characters, vocabulary " + vocab.length + ", train " + train.length
                + ", val " + val.length + ")";
    }
}
