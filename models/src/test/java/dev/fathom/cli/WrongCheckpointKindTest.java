package dev.fathom.cli;

import dev.fathom.Fathom;
import dev.fathom.models.Dcgan;
import dev.fathom.optim.Adam;
import dev.fathom.tensor.Generator;
import dev.fathom.train.GanCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code fathom eval} and {@code sample --judge} with a char-LM or DCGAN checkpoint: refused first, naming the file and the command that reads it. */
class WrongCheckpointKindTest extends CommandLineTest {
    @TempDir
    Path dir;

    private Path charLm() throws IOException {
        return charLmCheckpoint(dir.resolve("clm.safetensors"));
    }

    private Path dcgan() throws IOException {
        Path file = dir.resolve("gan.safetensors");
        Fathom.seed(2);
        try (Dcgan gan = new Dcgan(); Adam g = new Adam(gan.generator().parameters(), 1e-3); Adam d = new Adam(gan.discriminator().parameters(), 1e-3)) {
            GanCheckpoint.save(file, gan.generator(), gan.discriminator(), g, d, new Generator(1), 1,
                    Map.of("model", Dcgan.ID, "grid_seed", "1", "z_dim", Integer.toString(Dcgan.Z_DIM)));
        }
        return file;
    }

    @Test
    void evalOfACharLmOrDcganNamesTheFileAndTheCommandThatReadsIt() throws IOException {
        Path clm = charLm(), gan = dcgan();
        assertEquals(1, run("eval", clm.toString(), "--device", "cpu"));
        assertTrue(err.toString().contains("fathom eval: " + clm + " is not a Fashion-MNIST classifier: it holds a char-LM (model \"charlm\"), which "
                + "`fathom sample " + clm + " --prompt TEXT` reads; fathom eval takes a checkpoint of `fathom train mlp|cnn|resnet`"), err.toString());
        assertEquals(1, run("eval", gan.toString(), "--device", "cpu"));
        assertTrue(err.toString().contains("fathom eval: " + gan + " is not a Fashion-MNIST classifier: it holds a DCGAN (model \"dcgan\"), which "
                + "`fathom sample " + gan + " --grid OUT.png` reads"), err.toString());
    }

    @Test
    void judgingWithACharLmIsRefusedBeforeTheGridIsWritten() throws IOException {
        Path clm = charLm(), gan = dcgan(), png = dir.resolve("g.png");
        assertEquals(1, run("sample", gan.toString(), "--grid", png.toString(), "--judge", clm.toString(), "--device", "cpu"));
        assertTrue(err.toString().contains(clm + " is not a Fashion-MNIST classifier: it holds a char-LM (model \"charlm\")")
                && err.toString().contains("; --judge takes a checkpoint of `fathom train mlp|cnn|resnet`"), err.toString());
        assertFalse(Files.exists(png), "no grid from a command that failed");
    }
}
