package dev.fathom.io;

import dev.fathom.LiveBuffers;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoint sections, scalars, the file layout, and every mismatch between a file and the objects. */
class CheckpointTest {
    @TempDir
    Path dir;

    /** An optimizer-like section built from lambdas: one tensor {@code m.0} and one scalar {@code lr}. */
    private static final class Holder {
        Tensor m = Tensor.of(new float[] {0.5f, -0.5f}, 2);
        String lr = "0.1";
        final List<Tensor> received = new ArrayList<>();

        Stateful state() {
            return Stateful.of(() -> Map.of("m.0", m), () -> Map.of("lr", lr), (tensors, scalars) -> {
                m.copyFrom(tensors.get("m.0"));
                lr = scalars.get("lr");
                received.addAll(tensors.values());
            });
        }
    }

    private Path saveExample(Tiny model, Generator rng, Holder opt) throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        new Checkpoint().section("model", model).section("rng", rng).section("opt", opt.state())
                .put("epoch", 2).put("run", "fmnist-mlp").save(file);
        return file;
    }

    @Test
    void theFileIsPlainSafetensorsWithPrefixedNames() throws IOException {
        try (Tiny model = new Tiny(1, 3, 2)) {
            Generator rng = new Generator(42);
            rng.setState(42, 1000);
            Path file = saveExample(model, rng, new Holder());
            try (SafeTensors.Contents c = SafeTensors.read(file, Device.cpu())) {
                assertEquals(Set.of("model.w", "model.b", "opt.m.0"), c.tensors().keySet());
                assertArrayEquals(model.w.data().toFloatArray(), c.tensors().get("model.w").toFloatArray());
                Map<String, String> expected = new HashMap<>();
                expected.put("fathom.format", "fathom-checkpoint/1");
                expected.put("fathom.sections", "model,rng,opt");
                expected.put("rng.seed", "42");
                expected.put("rng.counter", "1000");
                expected.put("opt.lr", "0.1");
                expected.put("epoch", "2");
                expected.put("run", "fmnist-mlp");
                assertEquals(expected, c.metadata());
            }
        }
    }

    @Test
    void loadRestoresEverySectionInPlace() throws IOException {
        Holder saved = new Holder();
        Path file;
        float[] w;
        try (Tiny model = new Tiny(1, 3, 2)) {
            Generator rng = new Generator(42);
            rng.setState(42, 1000);
            file = saveExample(model, rng, saved);
            w = model.w.data().toFloatArray();
        }
        try (Tiny model = new Tiny(2, 3, 2)) {
            Generator rng = new Generator(7);
            Holder opt = new Holder();
            opt.m.zeroInPlace();
            opt.lr = "9";
            Checkpoint ckpt = new Checkpoint().section("model", model).section("rng", rng).section("opt", opt.state()).put("stale", 1);
            ckpt.load(file);
            assertArrayEquals(w, model.w.data().toFloatArray());
            assertEquals(42, rng.seed());
            assertEquals(1000, rng.counter());
            assertArrayEquals(new float[] {0.5f, -0.5f}, opt.m.toFloatArray());
            assertEquals("0.1", opt.lr);
            assertEquals(2, ckpt.getLong("epoch"));
            assertEquals("fmnist-mlp", ckpt.get("run"));
            assertEquals(Set.of("epoch", "run"), ckpt.scalars().keySet(), "load replaces the scalars");
            assertTrue(opt.received.stream().allMatch(Tensor::isClosed), "loaded tensors are closed once load returns");
            opt.m.close();
        }
        saved.m.close();
    }

    @Test
    void aModelAndItsOptimizerRoundTripThroughThePublicSections(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("run.safetensors");
        dev.fathom.tensor.Generator g = new dev.fathom.tensor.Generator(3);
        float[] trained;
        try (dev.fathom.nn.Linear model = new dev.fathom.nn.Linear(3, 2, true, g);
             dev.fathom.optim.Adam adam = new dev.fathom.optim.Adam(model.parameters(), dev.fathom.optim.Adam.Config.defaults())) {
            for (int step = 0; step < 2; step++) {
                try (Scope s = Scope.open()) {
                    adam.zeroGrad();
                    model.forward(Tensor.ones(4, 3)).pow(2).sum().backward();
                    adam.step();
                }
            }
            new Checkpoint().section("model", model).section("optimizer", new dev.fathom.train.OptimizerSection(adam)).put("step", 2).save(file);
            trained = model.weight().data().toFloatArray();
        }
        try (dev.fathom.nn.Linear model = new dev.fathom.nn.Linear(3, 2, true, new dev.fathom.tensor.Generator(9));
             dev.fathom.optim.Adam adam = new dev.fathom.optim.Adam(model.parameters(), dev.fathom.optim.Adam.Config.defaults())) {
            Checkpoint c = new Checkpoint().section("model", model).section("optimizer", new dev.fathom.train.OptimizerSection(adam));
            c.load(file);
            assertArrayEquals(trained, model.weight().data().toFloatArray());
            assertEquals(2, adam.stepCount(), "the optimizer's own step count came back with its moments");
        }
    }

    @Test
    void peekReadsTheTopLevelScalarsOnly() throws IOException {
        try (Tiny model = new Tiny(1, 3, 2)) {
            Holder opt = new Holder();
            Path file = saveExample(model, new Generator(1), opt);
            assertEquals(Map.of("epoch", "2", "run", "fmnist-mlp"), Checkpoint.peek(file));
            opt.m.close();
        }
        Path plain = dir.resolve("plain.safetensors");
        SafeTensors.save(plain, Map.of());
        assertThrows(IOException.class, () -> Checkpoint.peek(plain));
    }

    /** A section that snapshots on save (as an optimizer's state does) leaves nothing behind, even outside any scope. */
    @Test
    void saveLeaksNothing() throws IOException {
        try (Tiny model = new Tiny(1, 3, 2)) {
            Tensor m = Tensor.of(new float[] {1f, 2f, 3f}, 3);
            Stateful snapshotting = Stateful.of(() -> Map.of("m", m.clone()), Map::of, (tensors, scalars) -> { });
            Checkpoint ckpt = new Checkpoint().section("model", model).section("opt", snapshotting);
            ckpt.save(dir.resolve("warm.safetensors"));
            long before = LiveBuffers.settled();
            for (int i = 0; i < 3; i++) {
                ckpt.save(dir.resolve("ckpt" + i + ".safetensors"));
            }
            assertEquals(before, LiveBuffers.now(), "the snapshots of three saves are released by save itself");
            m.close();
        }
    }

    @Test
    void loadLeaksNothing() throws IOException {
        try (Tiny model = new Tiny(1, 3, 2)) {
            Holder opt = new Holder();
            Path file = saveExample(model, new Generator(1), opt);
            Checkpoint ckpt = new Checkpoint().section("model", model).section("rng", new Generator(3)).section("opt", opt.state());
            long before = LiveBuffers.settled();
            for (int i = 0; i < 3; i++) {
                ckpt.load(file);
            }
            assertEquals(before, LiveBuffers.now());
            opt.m.close();
        }
    }

    @Test
    void aMissingSectionIsFoundBeforeAnythingIsRestored() throws IOException {
        Path file = dir.resolve("model-only.safetensors");
        try (Tiny saved = new Tiny(1, 3, 2)) {
            new Checkpoint().section("model", saved).save(file);
        }
        try (Tiny model = new Tiny(2, 3, 2)) {
            float[] before = model.w.data().toFloatArray();
            Holder opt = new Holder();
            Checkpoint ckpt = new Checkpoint().section("model", model).section("optimizer", opt.state());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ckpt.load(file));
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("missing section 'optimizer'"), e.getMessage());
            assertTrue(e.getMessage().contains("the file has sections [model]"), e.getMessage());
            assertArrayEquals(before, model.w.data().toFloatArray(), "nothing restored");
            opt.m.close();
        }
    }

    @Test
    void unexpectedSectionsFailOnlyWhenStrict() throws IOException {
        try (Tiny model = new Tiny(1, 3, 2)) {
            Holder opt = new Holder();
            Path file = saveExample(model, new Generator(1), opt);
            Checkpoint modelOnly = new Checkpoint().section("model", model);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> modelOnly.load(file));
            assertTrue(e.getMessage().contains("unexpected section 'rng'") && e.getMessage().contains("unexpected section 'opt'"), e.getMessage());
            modelOnly.load(file, false);
            assertEquals(2, modelOnly.getLong("epoch"));
            opt.m.close();
        }
    }

    @Test
    void aWrongShapeNamesTheSectionAndTheTensor() throws IOException {
        Path file = dir.resolve("small.safetensors");
        try (Tiny small = new Tiny(1, 3, 2)) {
            new Checkpoint().section("model", small).save(file);
        }
        try (Tiny wide = new Tiny(1, 5, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new Checkpoint().section("model", wide).load(file));
            assertTrue(e.getMessage().startsWith("Checkpoint.load(" + file + "): section 'model': "), e.getMessage());
            assertTrue(e.getMessage().contains("\"w\" has shape [3, 2], expected [5, 2]"), e.getMessage());
        }
    }

    @Test
    void aMalformedScalarNamesTheSectionAndTheKey() throws IOException {
        Path file = dir.resolve("bad-rng.safetensors");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(Checkpoint.FORMAT_KEY, Checkpoint.FORMAT);
        meta.put(Checkpoint.SECTIONS_KEY, "rng");
        meta.put("rng.seed", "abc");
        meta.put("rng.counter", "0");
        SafeTensors.save(file, Map.of(), meta);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Checkpoint().section("rng", new Generator(1)).load(file));
        assertTrue(e.getMessage().contains("section 'rng': scalar 'seed' is \"abc\", not an integer"), e.getMessage());
        meta.remove("rng.counter");
        meta.put("rng.seed", "5");
        SafeTensors.save(file, Map.of(), meta);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> new Checkpoint().section("rng", new Generator(1)).load(file));
        assertTrue(missing.getMessage().contains("scalar 'counter' is missing"), missing.getMessage());
    }

    @Test
    void filesThatAreNotCheckpoints() throws IOException {
        Path plain = dir.resolve("weights.safetensors");
        try (Scope s = Scope.open()) {
            SafeTensors.save(plain, Map.of("w", Tensor.scalar(1f)));
            IOException e = assertThrows(IOException.class, () -> new Checkpoint().load(plain));
            assertTrue(e.getMessage().contains(plain + " is not a Fathom checkpoint"), e.getMessage());

            SafeTensors.save(plain, Map.of(), Map.of(Checkpoint.FORMAT_KEY, "fathom-checkpoint/99"));
            IOException future = assertThrows(IOException.class, () -> new Checkpoint().load(plain));
            assertTrue(future.getMessage().contains("format \"fathom-checkpoint/99\""), future.getMessage());

            // A tensor whose prefix is not a listed section.
            SafeTensors.save(plain, Map.of("ghost.w", Tensor.scalar(1f)),
                    Map.of(Checkpoint.FORMAT_KEY, Checkpoint.FORMAT, Checkpoint.SECTIONS_KEY, "model"));
            IOException ghost = assertThrows(IOException.class, () -> new Checkpoint().load(plain, false));
            assertTrue(ghost.getMessage().contains("tensor 'ghost.w' belongs to no section"), ghost.getMessage());
        }
        IOException absent = assertThrows(IOException.class, () -> new Checkpoint().load(dir.resolve("absent.safetensors")));
        assertTrue(absent.getMessage().contains("absent.safetensors"), absent.getMessage());
    }

    @Test
    void aFailedSaveKeepsThePreviousCheckpoint() throws IOException {
        try (Tiny model = new Tiny(1, 3, 2)) {
            Path file = dir.resolve("keep.safetensors");
            new Checkpoint().section("model", model).put("epoch", 1).save(file);
            byte[] old = Files.readAllBytes(file);
            Stateful broken = Stateful.of(() -> {
                throw new IllegalStateException("optimizer state unavailable");
            }, Map::of, (t, s) -> { });
            assertThrows(IllegalStateException.class,
                    () -> new Checkpoint().section("model", model).section("opt", broken).put("epoch", 2).save(file));
            assertArrayEquals(old, Files.readAllBytes(file));
        }
    }

    @Test
    void badNamesAndCallsAreRejected() {
        Checkpoint c = new Checkpoint().section("model", Stateful.of(Map::of, Map::of, (t, s) -> { }));
        assertThrows(IllegalArgumentException.class, () -> c.section("a.b", new Generator(1)));
        assertThrows(IllegalArgumentException.class, () -> c.section("", new Generator(1)));
        assertThrows(IllegalArgumentException.class, () -> c.section("fathom", new Generator(1)));
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> c.section("model", new Generator(1)));
        assertTrue(twice.getMessage().contains("registered twice"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.put("epoch.count", 1));
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class, () -> c.get("epoch"));
        assertTrue(absent.getMessage().contains("no scalar 'epoch'"), absent.getMessage());
        c.put("note", "x");
        assertThrows(IllegalArgumentException.class, () -> c.getLong("note"));
        assertEquals(List.of("model"), c.sections());
    }
}
