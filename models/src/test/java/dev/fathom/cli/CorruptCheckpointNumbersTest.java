package dev.fathom.cli;

import dev.fathom.Fathom;
import dev.fathom.io.Checkpoint;
import dev.fathom.io.SafeTensors;
import dev.fathom.models.Dcgan;
import dev.fathom.models.Mlp;
import dev.fathom.optim.Adam;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.train.CharLmCheckpoint;
import dev.fathom.train.GanCheckpoint;
import dev.fathom.train.TrainingCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoint metadata numbers that are not numbers, or out of range, are refused with the file,
 * the key and the value ("corrupt checkpoint"), at every place that reads one.
 */
class CorruptCheckpointNumbersTest {
    @TempDir
    Path dir;

    /** Rewrites {@code file} with metadata {@code key} set to {@code value}; returns the new file. */
    private Path corrupt(Path file, String key, String value) throws IOException {
        Path out = dir.resolve(key.replace('.', '_') + "-" + Math.abs(value.hashCode()) + ".safetensors");
        try (SafeTensors.Contents c = SafeTensors.read(file, Device.cpu())) {
            Map<String, String> meta = new LinkedHashMap<>(c.metadata());
            meta.put(key, value);
            SafeTensors.save(out, c.tensors(), meta);
        }
        return out;
    }

    private Path mlpCheckpoint() throws IOException {
        Path file = dir.resolve("mlp.safetensors");
        Fathom.seed(1);
        try (Mlp mlp = new Mlp(2, 3); Adam adam = new Adam(mlp.parameters(), 0.01)) {
            TrainingCheckpoint.save(file, mlp, adam, 2, Map.of("model", "mlp", "seed", "7"));
        }
        return file;
    }

    private static String resumeError(Path file) {
        try (Mlp mlp = new Mlp(2, 3); Adam adam = new Adam(mlp.parameters(), 0.01)) {
            return assertThrows(Exception.class, () -> TrainingCheckpoint.resume(file, mlp, adam)).getMessage();
        }
    }

    @Test
    void theEpochMustBeAnIntegerFromOne() throws IOException {
        Path good = mlpCheckpoint();
        try (Mlp mlp = new Mlp(2, 3); Adam adam = new Adam(mlp.parameters(), 0.01)) {
            assertEquals(2, TrainingCheckpoint.resume(good, mlp, adam));
        }
        for (String bad : new String[] {"abc", "99999999999", "-3", "0"}) {
            Path file = corrupt(good, "epoch", bad);
            try (Mlp mlp = new Mlp(2, 3); Adam adam = new Adam(mlp.parameters(), 0.01)) {
                IOException e = assertThrows(IOException.class, () -> TrainingCheckpoint.resume(file, mlp, adam));
                assertEquals(file + ": corrupt checkpoint: \"epoch\" is \"" + bad + "\", not an integer in [1, 2147483646]; "
                        + "use another checkpoint (or fix the metadata)", e.getMessage());
            }
        }
    }

    @Test
    void theOptimizersLearningRateMustBeANumber() throws IOException {
        Path file = corrupt(mlpCheckpoint(), "optimizer.lr", "abc");
        String m = resumeError(file);
        assertTrue(m.contains(file.toString()) && m.contains("section 'optimizer'") && m.contains("corrupt checkpoint: scalar 'lr' is \"abc\", not a number"),
                m);
    }

    @Test
    void theCharLmStepMustBeANonNegativeInteger() throws IOException {
        Path good = CommandLineTest.charLmCheckpoint(dir.resolve("charlm.safetensors"));
        try (CharLmCheckpoint.Loaded l = CharLmCheckpoint.load(good, Device.cpu())) {
            assertEquals(3, l.step());
        }
        Path file = corrupt(good, "step", "1e3");
        IOException e = assertThrows(IOException.class, () -> CharLmCheckpoint.load(file, Device.cpu()).close());
        assertEquals(file + ": corrupt checkpoint: \"step\" is \"1e3\", not an integer in [0, 9223372036854775807]; "
                + "use another checkpoint (or fix the metadata)", e.getMessage());
    }

    @Test
    void theGridSeedAndNoiseSizeOfAGanCheckpointMustBeIntegers() throws IOException {
        Path good = dir.resolve("dcgan.safetensors");
        Fathom.seed(2);
        try (Dcgan gan = new Dcgan(); Adam g = new Adam(gan.generator().parameters(), 1e-3); Adam d = new Adam(gan.discriminator().parameters(), 1e-3)) {
            GanCheckpoint.save(good, gan.generator(), gan.discriminator(), g, d, new Generator(1), 1,
                    Map.of("model", Dcgan.ID, "grid_seed", "1", "z_dim", Integer.toString(Dcgan.Z_DIM)));
        }
        PrintWriter w = new PrintWriter(new StringWriter());
        for (String[] bad : new String[][] {{"grid_seed", "abc"}, {"z_dim", "-64"}, {"z_dim", "x"}}) {
            Path file = corrupt(good, bad[0], bad[1]);
            IOException e = assertThrows(IOException.class, () -> GanSampling.sample(file, dir.resolve("g.png"), null, null, w));
            assertTrue(e.getMessage().startsWith(file + ": corrupt checkpoint: \"" + bad[0] + "\" is \"" + bad[1] + "\", not an integer"), e.getMessage());
        }
    }

    @Test
    void fathomTrainResumeRefusesACorruptSeedNamingTheFile() throws IOException {
        Path file = corrupt(mlpCheckpoint(), "seed", "abc");
        StringWriter err = new StringWriter();
        assertEquals(1, Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err, true), "train", "mlp", "--device", "cpu",
                "--resume", file.toString(), "--out", dir.resolve("run").toString()));
        assertTrue(err.toString().contains("fathom train: " + file + ": corrupt checkpoint: \"seed\" is \"abc\", not an integer; "), err.toString());
    }
}
