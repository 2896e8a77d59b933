package dev.fathom.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fathom.data.FashionMnist;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fathom landscape} on a checkpoint of {@code fathom train mlp} (skipped, with the reason,
 * when Debian's dataset-fashion-mnist is not installed): the grid's centre is the checkpoint's own
 * loss, the far corners are higher, and bad options or a checkpoint of the wrong kind write nothing.
 */
class LandscapeCommandTest extends CommandLineTest {
    @TempDir
    Path dir;

    @Test
    void theCentreOfThePlaneIsTheCheckpointsLossAndTheCornersAreHigher() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        Path run = dir.resolve("run");
        assertEquals(0, run("train", "mlp", "--epochs", "1", "--limit", "2048", "--device", "cpu", "--out", run.toString()), err.toString());
        Path plots = dir.resolve("plots");
        assertEquals(0, run("landscape", run.resolve("checkpoint.safetensors").toString(), "--points", "5", "--range", "2", "--examples", "256",
                "--device", "cpu", "--out", plots.toString()), err.toString());
        JsonNode doc = new ObjectMapper().readTree(plots.resolve("landscape.json").toFile());
        assertEquals("mlp", doc.get("model").asText());
        assertEquals(256, doc.get("examples").asInt());
        assertTrue(doc.get("epoch").isInt() && doc.get("epoch").asInt() == 1, "the epoch is a number, as in metrics.jsonl: " + doc.get("epoch"));
        assertEquals("[-2.0,-1.0,0.0,1.0,2.0]", doc.get("alphas").toString());
        JsonNode losses = doc.get("losses");
        assertEquals(5, losses.size());
        double center = doc.get("center_loss").asDouble();
        assertTrue(center > 0 && center < 1.5, "a trained MLP's loss: " + center);
        assertEquals(center, losses.get(2).get(2).asDouble(), 0, "(0, 0) is the checkpoint's weights, bit for bit");
        for (int[] corner : new int[][] {{0, 0}, {0, 4}, {4, 0}, {4, 4}}) {
            double v = losses.get(corner[0]).get(corner[1]).asDouble();
            assertTrue(v > center, "twice a filter's norm away the loss is higher: " + v + " at " + corner[0] + ", " + corner[1]);
        }
        assertTrue(Files.size(plots.resolve("landscape.png")) > 0);
        assertTrue(out.toString().contains(String.format(java.util.Locale.ROOT, "mlp (epoch 1): training loss on 256 images %.4f at the weights", center)),
                out.toString());
        assertTrue(out.toString().contains("wrote " + plots + " (landscape.json, landscape.png)"), out.toString());

        // 1e30 filter norms away the logits overflow: such points are counted and written as null, and a plane with no finite
        // point is refused, writing nothing.
        Path far = dir.resolve("far");
        assertEquals(0, run("landscape", run.resolve("checkpoint.safetensors").toString(), "--points", "3", "--range", "1e30", "--examples", "16",
                "--device", "cpu", "--out", far.toString()), err.toString());
        assertTrue(out.toString().contains("8 of the 9 points gave a NaN or infinite loss: null in landscape.json"), out.toString());
        JsonNode farLosses = new ObjectMapper().readTree(far.resolve("landscape.json").toFile()).get("losses");
        assertTrue(farLosses.get(0).get(0).isNull() && farLosses.get(1).get(1).isNumber(), farLosses.toString());
        Path none = dir.resolve("none");
        assertEquals(1, run("landscape", run.resolve("checkpoint.safetensors").toString(), "--points", "2", "--range", "1e30", "--examples", "16",
                "--device", "cpu", "--out", none.toString()));
        assertTrue(err.toString().contains("every one of the 2 × 2 points over α, β in [-1.0E30, 1.0E30] gave a NaN or infinite loss")
                && err.toString().contains("a smaller --range stays where the loss is finite"), err.toString());
        assertFalse(Files.exists(none.resolve("landscape.json")));
    }

    @Test
    void badOptionsAndOtherKindsOfCheckpointWriteNothing() throws Exception {
        Path clm = charLmCheckpoint(dir.resolve("clm.safetensors"));
        Path plots = dir.resolve("plots");
        assertEquals(1, run("landscape", clm.toString(), "--device", "cpu", "--out", plots.toString()));
        assertTrue(err.toString().contains("fathom landscape: " + clm + " is not a Fashion-MNIST classifier: it holds a char-LM")
                && err.toString().contains("fathom landscape takes a checkpoint of `fathom train mlp|cnn|resnet`"), err.toString());
        assertEquals(1, run("landscape", clm.toString(), "--points", "1", "--out", plots.toString()));
        assertTrue(err.toString().contains("fathom landscape: --points must be between 2 and 201, got 1"), err.toString());
        assertEquals(1, run("landscape", clm.toString(), "--range", "-1", "--out", plots.toString()));
        assertTrue(err.toString().contains("fathom landscape: --range must be a positive number, got -1.0"), err.toString());
        assertEquals(1, run("landscape", clm.toString(), "--examples", "0", "--out", plots.toString()));
        assertTrue(err.toString().contains("fathom landscape: --examples must be at least 1, got 0"), err.toString());
        assertFalse(Files.exists(plots), "a command that failed creates no directory");
    }
}
