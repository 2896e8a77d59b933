package dev.fathom.cli;

import dev.fathom.Fathom;
import dev.fathom.io.Checkpoint;
import dev.fathom.models.CharLmFixtures;
import dev.fathom.models.Mlp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code fathom train charlm} and {@code fathom sample} end to end on a small text directory (the reference model sizes, tiny runs). */
class CharLmCommandTest extends CommandLineTest {
    /** Each run's output alone: the streams are cleared first. */
    @Override
    int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return super.run(args);
    }

    private static Path corpus(Path dir) throws IOException {
        Path data = Files.createDirectories(dir.resolve("text"));
        String text = CharLmFixtures.text2000();
        Files.writeString(data.resolve("a"), text);
        Files.writeString(data.resolve("b"), text.substring(0, 1000));  // val split: the last 300 characters
        return data;
    }

    @Test
    void trainWritesItsFilesAndSampleContinuesThePromptReproducibly(@TempDir Path dir) throws IOException {
        Path data = corpus(dir);
        Path runDir = dir.resolve("run");
        assertEquals(0, run("train", "charlm", "--arch", "gpt", "--steps", "2", "--eval-every", "1", "--batch", "2", "--device", "cpu", "--data",
                data.toString(), "--out", runDir.toString()), err.toString());
        String o = out.toString();
        assertTrue(o.contains("model: Gpt(vocab ") && o.contains(" parameters"), o);
        assertTrue(o.contains("val_loss step 0 ") && o.contains("tokens/s (median step"), o);
        List<String> rows = Files.readAllLines(runDir.resolve("metrics.jsonl"));
        assertEquals(3, rows.size(), rows.toString());
        assertTrue(rows.get(2).contains("\"val_loss\"") && rows.get(2).contains("\"tokens_per_s\""), rows.get(2));
        assertTrue(Files.size(runDir.resolve("learning_curves.png")) > 0);
        Path ckpt = runDir.resolve("checkpoint.safetensors");

        assertEquals(0, run("sample", ckpt.toString(), "--prompt", "Fathom ", "--tokens", "40", "--seed", "3", "--device", "cpu"), err.toString());
        String first = out.toString().strip();
        assertTrue(first.startsWith("Fathom ") && first.codePointCount(0, first.length()) >= 7 + 30, first);
        assertEquals(0, run("sample", ckpt.toString(), "--prompt", "Fathom ", "--tokens", "40", "--seed", "3", "--device", "cpu"));
        assertEquals(first, out.toString().strip(), "the same seed gives the same text");
        assertEquals(0, run("sample", ckpt.toString(), "--prompt", "Fathom ", "--tokens", "40", "--seed", "4", "--device", "cpu"));
        assertNotEquals(first, out.toString().strip());

        assertEquals(1, run("sample", ckpt.toString(), "--prompt", "Fathom ∑", "--device", "cpu"));
        assertTrue(err.toString().contains("'∑' (U+2211 N-ARY SUMMATION) is not in the model's vocabulary; it has"), err.toString());
        assertEquals(1, run("sample", ckpt.toString(), "--prompt", "F", "--grid", dir.resolve("g.png").toString(), "--device", "cpu"));
        assertTrue(err.toString().contains("--grid is for dcgan checkpoints"), err.toString());
        assertEquals(1, run("sample", ckpt.toString(), "--prompt", "F", "--judge", ckpt.toString(), "--device", "cpu"));
        assertTrue(err.toString().contains("--judge is for dcgan checkpoints; " + ckpt + " holds a charlm model"), err.toString());
        assertEquals(1, run("sample", ckpt.toString(), "--device", "cpu"));
        assertTrue(err.toString().contains("give --prompt"), err.toString());
        assertEquals(1, run("sample", ckpt.toString(), "--prompt", "F", "--temperature", "0", "--device", "cpu"));
        assertTrue(err.toString().contains("--temperature > 0"), err.toString());
    }

    @Test
    void theLstmTrainsToo(@TempDir Path dir) throws IOException {
        Path runDir = dir.resolve("run");
        assertEquals(0, run("train", "charlm", "--arch", "lstm", "--steps", "1", "--batch", "1", "--device", "cpu", "--data", corpus(dir).toString(),
                "--out", runDir.toString()), err.toString());
        assertTrue(out.toString().contains("LstmLM(vocab "), out.toString());
        assertEquals(2, Files.readAllLines(runDir.resolve("metrics.jsonl")).size());
        assertEquals(0, run("sample", runDir.resolve("checkpoint.safetensors").toString(), "--prompt", "The", "--tokens", "5", "--top-k", "1",
                "--device", "cpu"), err.toString());
    }

    @Test
    void aStoppedRunResumesToTheSameNumbers(@TempDir Path dir) throws IOException {
        Path data = corpus(dir), straight = dir.resolve("straight"), split = dir.resolve("split");
        String[] common = {"--eval-every", "2", "--batch", "2", "--seed", "3", "--device", "cpu", "--data", data.toString()};
        assertEquals(0, run(cat(new String[] {"train", "charlm", "--arch", "lstm", "--steps", "4", "--out", straight.toString()}, common)),
                err.toString());
        assertEquals(0, run(cat(new String[] {"train", "charlm", "--arch", "lstm", "--steps", "2", "--out", split.toString()}, common)),
                err.toString());
        Path ckpt = split.resolve("checkpoint.safetensors");
        // The arch, seed and batch come from the checkpoint.
        assertEquals(0, run("train", "charlm", "--resume", ckpt.toString(), "--steps", "4", "--eval-every", "2", "--device", "cpu",
                "--data", data.toString()), err.toString());
        assertTrue(out.toString().contains("--arch lstm") && out.toString().contains("lr from the checkpoint, seed 3")
                && out.toString().contains("(median step ") && out.toString().contains(" over steps 3..4)"), out.toString());
        List<String> a = Files.readAllLines(straight.resolve("metrics.jsonl")), b = Files.readAllLines(split.resolve("metrics.jsonl"));
        assertEquals(5, b.size(), b.toString());
        for (int step = 0; step <= 4; step += 2) {
            assertEquals(valLoss(a.get(step)), valLoss(b.get(step)), "val_loss at step " + step);
        }
        assertTrue(!valLoss(b.get(4)).equals("none"), b.get(4));

        assertEquals(1, run("train", "charlm", "--resume", ckpt.toString(), "--steps", "6", "--batch", "4", "--device", "cpu",
                "--data", data.toString()));
        assertTrue(err.toString().contains("was trained with seed 3 and batch 2; resume with the same (got seed 3, batch 4)"), err.toString());
        assertEquals(1, run("train", "charlm", "--resume", ckpt.toString(), "--arch", "gpt", "--device", "cpu", "--data", data.toString()));
        assertTrue(err.toString().contains("is a lstm run, not --arch gpt; leave --arch out to resume"), err.toString());
        assertEquals(1, run("train", "charlm", "--resume", ckpt.toString(), "--lr", "0.1", "--device", "cpu", "--data", data.toString()));
        assertTrue(err.toString().contains("with its own learning rate; leave --lr out"), err.toString());
        Path mlp = dir.resolve("mlp.safetensors");
        try (Mlp m = new Mlp(2, 2)) {
            new Checkpoint().section("model", m).put("model", "mlp").save(mlp);
        }
        assertEquals(1, run("train", "charlm", "--resume", mlp.toString(), "--device", "cpu", "--data", data.toString()));
        assertTrue(err.toString().contains("holds a \"mlp\" model; --resume continues a char-LM run"), err.toString());
    }

    /** A metrics row's val_loss as logged, or "none". */
    private static String valLoss(String row) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"val_loss\":([^,}]+)").matcher(row);
        return m.find() ? m.group(1) : "none";
    }

    private static String[] cat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void sampleOfAnotherModelPointsToTheGrid(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("mlp.safetensors");
        try (Mlp m = new Mlp(2, 2)) {
            new Checkpoint().section("model", m).put("model", "mlp").save(ckpt);
        }
        assertEquals(1, run("sample", ckpt.toString(), "--prompt", "x", "--device", "cpu"));
        assertTrue(err.toString().contains("holds a \"mlp\" model") && err.toString().contains("--grid is for dcgan checkpoints"), err.toString());
    }

    @Test
    void badArgumentsSayWhatIsWrongAndTrainMlpStillParses(@TempDir Path dir) throws IOException {
        assertEquals(2, run("train", "charlm", "--steps", "1"));
        assertTrue(err.toString().contains("--arch"), err.toString());
        assertEquals(2, run("train", "charlm", "--arch", "rnn"));
        assertEquals(1, run("train", "charlm", "--arch", "gpt", "--steps", "0", "--device", "cpu"));
        assertTrue(err.toString().contains("need --steps >= 1"), err.toString());
        assertEquals(1, run("train", "charlm", "--arch", "lstm", "--tie-weights", "--device", "cpu"));
        assertTrue(err.toString().contains("--tie-weights is for --arch gpt"), err.toString());
        assertEquals(1, run("train", "charlm", "--arch", "gpt", "--device", "cpu", "--data", dir.resolve("none").toString()));
        assertTrue(err.toString().contains("apt-get install fortunes"), err.toString());
        assertEquals(2, run("train"));
        assertTrue(err.toString().contains("Missing required parameter: 'MODEL'"), err.toString());
        Path data = corpus(dir);
        for (String batch : new String[] {"107374183", "1000000", "4097"}) {   // int overflow at 107374183·20; out of memory at 1,000,000
            assertEquals(1, run("train", "charlm", "--arch", "gpt", "--steps", "1", "--batch", batch, "--device", "cpu", "--data", data.toString(),
                    "--out", dir.resolve("run").toString()));
            assertTrue(err.toString().contains("--batch " + batch + " is more than 4096 windows of 128 characters a step"), err.toString());
        }
        assertTrue(!Files.exists(dir.resolve("run")), "a refused run writes nothing");
        assertEquals(0, run("train", "mlp", "--help"));
        assertTrue(out.toString().contains("Usage: fathom train"), out.toString());
    }

    @Test
    void theRunDirectoryIsCheckedFirstAndAFailedRunLeavesNothing(@TempDir Path dir) throws IOException {
        Path data = corpus(dir);
        Path done = dir.resolve("done");
        assertEquals(0, run("train", "charlm", "--arch", "gpt", "--steps", "1", "--batch", "1", "--device", "cpu", "--data", data.toString(),
                "--out", done.toString()), err.toString());
        List<String> before = Files.list(done).map(p -> p.getFileName().toString()).sorted().toList();

        // Another run's directory is not overwritten; an empty --out, or one that cannot be made, is refused before any work.
        assertEquals(1, run("train", "charlm", "--arch", "lstm", "--steps", "1", "--batch", "1", "--device", "cpu", "--data", data.toString(),
                "--out", done.toString()));
        assertTrue(err.toString().contains("run directory " + done + " already holds a run (checkpoint.safetensors, learning_curves.png, "
                + "metrics.jsonl); pass a new --out"), err.toString());
        assertEquals(before, Files.list(done).map(p -> p.getFileName().toString()).sorted().toList(), "the earlier run is untouched");
        assertEquals(1, run("train", "charlm", "--arch", "gpt", "--steps", "1", "--device", "cpu", "--data", data.toString(), "--out", ""));
        assertTrue(err.toString().contains("--out is empty; pass a directory"), err.toString());
        Path locked = Files.createDirectories(dir.resolve("locked"));
        assertTrue(locked.toFile().setWritable(false));
        try {
            if (!Files.isWritable(locked)) {   // root may write anywhere
                assertEquals(1, run("train", "charlm", "--arch", "gpt", "--steps", "1", "--device", "cpu", "--data", data.toString(),
                        "--out", locked.resolve("run").toString()));
                assertTrue(err.toString().contains("cannot create the run directory " + locked.resolve("run")), err.toString());
            }
        } finally {
            locked.toFile().setWritable(true);
        }

        // A run that diverges (a huge learning rate: the first step's loss is finite, the validation after it is not) removes what it wrote.
        Path diverged = dir.resolve("diverged");
        assertEquals(1, run("train", "charlm", "--arch", "gpt", "--steps", "3", "--eval-every", "1", "--batch", "1", "--lr", "1e30",
                "--device", "cpu", "--data", data.toString(), "--out", diverged.toString()));
        assertTrue(err.toString().contains("training diverged: "), err.toString());
        assertTrue(!Files.exists(diverged), "no partial run: " + err);
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertEquals(1, run("train", "charlm", "--arch", "gpt", "--steps", "3", "--eval-every", "1", "--batch", "1", "--lr", "1e30",
                "--device", "cpu", "--data", data.toString(), "--out", empty.toString()));
        assertEquals(List.of(), Files.list(empty).toList(), "an empty directory given is emptied again, and stays");
    }
}
