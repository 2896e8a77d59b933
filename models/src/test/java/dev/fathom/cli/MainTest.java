package dev.fathom.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest extends CommandLineTest {
    @Test
    void devicesListsEveryBackendAndWhatAutoPicks() {
        assertEquals(0, run("devices"), err.toString());
        String o = out.toString();
        assertTrue(o.contains("cpu (priority 0): available"), o);
        assertTrue(o.contains("cuda (priority 100): "), o);
        assertTrue(o.contains(cudaUsable() ? "auto picks: cuda" : "auto picks: cpu"), o);
    }

    @Test
    void missingDataFailsWithTheInstallHint(@TempDir Path empty) {
        assertEquals(1, run("train", "mlp", "--device", "cpu", "--data", empty.toString()));
        assertTrue(err.toString().contains("apt-get install dataset-fashion-mnist"), err.toString());
        assertTrue(err.toString().contains("--data DIR"), err.toString());
    }

    @Test
    void anUnusableDeviceFailsWithTheReason() {
        assumeNoUsableCuda();
        assertEquals(1, run("train", "mlp", "--device", "cuda"));
        assertTrue(err.toString().contains("cuda:0 is not available: "), err.toString());
    }

    @Test
    void parityComparesTheLossesOfEveryUsableDeviceAndRefusesAnUnusableOne() {
        assumeNoUsableCuda();
        assertEquals(1, run("parity", "--model", "mlp", "--steps", "2", "--batch-size", "8"));
        assertTrue(err.toString().contains("parity: skipping cuda: "), "next to the line that points at it: " + err);
        assertTrue(err.toString().contains("parity: nothing to compare: cpu is the only usable device here"), err.toString());
        assertTrue(!out.toString().contains("agree"), "no comparison of the CPU with itself: " + out);
        assertEquals(2, run("parity", "--model", "mlp", "--optimizer", "rmsprop"), "a name that does not parse: a usage error");
        assertTrue(err.toString().contains("unknown optimizer \"rmsprop\"; choose adam or sgd"), err.toString());
        assertEquals(1, run("parity", "--model", "mlp", "--steps", "2", "--devices", "cpu,cuda"));
        assertTrue(err.toString().contains("cuda:0 is not available: "), err.toString());
    }

    @Test
    void parityComparesTwoDevicesAndRefusesATwiceNamedOneAndABadTolerance() {
        // cuda-emu, the emulated CUDA backend of backend-cuda's test jar, is a second device on any machine.
        assertEquals(0, run("parity", "--model", "mlp", "--steps", "2", "--batch-size", "8", "--optimizer", "sgd", "--devices", "cpu,cuda-emu"),
                err.toString());
        assertTrue(out.toString().contains("mlp cuda-emu:0 loss step 1 ") && out.toString().contains("mlp: agree (max rel. diff "), out.toString());
        assertEquals(1, run("parity", "--model", "mlp", "--steps", "2", "--devices", "cpu,cpu"));
        assertTrue(err.toString().contains("parity --devices: cpu is named twice; a device compared with itself agrees by construction"),
                err.toString());
        for (String rtol : new String[] {"-1", "NaN", "Infinity"}) {
            assertEquals(1, run("parity", "--model", "mlp", "--steps", "2", "--devices", "cpu,cuda-emu", "--rtol", rtol));
            assertTrue(err.toString().contains("parity --rtol: need a finite tolerance >= 0, got " + Double.parseDouble(rtol)), err.toString());
        }
        out.getBuffer().setLength(0);
        assertEquals(0, run("parity", "--model", "mlp", "--steps", "2", "--batch-size", "8", "--devices", "cpu"), err.toString());
        assertTrue(out.toString().contains("mlp cpu ") && out.toString().contains("mlp: nothing compared (one device, cpu)"), out.toString());
    }

    private static boolean cudaUsable() {
        dev.fathom.spi.Backend cuda = dev.fathom.tensor.internal.Backends.find("cuda");
        return cuda != null && cuda.availability().available();
    }

    /** For the tests that expect CUDA to be unusable (on a GPU machine they would see it work): skipped there, as BadInputTest does. */
    private static void assumeNoUsableCuda() {
        org.junit.jupiter.api.Assumptions.assumeTrue(!cudaUsable(), "a usable CUDA backend is present");
    }

    @Test
    void parityRunsTheReferenceCharLmsAndDcganOnATextDirectory(@TempDir Path dir) throws java.io.IOException {
        java.nio.file.Files.writeString(dir.resolve("text"), dev.fathom.models.CharLmFixtures.text2000());
        // One device: the steps run and nothing is compared (the cross-backend comparison is CharLmParityTest's and DcganParityTest's).
        assertEquals(0, run("parity", "--model", "gpt,lstm,dcgan", "--data", dir.toString(), "--steps", "2", "--batch-size", "2", "--devices", "cpu"),
                err.toString());
        String o = out.toString();
        assertTrue(o.contains("gpt cpu "), o);
        assertTrue(o.contains("gpt: nothing compared (one device, cpu)"), o);
        assertTrue(o.contains("lstm cpu "), o);
        assertTrue(o.contains("lstm: nothing compared"), o);
        assertTrue(o.contains("dcgan/d: nothing compared"), o);
        assertTrue(o.contains("dcgan/g: nothing compared"), o);
        assertEquals(1, run("parity", "--model", "gpt", "--data", dir.resolve("absent").toString(), "--steps", "1", "--devices", "cpu"));
        assertTrue(err.toString().contains("text corpus not found"), err.toString());
        assertEquals(2, run("parity", "--model", "transformer", "--steps", "1", "--devices", "cpu"));
        assertTrue(err.toString().contains("unknown model \"transformer\"; choose from mlp, cnn, resnet, gpt, lstm, dcgan"), err.toString());
    }

    @Test
    void fileSystemErrorsSayWhatIsWrongWithWhichPath(@TempDir Path dir) throws java.io.IOException {
        java.nio.file.Files.writeString(dir.resolve("best.safetensors"), "not read");
        java.nio.file.Files.writeString(dir.resolve("checkpoint.safetensors"), "not read");
        assertEquals(1, run("eval", dir.toString()));
        assertTrue(err.toString().contains("fathom eval: " + dir + " is a directory; pass a .safetensors file such as " + dir.resolve("best.safetensors")
                + " (it holds best.safetensors, checkpoint.safetensors)"), err.toString());
        Path absent = dir.resolve("absent/checkpoint.safetensors");
        assertEquals(1, run("eval", absent.toString()));
        assertTrue(err.toString().contains("fathom eval: " + absent + " does not exist (check the path; pass a .safetensors file)"), err.toString());
        Path file = dir.resolve("a-file");
        java.nio.file.Files.writeString(file, "");
        for (String[] train : new String[][] {{"train", "mlp"}, {"train", "dcgan"}}) {
            assertEquals(1, run(train[0], train[1], "--device", "cpu", "--out", file.toString()));
        }
        assertEquals(1, run("train", "mlp", "--device", "cpu", "--out", file.resolve("run").toString()));
        String e = err.toString();
        assertTrue(e.contains("fathom train: run directory " + file + ": it is a file, not a directory; pass --out a directory"), e);
        assertTrue(e.contains("fathom train dcgan: run directory " + file + ": it is a file"), e);
        assertTrue(e.contains("fathom train: run directory " + file.resolve("run") + ": " + file + " is a file, not a directory"), e);
    }

    @Test
    void nioExceptionsAreDescribedAndWrappersKeepTheirContext() {
        assertEquals("/x/y does not exist", dev.fathom.io.IoErrors.describe(new java.nio.file.NoSuchFileException("/x/y")));
        assertEquals("/x/y: permission denied", dev.fathom.io.IoErrors.describe(new java.nio.file.AccessDeniedException("/x/y")));
        assertEquals("/x/y already exists and is not a directory",
                dev.fathom.io.IoErrors.describe(new java.nio.file.FileAlreadyExistsException("/x/y")));
        assertEquals("/x/y: Read-only file system", dev.fathom.io.IoErrors.describe(new java.nio.file.FileSystemException("/x/y", null, "Read-only file system")));
        assertEquals("/x/y does not exist", dev.fathom.io.IoErrors.describe(new java.io.UncheckedIOException(new java.nio.file.NoSuchFileException("/x/y"))));
        assertEquals("metrics log: cannot write /x/y: /x/y: permission denied", dev.fathom.io.IoErrors.describe(
                new java.io.UncheckedIOException("metrics log: cannot write /x/y: /x/y: permission denied", new java.nio.file.AccessDeniedException("/x/y"))));
    }

    @Test
    void badUsageIsExitCodeTwo() {
        assertEquals(2, run("train", "resnet-9000"));
        assertTrue(err.toString().contains("expected one of [MLP, CNN, RESNET]"), err.toString());
        assertEquals(2, run());
        assertEquals(2, run("train", "mlp", "--epochs", "many"));
    }

    @Test
    void badSettingsAreExitCodeOneWithTheValues() {
        assertEquals(1, run("train", "mlp", "--device", "cpu", "--epochs", "0"));
        assertTrue(err.toString().contains("--epochs >= 1") && err.toString().contains("got --epochs 0, --batch 128") && !err.toString().contains("null"), err.toString());
    }
}
