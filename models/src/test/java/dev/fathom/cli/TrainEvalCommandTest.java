package dev.fathom.cli;

import dev.fathom.data.FashionMnist;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fathom train} and {@code fathom eval} end to end on Fashion-MNIST (skipped, with the
 * reason, when Debian's dataset-fashion-mnist is not installed): the reference MLP reaches 80%
 * test accuracy in one epoch, a run writes its files, resumes, and evaluates.
 */
class TrainEvalCommandTest extends CommandLineTest {
    @BeforeAll
    static void needsData() {
        Assumptions.assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    }

    private static double lastValAcc(String output) {
        Matcher m = Pattern.compile("val_acc (\\d\\.\\d+)").matcher(output);
        double v = Double.NaN;
        while (m.find()) {
            v = Double.parseDouble(m.group(1));
        }
        return v;
    }

    @Test
    void theReferenceMlpReaches80PercentInOneEpoch(@TempDir Path dir) throws Exception {
        assertEquals(0, run("train", "mlp", "--epochs", "1", "--device", "cpu", "--out", dir.toString()), err.toString());
        double acc = lastValAcc(out.toString());
        assertTrue(acc >= 0.80, "test accuracy after one epoch: " + acc + "\n" + out);
        List<String> log = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertEquals(1, log.size());
        for (String f : new String[] {"learning_curves.png", "checkpoint.safetensors", "best.safetensors"}) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
        assertTrue(out.toString().contains("wrote " + dir + " (best.safetensors, checkpoint.safetensors, learning_curves.png, metrics.jsonl)"),
                "the closing line lists what the run directory holds: " + out);
    }

    @Test
    void aRunResumesFromItsCheckpointAndEvaluates(@TempDir Path dir) throws Exception {
        assertEquals(0, run("train", "cnn", "--epochs", "1", "--limit", "512", "--batch", "64", "--device", "cpu", "--out", dir.toString()),
                err.toString());
        assertEquals(0, run("train", "cnn", "--epochs", "2", "--limit", "512", "--batch", "64", "--device", "cpu", "--resume",
                dir.resolve("checkpoint.safetensors").toString()), err.toString());
        assertTrue(out.toString().contains("resumed from") && out.toString().contains("after epoch 1"), out.toString());
        assertEquals(2, Files.readAllLines(dir.resolve("metrics.jsonl")).size(), "the resumed run appends its epoch");
        out.getBuffer().setLength(0);
        assertEquals(0, run("eval", dir.resolve("checkpoint.safetensors").toString(), "--device", "cpu"), err.toString());
        String o = out.toString();
        assertTrue(o.contains("(cnn, epoch 2)") && o.contains("accuracy") && o.contains("on 10000 images"), o);
        assertTrue(o.contains("Sneaker"), "per-class report and confusion matrix name the classes: " + o);
    }

    private static List<Long> epochs(Path metrics) throws java.io.IOException {
        return Files.readAllLines(metrics).stream().map(l -> Long.parseLong(l.replaceAll("^\\{\"epoch\":(\\d+),.*", "$1"))).toList();
    }

    @Test
    void resumingFromAnEarlierCheckpointReplacesTheLaterEpochsAndSaysSo(@TempDir Path dir) throws Exception {
        String[] common = {"--limit", "256", "--device", "cpu", "--out", dir.toString()};
        assertEquals(0, run(cat(new String[] {"train", "mlp", "--epochs", "1"}, common)), err.toString());
        Path epoch1 = dir.resolve("epoch1.safetensors");
        Files.copy(dir.resolve("checkpoint.safetensors"), epoch1);
        assertEquals(0, run(cat(new String[] {"train", "mlp", "--epochs", "3", "--resume", dir.resolve("checkpoint.safetensors").toString()}, common)),
                err.toString());
        assertEquals(List.of(1L, 2L, 3L), epochs(dir.resolve("metrics.jsonl")));
        assertTrue(!out.toString().contains("replaces"), "continuing from the last checkpoint replaces nothing: " + out);
        out.getBuffer().setLength(0);
        assertEquals(0, run(cat(new String[] {"train", "mlp", "--epochs", "2", "--resume", epoch1.toString()}, common)), err.toString());
        assertEquals(List.of(1L, 2L), epochs(dir.resolve("metrics.jsonl")), "epochs 2 and 3 of the first timeline are gone, epoch 2 logged once");
        String o = out.toString();
        assertTrue(o.contains("this run continues from epoch 1 and replaces the rows of epochs 2..3 in " + dir.resolve("metrics.jsonl")
                + " and " + dir.resolve("checkpoint.safetensors") + " (epoch 3)\n"), o);
        assertEquals("2", dev.fathom.io.Checkpoint.peek(dir.resolve("checkpoint.safetensors")).get("epoch"));
    }

    private static double loggedLr(Path metrics, int epoch) throws java.io.IOException {
        String row = Files.readAllLines(metrics).get(epoch - 1);
        Matcher m = Pattern.compile("\"lr\":([0-9.eE-]+)").matcher(row);
        assertTrue(m.find(), row);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void anExplicitLrReplacesTheCheckpointsOnResumeAndTheOneInEffectIsPrinted(@TempDir Path dir) throws Exception {
        String[] common = {"--optimizer", "sgd", "--limit", "256", "--device", "cpu", "--out", dir.toString()};
        Path ckpt = dir.resolve("checkpoint.safetensors");
        assertEquals(0, run(cat(new String[] {"train", "mlp", "--epochs", "1", "--lr", "0.1"}, common)), err.toString());
        assertEquals(0.1, loggedLr(dir.resolve("metrics.jsonl"), 1));
        out.getBuffer().setLength(0);
        assertEquals(0, run(cat(new String[] {"train", "mlp", "--epochs", "2", "--resume", ckpt.toString()}, common)), err.toString());
        assertTrue(out.toString().contains("sgd lr from the checkpoint") && out.toString().contains("after epoch 1, lr 0.1\n"), out.toString());
        assertEquals(0.1, loggedLr(dir.resolve("metrics.jsonl"), 2), "without --lr the checkpoint's learning rate goes on");
        out.getBuffer().setLength(0);
        assertEquals(0, run(cat(new String[] {"train", "mlp", "--epochs", "3", "--lr", "0.025", "--resume", ckpt.toString()}, common)), err.toString());
        assertTrue(out.toString().contains("sgd lr 0.025,") && out.toString().contains("after epoch 2, lr 0.025 (--lr; the checkpoint's was 0.1)"),
                out.toString());
        assertEquals(0.025, loggedLr(dir.resolve("metrics.jsonl"), 3), "the epoch after the resume trains at --lr");
    }

    private static String[] cat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void aRunThatDivergesInItsFirstEpochLeavesNoFiles(@TempDir Path dir) {
        Path runDir = dir.resolve("nan1");
        assertEquals(1, run("train", "mlp", "--lr", "1e6", "--optimizer", "sgd", "--limit", "1024", "--device", "cpu", "--out", runDir.toString()));
        assertTrue(err.toString().contains("training diverged: cross_entropy is ") && err.toString().contains("at epoch 1, step "), err.toString());
        assertTrue(!Files.exists(runDir), "no run directory, no empty metrics.jsonl");
    }

    @Test
    void aResumeKeepsTheRunsBatchLimitAndSeed(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole"), parted = dir.resolve("parted");
        String[] settings = {"--limit", "300", "--batch", "32", "--seed", "4", "--device", "cpu"};
        assertEquals(0, run(cat(new String[] {"train", "mlp", "--epochs", "2", "--out", whole.toString()}, settings)), err.toString());
        assertEquals(0, run(cat(new String[] {"train", "mlp", "--epochs", "1", "--out", parted.toString()}, settings)), err.toString());
        Path ckpt = parted.resolve("checkpoint.safetensors");
        assertEquals(0, run("train", "mlp", "--epochs", "2", "--device", "cpu", "--resume", ckpt.toString()), err.toString());
        assertTrue(out.toString().contains("300 training / 10000 test images, batch 32") && out.toString().contains("seed 4"), out.toString());
        assertArrayEquals(Files.readAllBytes(whole.resolve("checkpoint.safetensors")), Files.readAllBytes(ckpt),
                "the resumed run trains on the same 300 images in the same batches as the one that never stopped");
        for (String[] other : new String[][] {{"--batch", "64"}, {"--limit", "500"}, {"--seed", "5"}}) {
            assertEquals(1, run(cat(new String[] {"train", "mlp", "--epochs", "3", "--device", "cpu", "--resume", ckpt.toString()}, other)));
            assertTrue(err.toString().contains(ckpt + " was trained with " + other[0] + " " + (other[0].equals("--batch") ? 32 : other[0].equals("--limit")
                    ? 300 : 4) + "; resume with the same, or leave " + other[0] + " out (got " + other[1] + ")"), err.toString());
        }
    }

    @Test
    void resumingWithAnotherModelIsRefused(@TempDir Path dir) {
        assertEquals(0, run("train", "mlp", "--epochs", "1", "--limit", "256", "--device", "cpu", "--out", dir.toString()), err.toString());
        assertEquals(1, run("train", "cnn", "--resume", dir.resolve("checkpoint.safetensors").toString()));
        assertTrue(err.toString().contains("holds a \"mlp\" model, not \"cnn\""), err.toString());
        Path ckpt = dir.resolve("checkpoint.safetensors");
        assertEquals(1, run("train", "mlp", "--epochs", "2", "--optimizer", "sgd", "--resume", ckpt.toString()));
        assertTrue(err.toString().contains(ckpt + " was trained with --optimizer adam, whose state it holds; resume with --optimizer adam (got sgd)"),
                err.toString());
        assertEquals(1, run("train", "mlp", "--epochs", "1", "--limit", "256", "--device", "cpu", "--out", dir.toString()));
        assertTrue(err.toString().contains("run directory " + dir + " already holds a run (") && err.toString().contains(
                "pass a new --out, or continue that run with --resume " + ckpt), err.toString());
    }
}
