package dev.fathom.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fathom.Fathom;
import dev.fathom.LiveBuffers;
import dev.fathom.autograd.Autograd;
import dev.fathom.data.FashionMnist;
import dev.fathom.io.Checkpoint;
import dev.fathom.metrics.GanScore;
import dev.fathom.models.DcganGenerator;
import dev.fathom.models.Zoo;
import dev.fathom.nn.Module;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.train.GanCheckpoint;
import dev.fathom.train.GanTraining;
import dev.fathom.train.TrainingCheckpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fathom train dcgan} and the DCGAN part of {@code fathom sample} end to end on a small
 * synthetic Fashion-MNIST (random pixels in IDX files, so it runs without the dataset): the run's
 * files, a checkpoint → grid round trip, the judge, and bad inputs.
 */
class DcganCommandTest extends CommandLineTest {
    @TempDir
    static Path shared;
    static Path data;
    static Path run;
    static Path cnn;


    /** Writes {@code n} random 28×28 images and labels {@code i mod 10} as IDX files {@code prefix-*-idx?-ubyte}. */
    static void writeIdx(Path dir, String prefix, int n, long seed) throws IOException {
        byte[] px = new byte[n * 784];
        new SplittableRandom(seed).nextBytes(px);
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(dir.resolve(prefix + "-images-idx3-ubyte")))) {
            o.writeInt(0x803);
            o.writeInt(n);
            o.writeInt(28);
            o.writeInt(28);
            o.write(px);
        }
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(dir.resolve(prefix + "-labels-idx1-ubyte")))) {
            o.writeInt(0x801);
            o.writeInt(n);
            for (int i = 0; i < n; i++) {
                o.writeByte(i % 10);
            }
        }
    }

    @BeforeAll
    static void trainOnce() throws IOException {
        data = Files.createDirectories(shared.resolve("data"));
        writeIdx(data, "train", 96, 1);
        writeIdx(data, "t10k", 40, 2);
        run = shared.resolve("run");
        cnn = shared.resolve("cnn");
        StringWriter o = new StringWriter(), e = new StringWriter();
        int rc = Main.execute(new PrintWriter(o, true), new PrintWriter(e, true), "train", "dcgan", "--steps", "3", "--batch", "8",
                "--sample-every", "2", "--device", "cpu", "--data", data.toString(), "--out", run.toString());
        assertEquals(0, rc, o + "\n" + e);
        assertTrue(o.toString().contains("generator: 552,513 parameters, discriminator: 138,817 parameters"), o.toString());
        rc = Main.execute(new PrintWriter(o, true), new PrintWriter(e, true), "train", "cnn", "--epochs", "1", "--batch", "32", "--device",
                "cpu", "--data", data.toString(), "--out", cnn.toString());
        assertEquals(0, rc, "`fathom train` with a zoo model still works next to its subcommand: " + o + "\n" + e);
        Fathom.setDefaultDevice(null);
    }

    @Test
    void aRunWritesMetricsGridsAndACheckpoint() throws Exception {
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(3, lines.size());
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < 3; i++) {
            Map<?, ?> row = json.readValue(lines.get(i), Map.class);
            assertEquals(List.of("step", "d_loss", "g_loss", "steps_per_s"), List.copyOf(row.keySet().stream().map(Object::toString).toList()));
            assertEquals(i + 1, ((Number) row.get("step")).intValue());
            double d = ((Number) row.get("d_loss")).doubleValue(), g = ((Number) row.get("g_loss")).doubleValue();
            assertTrue(d > 0 && g > 0 && ((Number) row.get("steps_per_s")).doubleValue() > 0, lines.get(i));
        }
        // First D loss ≈ 2·ln 2 (D barely separates at init): a sanity check of the BCE sum, not a tight bound.
        double d1 = ((Number) json.readValue(lines.get(0), Map.class).get("d_loss")).doubleValue();
        assertTrue(Math.abs(d1 - 2 * Math.log(2)) < 0.5, "step-1 d_loss " + d1);
        for (String f : new String[] {"samples/step-000002.png", "samples/step-000003.png", "samples.png"}) {
            BufferedImage img = ImageIO.read(run.resolve(f).toFile());
            assertEquals(8 * 30 + 2, img.getWidth(), f);
            assertEquals(8 * 30 + 2, img.getHeight(), f);
        }
        assertArrayEquals(Files.readAllBytes(run.resolve("samples/step-000003.png")), Files.readAllBytes(run.resolve("samples.png")));
        assertFalse(Arrays.equals(Files.readAllBytes(run.resolve("samples/step-000002.png")), Files.readAllBytes(run.resolve("samples.png"))),
                "the generator changed between steps 2 and 3");
        assertTrue(Files.size(run.resolve("learning_curves.png")) > 0);
        Map<String, String> meta = Checkpoint.peek(run.resolve("checkpoint.safetensors"));
        assertEquals("dcgan", meta.get("model"));
        assertEquals("3", meta.get("step"));
        assertEquals("1", meta.get("grid_seed"));
        // Every section is there: both nets, both optimizers, the noise position.
        try (DcganGenerator g = new DcganGenerator()) {
            assertEquals("3", GanCheckpoint.loadGenerator(run.resolve("checkpoint.safetensors"), g).get("step"));
        }
        String sections = dev.fathom.io.SafeTensors.metadata(run.resolve("checkpoint.safetensors")).get(Checkpoint.SECTIONS_KEY);
        assertEquals("generator,discriminator,optimizer_g,optimizer_d,noise,rng", sections);
    }

    @Test
    void theCheckpointRedrawsTheLastGridAndSeedsAreReproducible(@TempDir Path dir) throws Exception {
        Path ckpt = run.resolve("checkpoint.safetensors");
        PrintWriter w = new PrintWriter(out, true);
        assertEquals(null, GanSampling.sample(ckpt, dir.resolve("again.png"), null, null, w));
        assertArrayEquals(Files.readAllBytes(run.resolve("samples.png")), Files.readAllBytes(dir.resolve("again.png")),
                "without a seed, the grid is the run's last one");
        GanSampling.sample(ckpt, dir.resolve("a.png"), 7L, null, w);
        GanSampling.sample(ckpt, dir.resolve("b.png"), 7L, null, w);
        GanSampling.sample(ckpt, dir.resolve("c.png"), 8L, null, w);
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.png")), Files.readAllBytes(dir.resolve("b.png")));
        assertFalse(Arrays.equals(Files.readAllBytes(dir.resolve("a.png")), Files.readAllBytes(dir.resolve("c.png"))));
        assertTrue(out.toString().contains("seed 7"), out.toString());
    }

    /** {@code fathom sample CKPT --grid PNG [--seed S] [--judge CNN]} is GanSampling behind the command line. */
    @Test
    void sampleDrawsTheGridFromTheCommandLine(@TempDir Path dir) throws Exception {
        Path ckpt = run.resolve("checkpoint.safetensors");
        assertEquals(0, run("sample", ckpt.toString(), "--grid", dir.resolve("cli.png").toString(), "--device", "cpu"), err.toString());
        assertArrayEquals(Files.readAllBytes(run.resolve("samples.png")), Files.readAllBytes(dir.resolve("cli.png")));
        assertEquals(0, run("sample", ckpt.toString(), "--grid", dir.resolve("s7.png").toString(), "--seed", "7", "--judge",
                cnn.resolve("checkpoint.safetensors").toString(), "--device", "cpu"), err.toString());
        GanSampling.sample(ckpt, dir.resolve("direct7.png"), 7L, null, new PrintWriter(new StringWriter()));
        assertArrayEquals(Files.readAllBytes(dir.resolve("direct7.png")), Files.readAllBytes(dir.resolve("s7.png")));
        assertTrue(out.toString().contains("classes covered"), out.toString());
        assertEquals(1, run("sample", ckpt.toString(), "--prompt", "x", "--device", "cpu"));
        assertTrue(err.toString().contains("holds a dcgan model: draw images with --grid PNG"), err.toString());
    }

    /** The judge's score equals GanScore of probabilities computed here in one batch (it works in chunks). */
    @Test
    void theJudgeClassifiesGeneratedSamples(@TempDir Path dir) throws Exception {
        Path ckpt = run.resolve("checkpoint.safetensors"), judge = cnn.resolve("checkpoint.safetensors");
        GanScore s = GanSampling.sample(ckpt, dir.resolve("g.png"), 5L, judge, new PrintWriter(out, true));
        assertEquals(GanSampling.JUDGE_SAMPLES, s.samples());
        assertEquals(GanSampling.JUDGE_SAMPLES, Arrays.stream(s.classCounts()).sum());
        double[] probs;
        try (DcganGenerator g = new DcganGenerator(); Module c = Zoo.CNN.create(); Scope sc = Scope.open(); var grad = Autograd.noGrad()) {
            GanCheckpoint.loadGenerator(ckpt, g);
            TrainingCheckpoint.loadModel(judge, c);
            g.eval();
            c.eval();
            Tensor x = g.forward(Tensor.randn(new Generator(5), DType.F32, GanSampling.JUDGE_SAMPLES, 64));
            probs = c.forward(x.add(1).div(2)).softmax(1).to(DType.F64).toDoubleArray();
        }
        GanScore expected = GanScore.of(probs, FashionMnist.CLASSES);
        assertEquals(expected.meanConfidence(), s.meanConfidence(), 1e-4);
        assertEquals(expected.inceptionScore(), s.inceptionScore(), 1e-3);
        assertArrayEquals(expected.classCounts(), s.classCounts());
        assertTrue(out.toString().contains("mean top-class confidence") && out.toString().contains("classes covered"), out.toString());
    }

    @Test
    void badInputsAreRefused(@TempDir Path dir) {
        assertEquals(1, run("train", "dcgan", "--steps", "0", "--device", "cpu", "--data", data.toString(), "--out", dir.toString()));
        assertTrue(err.toString().contains("--steps >= 1"), err.toString());
        assertEquals(1, run("train", "dcgan", "--steps", "1", "--batch", "500", "--device", "cpu", "--data", data.toString(), "--out",
                dir.toString()));
        assertTrue(err.toString().contains("96 images do not fill one batch of 500"), err.toString());
        Path b1 = dir.resolve("b1");
        assertEquals(1, run("train", "dcgan", "--steps", "1", "--batch", "1", "--device", "cpu", "--data", data.toString(), "--out", b1.toString()));
        assertTrue(err.toString().contains("need --steps >= 1, --batch >= 2 (batch norm's statistics need two images)") && err.toString().contains("got 1, 1, "),
                err.toString());
        assertFalse(Files.exists(b1), "a refused run leaves no run directory (no empty metrics.jsonl, no samples/)");
        assertEquals(2, run("train"));
        assertTrue(err.toString().contains("Missing required parameter: 'MODEL'"), err.toString());
        Path cnnCkpt = cnn.resolve("checkpoint.safetensors"), ganCkpt = run.resolve("checkpoint.safetensors");
        PrintWriter w = new PrintWriter(out, true);
        IllegalArgumentException notGan = assertThrows(IllegalArgumentException.class,
                () -> GanSampling.sample(cnnCkpt, dir.resolve("x.png"), 0L, null, w));
        assertTrue(notGan.getMessage().contains("holds a \"cnn\" model, not a \"dcgan\" generator"), notGan.getMessage());
        IllegalArgumentException notJudge = assertThrows(IllegalArgumentException.class,
                () -> GanSampling.sample(ganCkpt, dir.resolve("y.png"), 0L, ganCkpt, w));
        assertTrue(notJudge.getMessage().contains("not a Fashion-MNIST classifier"), notJudge.getMessage());
        assertThrows(IOException.class, () -> GanSampling.sample(dir.resolve("missing.safetensors"), dir.resolve("z.png"), 0L, null, w));
    }

    @Test
    void aResumedRunEndsBitIdenticalToOneThatNeverStopped(@TempDir Path dir) throws IOException {
        // 96 images in batches of 40: two batches an epoch, so the resumed run starts partway into epoch 1.
        Path whole = dir.resolve("whole"), parted = dir.resolve("parted");
        String[] common = {"--batch", "40", "--sample-every", "0", "--seed", "5", "--device", "cpu", "--data", data.toString()};
        assertEquals(0, run(concat(new String[] {"train", "dcgan", "--steps", "5", "--out", whole.toString()}, common)), err.toString());
        assertEquals(0, run(concat(new String[] {"train", "dcgan", "--steps", "3", "--out", parted.toString()}, common)), err.toString());
        Path ckpt = parted.resolve("checkpoint.safetensors");
        assertEquals(0, run("train", "dcgan", "--resume", ckpt.toString(), "--steps", "5", "--device", "cpu", "--data", data.toString()),
                err.toString());
        assertTrue(out.toString().contains("resumed after step 3") && out.toString().contains("seed 5"), out.toString());
        assertArrayEquals(Files.readAllBytes(whole.resolve("checkpoint.safetensors")), Files.readAllBytes(ckpt),
                "nets, optimizers and generators after step 5");
        assertArrayEquals(Files.readAllBytes(whole.resolve("samples.png")), Files.readAllBytes(parted.resolve("samples.png")));
        assertEquals(losses(whole), losses(parted));
        // What cannot be continued is refused, naming why.
        assertEquals(1, run("train", "dcgan", "--resume", ckpt.toString(), "--steps", "5", "--device", "cpu", "--data", data.toString()));
        assertTrue(err.toString().contains("is at step 5 already"), err.toString());
        assertEquals(1, run("train", "dcgan", "--resume", ckpt.toString(), "--steps", "6", "--seed", "6", "--device", "cpu", "--data",
                data.toString()));
        assertTrue(err.toString().contains("was trained with seed 5 and batch 40; resume with the same (got seed 6, batch 40)"), err.toString());
        assertEquals(1, run("train", "dcgan", "--resume", cnn.resolve("checkpoint.safetensors").toString(), "--steps", "6", "--device", "cpu",
                "--data", data.toString()));
        assertTrue(err.toString().contains("holds a \"cnn\" model; --resume continues a DCGAN run"), err.toString());
        assertEquals(1, run("train", "dcgan", "--steps", "6", "--device", "cpu", "--data", data.toString(), "--out", whole.toString()));
        assertTrue(err.toString().contains("or continue that run with --resume " + whole.resolve("checkpoint.safetensors")), err.toString());
    }

    /** Each metrics row's step and losses (not its speed). */
    private static List<String> losses(Path runDir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> out = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            Map<?, ?> row = json.readValue(line, Map.class);
            out.add(row.get("step") + " " + row.get("d_loss") + " " + row.get("g_loss"));
        }
        return out;
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aRunLeaksNothing(@TempDir Path dir) throws IOException {
        var images = FashionMnist.load(data).train().reshape(FashionMnist.IMAGE_SHAPE);
        long before = LiveBuffers.settled();
        GanTraining.Result r = GanTraining.run(images, new GanTraining.Config(2, 8, 0, 3, dir), new PrintWriter(new StringWriter()));
        assertEquals(before, LiveBuffers.now(), "live buffers after a run");
        assertEquals(2, r.steps());
        assertTrue(Files.exists(r.grid()) && Files.exists(r.checkpoint()));
    }
}
