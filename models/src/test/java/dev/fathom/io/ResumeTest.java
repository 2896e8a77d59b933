package dev.fathom.io;

import dev.fathom.Fathom;
import dev.fathom.autograd.Autograd;
import dev.fathom.autograd.GradMode;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stop and resume: 3 steps, a checkpoint, fresh objects, load, 3 more steps must give the same
 * bits as 6 uninterrupted steps. Each step draws from three random streams (the batch order from a
 * shuffle generator, input noise and a dropout mask from {@link Generator#global()}), updates with
 * Adam whose moments and step count matter, at a learning rate from a step-decay schedule; the
 * negative controls show that losing any one of these states changes the result, so the test
 * would catch a checkpoint that forgot it.
 */
class ResumeTest {
    private static final long GLOBAL_SEED = 2024;
    private static final int N = 32;
    private static final int BATCH = 8;

    @TempDir
    Path dir;

    /** Adam (Kingma and Ba, 2015) written out in the test, with its state exposed as a checkpoint section. */
    static final class TestAdam implements Stateful, AutoCloseable {
        final List<Parameter> params;
        final List<Tensor> m = new ArrayList<>();
        final List<Tensor> v = new ArrayList<>();
        long step;

        TestAdam(List<Parameter> params) {
            this.params = params;
            for (Parameter p : params) {
                m.add(Scope.escape(Tensor.zerosLike(p.data())));
                v.add(Scope.escape(Tensor.zerosLike(p.data())));
            }
        }

        void step(double lr) {
            step++;
            double c1 = 1 - Math.pow(0.9, step);
            double c2 = 1 - Math.pow(0.999, step);
            try (GradMode off = Autograd.noGrad(); Scope s = Scope.open()) {
                for (int i = 0; i < params.size(); i++) {
                    Tensor g = params.get(i).grad();
                    m.get(i).mulInPlace(0.9).addInPlace(g, 0.1);
                    v.get(i).mulInPlace(0.999).addInPlace(g.mul(g), 0.001);
                    params.get(i).data().addInPlace(m.get(i).div(v.get(i).div(c2).sqrt().add(1e-8)), -lr / c1);
                }
            }
        }

        @Override
        public Map<String, Tensor> tensors() {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (int i = 0; i < params.size(); i++) {
                out.put("exp_avg." + i, m.get(i));
                out.put("exp_avg_sq." + i, v.get(i));
            }
            return out;
        }

        @Override
        public Map<String, String> scalars() {
            return Map.of("step", Long.toString(step));
        }

        @Override
        public void load(Map<String, Tensor> tensors, Map<String, String> scalars) {
            Map<String, Tensor> mine = tensors();
            if (!mine.keySet().equals(tensors.keySet())) {
                throw new IllegalArgumentException("TestAdam: expected " + mine.keySet() + ", got " + tensors.keySet());
            }
            mine.forEach((k, t) -> {
                if (!Arrays.equals(t.shape(), tensors.get(k).shape())) {
                    throw new IllegalArgumentException("TestAdam: " + k + " has shape " + Shape.format(tensors.get(k).shape()));
                }
            });
            mine.forEach((k, t) -> t.copyFrom(tensors.get(k)));
            step = Stateful.longScalar(scalars, "step");
        }

        @Override
        public void close() {
            m.forEach(Tensor::close);
            v.forEach(Tensor::close);
        }
    }

    /** Step decay: lr = 0.05 · 0.7^⌊t/2⌋ after t steps. */
    static final class StepDecay implements Stateful {
        long t;

        double lr() {
            return 0.05 * Math.pow(0.7, t / 2);
        }

        @Override
        public Map<String, Tensor> tensors() {
            return Map.of();
        }

        @Override
        public Map<String, String> scalars() {
            return Map.of("last_step", Long.toString(t));
        }

        @Override
        public void load(Map<String, Tensor> tensors, Map<String, String> scalars) {
            t = Stateful.longScalar(scalars, "last_step");
        }
    }

    /** Everything one training process builds. */
    record Run(Tiny model, TestAdam opt, StepDecay schedule, Generator shuffle, Tensor x, Tensor y) implements AutoCloseable {
        static Run fresh(long initSeed, long shuffleSeed) {
            Tiny model = new Tiny(initSeed, 4, 3);
            Generator data = new Generator(11);
            Tensor x = Scope.escape(Tensor.randn(data, DType.F32, N, 4));
            Tensor y;
            try (Scope s = Scope.open()) {
                Tensor trueW = Tensor.randn(data, DType.F32, 4, 3);
                y = s.keep(x.matmul(trueW).add(Tensor.normal(0, 0.1, DType.F32, data, N, 3)));
            }
            return new Run(model, new TestAdam(model.parameters()), new StepDecay(), new Generator(shuffleSeed), x, y);
        }

        Checkpoint checkpoint() {
            return new Checkpoint()
                    .section("model", model)
                    .section("optimizer", opt)
                    .section("schedule", schedule)
                    .section("rng", Generator.global())
                    .section("shuffle", shuffle);
        }

        void train(int steps) {
            for (int k = 0; k < steps; k++) {
                try (Scope s = Scope.open()) {
                    float[] u = Tensor.rand(shuffle, DType.F32, BATCH).toFloatArray();
                    long[] idx = new long[BATCH];
                    for (int i = 0; i < BATCH; i++) {
                        idx[i] = (long) (u[i] * N);
                    }
                    Tensor index = Tensor.of(idx, BATCH);
                    Tensor xb = x.indexSelect(0, index).add(Tensor.normal(0, 0.05, DType.F32, Generator.global(), BATCH, 4));
                    Tensor keep = Tensor.bernoulli(0.8, DType.F32, Generator.global(), BATCH, 3);
                    Tensor pred = model.forward(xb).mul(keep).div(0.8);
                    pred.sub(y.indexSelect(0, index)).pow(2).mean().backward();
                    opt.step(schedule.lr());
                    model.zeroGrad();
                    schedule.t++;
                }
            }
        }

        float[][] weights() {
            return new float[][] {model.w.data().toFloatArray(), model.b.data().toFloatArray()};
        }

        @Override
        public void close() {
            opt.close();
            model.close();
            x.close();
            y.close();
        }
    }

    private static float[][] uninterrupted() {
        Fathom.seed(GLOBAL_SEED);
        try (Run run = Run.fresh(7, 99)) {
            run.train(6);
            return run.weights();
        }
    }

    /** 3 steps, save, then a new "process" (other seeds everywhere), load, {@code damage}, 3 steps. */
    private float[][] resumed(String damage) throws IOException {
        Path file = dir.resolve("resume.safetensors");
        Fathom.seed(GLOBAL_SEED);
        try (Run first = Run.fresh(7, 99)) {
            first.train(3);
            first.checkpoint().put("epoch", 0).put("step", 3).save(file);
        }
        Fathom.seed(555);
        Tensor.rand(17).close();
        try (Run second = Run.fresh(8, 1234)) {
            Checkpoint ckpt = second.checkpoint();
            ckpt.load(file);
            assertEquals(3, ckpt.getLong("step"));
            assertEquals(3, second.opt.step);
            switch (damage) {
                case "none" -> { }
                case "global rng" -> Generator.global().setState(Generator.global().seed(), Generator.global().counter() + 1);
                case "shuffle rng" -> second.shuffle.setState(second.shuffle.seed(), second.shuffle.counter() + 1);
                case "adam moments" -> second.opt.m.getFirst().zeroInPlace();
                case "adam step" -> second.opt.step = 0;
                case "schedule" -> second.schedule.t = 0;
                default -> throw new IllegalArgumentException(damage);
            }
            second.train(3);
            return second.weights();
        }
    }

    @Test
    void stopAndResumeIsBitIdentical() throws IOException {
        float[][] straight = uninterrupted();
        float[][] resumed = resumed("none");
        assertTrue(Arrays.equals(straight[0], resumed[0]), "w: " + Arrays.toString(straight[0]) + " vs " + Arrays.toString(resumed[0]));
        assertTrue(Arrays.equals(straight[1], resumed[1]), "b: " + Arrays.toString(straight[1]) + " vs " + Arrays.toString(resumed[1]));
        try (Tiny init = new Tiny(7, 4, 3)) {
            assertFalse(Arrays.equals(init.w.data().toFloatArray(), straight[0]), "training must move the weights");
        }
    }

    @ParameterizedTest(name = "losing the {0} state changes the result")
    @ValueSource(strings = {"global rng", "shuffle rng", "adam moments", "adam step", "schedule"})
    void everyPieceOfStateMatters(String damage) throws IOException {
        float[][] straight = uninterrupted();
        float[][] resumed = resumed(damage);
        assertFalse(Arrays.equals(straight[0], resumed[0]) && Arrays.equals(straight[1], resumed[1]),
                "without the " + damage + " state the resumed run should differ");
    }
}
