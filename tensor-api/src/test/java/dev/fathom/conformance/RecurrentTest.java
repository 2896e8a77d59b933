package dev.fathom.conformance;

import dev.fathom.autograd.Gradcheck;
import dev.fathom.nn.GRU;
import dev.fathom.nn.LSTM;
import dev.fathom.nn.Parameter;
import dev.fathom.nn.RNN;
import dev.fathom.nn.Recurrent;
import dev.fathom.nn.RecurrentOutput;
import dev.fathom.spi.Kernels;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.fathom.conformance.NnSupport.close;
import static dev.fathom.conformance.NnSupport.f64;
import static dev.fathom.conformance.NnSupport.leaf;
import static dev.fathom.conformance.NnSupport.rejects;
import static dev.fathom.conformance.RecurrentRef.Kind;
import static dev.fathom.conformance.RecurrentRef.flat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RNN, LSTM and GRU against the step-by-step F64 loop of {@link RecurrentRef}, with gradchecks through time. */
class RecurrentTest extends ConformanceTest {
    private final NnSupport s = new NnSupport(29);

    static Recurrent make(Kind kind, int in, int hidden, int layers, boolean bias, boolean batchFirst, double dropout, long seed) {
        Generator g = new Generator(seed);
        return switch (kind) {
            case RNN_TANH -> new RNN(in, hidden, layers, RNN.Nonlinearity.TANH, bias, batchFirst, dropout, DType.F64, g);
            case RNN_RELU -> new RNN(in, hidden, layers, RNN.Nonlinearity.RELU, bias, batchFirst, dropout, DType.F64, g);
            case LSTM -> new LSTM(in, hidden, layers, bias, batchFirst, dropout, DType.F64, g);
            case GRU -> new GRU(in, hidden, layers, bias, batchFirst, dropout, DType.F64, g);
        };
    }

    static RecurrentOutput call(Recurrent m, Tensor x, Tensor h0, Tensor c0) {
        return switch (m) {
            case RNN r -> r.forward(x, h0);
            case LSTM l -> l.forward(x, h0, c0);
            case GRU g -> g.forward(x, h0);
        };
    }

    private static Map<String, double[]> weights(Recurrent m) {
        Map<String, double[]> w = new LinkedHashMap<>();
        m.namedParameters().forEach((n, p) -> w.put(n, p.data().toDoubleArray()));
        return w;
    }

    /** Runs the layer and the reference on the same weights and inputs and compares output, h_n and c_n. */
    private void matches(Kind kind, int layers, boolean bias, boolean batchFirst, int steps, int batch, boolean withState) {
        int in = 3, hidden = 4;
        String what = kind + " layers=" + layers + " bias=" + bias + " batchFirst=" + batchFirst + " T=" + steps + " N=" + batch
                + " state=" + withState;
        try (Recurrent m = make(kind, in, hidden, layers, bias, batchFirst, 0, 5 + layers)) {
            double[][][] x = RecurrentRef.shape(s.values(steps * batch * in, -1.5, 1.5), steps, batch, in);
            double[][][] h0 = withState ? RecurrentRef.shape(s.values(layers * batch * hidden, -1, 1), layers, batch, hidden) : null;
            double[][][] c0 = withState && kind == Kind.LSTM
                    ? RecurrentRef.shape(s.values(layers * batch * hidden, -1, 1), layers, batch, hidden) : null;
            RecurrentRef.Result ref = RecurrentRef.run(kind, weights(m), layers, hidden, x, h0, c0);
            Tensor input = batchFirst ? f64(flat(x, true), batch, steps, in) : f64(flat(x, false), steps, batch, in);
            RecurrentOutput out = call(m, input, h0 == null ? null : f64(flat(h0, false), layers, batch, hidden),
                    c0 == null ? null : f64(flat(c0, false), layers, batch, hidden));
            int[] outShape = batchFirst ? new int[] {batch, steps, hidden} : new int[] {steps, batch, hidden};
            close(what + " output", out.output(), flat(ref.out(), batchFirst), outShape, DType.F64, 1e-12);
            close(what + " h_n", out.hN(), flat(ref.h(), false), new int[] {layers, batch, hidden}, DType.F64, 1e-12);
            if (kind == Kind.LSTM) {
                close(what + " c_n", out.cN(), flat(ref.c(), false), new int[] {layers, batch, hidden}, DType.F64, 1e-12);
            } else {
                assertNull(out.cN(), what + ": only an LSTM has a cell state");
            }
            if (!withState) {
                assertArrayEquals(out.output().toDoubleArray(), m.forward(input).toDoubleArray(), what + ": forward(input) is the output sequence");
            }
        }
    }

    @BackendTest
    void matchesTheStepByStepReference(TestBackends.Case backend) {
        use(backend);
        for (Kind kind : Kind.values()) {
            matches(kind, 2, true, false, 4, 3, true);
            matches(kind, 2, true, true, 4, 3, false);
            matches(kind, 1, false, true, 3, 2, true);
            matches(kind, 3, true, false, 1, 2, false); // a single step through three layers
        }
    }

    @BackendTest
    void unbatchedInputDropsTheBatchDim(TestBackends.Case backend) {
        use(backend);
        int in = 3, hidden = 4, layers = 2, steps = 3;
        for (Kind kind : List.of(Kind.LSTM, Kind.GRU)) {
            try (Recurrent m = make(kind, in, hidden, layers, true, true, 0, 3)) {
                double[] xv = s.values(steps * in, -1, 1);
                double[] hv = s.values(layers * hidden, -1, 1);
                RecurrentRef.Result ref = RecurrentRef.run(kind, weights(m), layers, hidden, RecurrentRef.shape(xv, steps, 1, in),
                        RecurrentRef.shape(hv, layers, 1, hidden), null);
                RecurrentOutput out = call(m, f64(xv, steps, in), f64(hv, layers, hidden), null);
                close(kind + " unbatched output", out.output(), flat(ref.out(), false), new int[] {steps, hidden}, DType.F64, 1e-12);
                close(kind + " unbatched h_n", out.hN(), flat(ref.h(), false), new int[] {layers, hidden}, DType.F64, 1e-12);
            }
        }
    }

    @BackendTest
    void float32AgreesWithTheReference(TestBackends.Case backend) {
        use(backend);
        int in = 3, hidden = 5, layers = 2, steps = 6, batch = 2;
        try (LSTM m = new LSTM(in, hidden, layers, true, false, 0, DType.F32, new Generator(4))) {
            double[] xv = s.values(steps * batch * in, -1, 1);
            RecurrentRef.Result ref = RecurrentRef.run(Kind.LSTM, weights(m), layers, hidden, RecurrentRef.shape(xv, steps, batch, in), null, null);
            RecurrentOutput out = m.forward(NnSupport.f32(xv, steps, batch, in), null, null);
            close("LSTM F32 output", out.output(), flat(ref.out(), false), new int[] {steps, batch, hidden}, DType.F32, 1e-5);
            close("LSTM F32 c_n", out.cN(), flat(ref.c(), false), new int[] {layers, batch, hidden}, DType.F32, 1e-5);
        }
    }

    /** Input, initial state(s) and every parameter as gradcheck inputs; the function returns output, h_n and c_n flattened. */
    private void gradcheck(Kind kind, boolean batchFirst) {
        int in = 2, hidden = 2, layers = 2, steps = 3, batch = 2;
        try (Recurrent m = make(kind, in, hidden, layers, true, batchFirst, 0, 11)) {
            List<String> names = List.copyOf(m.namedParameters().keySet());
            List<Tensor> inputs = new ArrayList<>();
            inputs.add(leaf(s.values(steps * batch * in, -1, 1), batchFirst ? new int[] {batch, steps, in} : new int[] {steps, batch, in}));
            inputs.add(leaf(s.values(layers * batch * hidden, -1, 1), layers, batch, hidden));
            boolean lstm = kind == Kind.LSTM;
            if (lstm) {
                inputs.add(leaf(s.values(layers * batch * hidden, -1, 1), layers, batch, hidden));
            }
            int first = inputs.size();
            for (Parameter p : m.parameters()) {
                inputs.add(leaf(p.data().toDoubleArray(), p.shape()));
            }
            Gradcheck.Report report = Gradcheck.check(t -> {
                Map<String, Tensor> w = new LinkedHashMap<>();
                for (int i = 0; i < names.size(); i++) {
                    w.put(names.get(i), t[first + i]);
                }
                RecurrentOutput o = m.forwardWith(w, t[0], t[1], lstm ? t[2] : null);
                return lstm ? Tensor.cat(0, o.output().flatten(), o.hN().flatten(), o.cN().flatten())
                        : Tensor.cat(0, o.output().flatten(), o.hN().flatten());
            }, inputs.toArray(Tensor[]::new));
            assertTrue(report.passed(), () -> kind + " gradcheck: " + report);
        }
    }

    @BackendTest
    void gradcheckThroughTimeIncludingTheInitialState(TestBackends.Case backend) {
        use(backend);
        gradcheck(Kind.RNN_TANH, false);
        gradcheck(Kind.LSTM, true);
        gradcheck(Kind.GRU, false);
    }

    /**
     * weight_hh's gradient is summed over the steps once, at step 0's node; a graph-building pass
     * takes the per-step formula instead, which must be differentiable again.
     */
    @BackendTest
    void lstmGradientsAreDifferentiableAgain(TestBackends.Case backend) {
        use(backend);
        try (LSTM m = new LSTM(2, 2, 1, true, false, 0, DType.F64, new Generator(5))) {
            List<String> names = List.copyOf(m.namedParameters().keySet());
            List<Tensor> inputs = new ArrayList<>();
            inputs.add(leaf(s.values(3 * 2 * 2, -1, 1), 3, 2, 2));
            for (Parameter p : m.parameters()) {
                inputs.add(leaf(p.data().toDoubleArray(), p.shape()));
            }
            Gradcheck.Report report = Gradcheck.checkSecondOrder(t -> {
                Map<String, Tensor> w = new LinkedHashMap<>();
                for (int i = 0; i < names.size(); i++) {
                    w.put(names.get(i), t[1 + i]);
                }
                return m.forwardWith(w, t[0], null, null).output().flatten();
            }, inputs.toArray(Tensor[]::new));
            assertTrue(report.passed(), () -> "LSTM gradgradcheck: " + report);
            // And the graph-building pass's gradients are the plain pass's.
            Tensor x = inputs.get(0);
            Tensor whh = m.namedParameters().get("weight_hh_l0").data();
            Tensor[] plain = dev.fathom.autograd.Autograd.grad(new Tensor[] {m.forward(x, null, null).output().sum()},
                    new Tensor[] {x, whh}, false);
            Tensor[] graph = dev.fathom.autograd.Autograd.grad(new Tensor[] {m.forward(x, null, null).output().sum()},
                    new Tensor[] {x, whh}, true);
            assertArrayEquals(plain[0].toDoubleArray(), graph[0].toDoubleArray(), 1e-12, "dL/dx");
            assertArrayEquals(plain[1].toDoubleArray(), graph[1].toDoubleArray(), 1e-12, "dL/dweight_hh");
        }
    }

    /**
     * Two backward passes over one graph (retainGraph) accumulate weight_hh's gradient twice: each
     * pass sums only the step gradients it delivered itself, including one that reaches fewer steps.
     */
    @BackendTest
    void weightGradientOfEachPassCountsOnlyItsOwnSteps(TestBackends.Case backend) {
        use(backend);
        try (LSTM m = new LSTM(3, 4, 1, true, false, 0, DType.F64, new Generator(3))) {
            Tensor x = leaf(s.values(5 * 2 * 3, -1, 1), 5, 2, 3);
            Tensor whh = m.namedParameters().get("weight_hh_l0").data();
            RecurrentOutput o = m.forward(x, null, null);
            Tensor all = o.output().sum(), early = o.output().select(0, 1).sum();
            dev.fathom.autograd.Autograd.backward(all, null, true);
            double[] once = m.namedParameters().get("weight_hh_l0").grad().toDoubleArray();
            dev.fathom.autograd.Autograd.backward(early, null, true);
            double[] both = m.namedParameters().get("weight_hh_l0").grad().toDoubleArray();
            Tensor[] earlyOnly = dev.fathom.autograd.Autograd.grad(new Tensor[] {early}, new Tensor[] {whh}, false);
            double[] e = earlyOnly[0].toDoubleArray();
            for (int i = 0; i < once.length; i++) {
                assertEquals(once[i] + e[i], both[i], 1e-12, "weight_hh_l0 grad element " + i);
            }
        }
    }

    /**
     * With the backend's fused cell (the CPU's and CUDA's), a layer is one recorded op whose
     * output holds every step's h and c: the sequence and the final state are views of it, not a
     * stack of per-step results (the same values: the tests above compare them with the reference).
     */
    @BackendTest
    void lstmLayerIsOneRecordedOpWithTheFusedCell(TestBackends.Case backend) {
        use(backend);
        try (LSTM m = new LSTM(3, 4, 1, true, false, 0, DType.F64, new Generator(4))) {
            Tensor x = leaf(s.values(5 * 2 * 3, -1, 1), 5, 2, 3);
            RecurrentOutput o = m.forward(x, null, null);
            assertEquals("select", o.output().gradFn().op(), "the sequence is a view of the layer's one output");
            // [T, N, H] = [5, 2, 4] inside [T, 2, N, H]: a step apart is h and c, 2·N·H elements.
            assertArrayEquals(new long[] {16, 4, 1}, o.output().strides());
            o.output().sum().backward();
            assertArrayEquals(x.shape(), x.grad().shape());
        }
    }

    /**
     * The layer op's buffers (its output, the saved activations, the backward's copies and
     * stacks) go back with the step's scope: training steps, a graph-building pass and an
     * inference forward leave the live-buffer count where it was.
     */
    @BackendTest
    void lstmStepsLeakNothing(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        try (LSTM m = new LSTM(3, 4, 2, true, false, 0, DType.F64, new Generator(6))) {
            Tensor x = leaf(s.values(5 * 2 * 3, -1, 1), 5, 2, 3);
            long start = settledLiveBuffers(device);
            for (int step = 0; step < 3; step++) {
                try (Scope scope = Scope.open()) {
                    RecurrentOutput o = m.forward(x, null, null);
                    o.output().sum().add(o.cN().sum()).backward();
                    Tensor[] g = dev.fathom.autograd.Autograd.grad(new Tensor[] {m.forward(x, null, null).output().pow(2).sum()},
                            new Tensor[] {x}, true);
                    dev.fathom.autograd.Autograd.grad(new Tensor[] {g[0].sum()}, new Tensor[] {x}, false);
                    try (var off = dev.fathom.autograd.Autograd.noGrad()) {
                        m.forward(x, null, null).output().sum().item();
                    }
                }
                m.zeroGrad();
                x.setGrad(null);
            }
            assertEquals(start, k.memoryStats().liveBuffers(), "live buffers after LSTM steps, each in its own scope");
        }
    }

    @BackendTest
    void backwardReachesEveryParameterAndTheInitialState(TestBackends.Case backend) {
        use(backend);
        try (LSTM m = new LSTM(3, 4, 2, true, true, 0, DType.F64, new Generator(2))) {
            Tensor x = leaf(s.values(2 * 5 * 3, -1, 1), 2, 5, 3);
            Tensor h0 = leaf(s.values(2 * 2 * 4, -1, 1), 2, 2, 4);
            Tensor c0 = leaf(s.values(2 * 2 * 4, -1, 1), 2, 2, 4);
            RecurrentOutput o = m.forward(x, h0, c0);
            o.output().sum().add(o.cN().sum()).backward();
            for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
                assertArrayEquals(e.getValue().shape(), e.getValue().grad().shape(), e.getKey());
            }
            assertArrayEquals(x.shape(), x.grad().shape());
            assertArrayEquals(h0.shape(), h0.grad().shape());
            assertArrayEquals(c0.shape(), c0.grad().shape());
        }
    }

    @BackendTest
    void dropoutActsBetweenLayersInTrainingOnly(TestBackends.Case backend) {
        use(backend);
        Tensor x = f64(s.values(4 * 2 * 3, -1, 1), 4, 2, 3);
        for (Kind kind : List.of(Kind.RNN_TANH, Kind.LSTM, Kind.GRU)) {
            try (Recurrent plain = make(kind, 3, 4, 2, true, false, 0, 8); Recurrent dropped = make(kind, 3, 4, 2, true, false, 0.5, 8);
                    Recurrent single = make(kind, 3, 4, 1, true, false, 0.9, 8); Recurrent singlePlain = make(kind, 3, 4, 1, true, false, 0, 8)) {
                double[] expected = plain.forward(x).toDoubleArray();
                dropped.eval();
                assertArrayEquals(expected, dropped.forward(x).toDoubleArray(), kind + ": dropout is the identity in eval mode");
                dropped.train();
                assertFalse(java.util.Arrays.equals(expected, dropped.forward(x).toDoubleArray()), kind + ": dropout acts in training");
                assertArrayEquals(singlePlain.forward(x).toDoubleArray(), single.forward(x).toDoubleArray(),
                        kind + ": no dropout after the last layer");
            }
        }
    }

    @BackendTest
    void parametersAreNamedAndShapedAsPyTorch(TestBackends.Case backend) {
        use(backend);
        Map<String, int[]> lstm = new LinkedHashMap<>();
        lstm.put("weight_ih_l0", new int[] {24, 5});
        lstm.put("weight_hh_l0", new int[] {24, 6});
        lstm.put("bias_ih_l0", new int[] {24});
        lstm.put("bias_hh_l0", new int[] {24});
        lstm.put("weight_ih_l1", new int[] {24, 6});
        lstm.put("weight_hh_l1", new int[] {24, 6});
        lstm.put("bias_ih_l1", new int[] {24});
        lstm.put("bias_hh_l1", new int[] {24});
        try (LSTM l = new LSTM(5, 6, 2); GRU g = new GRU(5, 6, 1, false, false, 0); RNN r = new RNN(5, 6)) {
            shapes(lstm, l);
            shapes(Map.of("weight_ih_l0", new int[] {18, 5}, "weight_hh_l0", new int[] {18, 6}), g);
            assertEquals(List.of("weight_ih_l0", "weight_hh_l0"), List.copyOf(g.namedParameters().keySet()));
            shapes(Map.of("weight_ih_l0", new int[] {6, 5}, "weight_hh_l0", new int[] {6, 6}, "bias_ih_l0", new int[] {6},
                    "bias_hh_l0", new int[] {6}), r);
            double bound = 1 / Math.sqrt(6);
            for (Parameter p : l.parameters()) {
                for (double v : p.data().toDoubleArray()) {
                    assertTrue(Math.abs(v) <= bound, "init U(-1/sqrt(hidden), 1/sqrt(hidden)), got " + v);
                }
            }
            double[] w = l.namedParameters().get("weight_ih_l0").data().toDoubleArray();
            double sq = 0;
            for (double v : w) {
                sq += v * v / w.length;
            }
            assertEquals(bound * bound / 3, sq, bound * bound / 3 * 0.35, "second moment of U(-b, b) is b²/3");
            assertEquals("LSTM(5, 6, num_layers=2)", l.toString());
            assertEquals("GRU(5, 6, bias=False)", g.toString());
            assertEquals("RNN(5, 6, num_layers=2, nonlinearity='relu', batch_first=True, dropout=0.1)",
                    new RNN(5, 6, 2, RNN.Nonlinearity.RELU, true, true, 0.1).toString());
        }
    }

    private static void shapes(Map<String, int[]> expected, Recurrent m) {
        assertEquals(expected.keySet(), m.namedParameters().keySet());
        expected.forEach((n, shape) -> assertArrayEquals(shape, m.namedParameters().get(n).shape(), n));
    }

    @BackendTest
    void scopedStepsLeakNothing(TestBackends.Case backend) {
        Device device = use(backend);
        try (LSTM m = new LSTM(3, 4, 2); GRU g = new GRU(3, 4)) {
            Tensor x = Tensor.randn(5, 2, 3);
            long afterFirst = -1;
            for (int step = 0; step < 4; step++) {
                try (Scope sc = Scope.open()) {
                    m.forward(x, null, null).output().sum().add(g.forward(x, null).hN().sum()).backward();
                    m.zeroGrad();
                    g.zeroGrad();
                }
                if (step == 0) {
                    afterFirst = settledLiveBuffers(device);
                }
            }
            assertEquals(afterFirst, Backends.kernels(device).memoryStats().liveBuffers(), "live buffers after scoped LSTM/GRU steps");
        }
    }

    @BackendTest
    void rejectsBadInput(TestBackends.Case backend) {
        use(backend);
        try (LSTM m = new LSTM(3, 4, 2); GRU g = new GRU(3, 4, 1, true, true, 0)) {
            rejects(() -> m.forward(Tensor.zeros(5, 2, 7)), "LSTM", "[5, 2, 7]", "input_size = 3");
            rejects(() -> m.forward(Tensor.zeros(5, 2, 3, 1)), "LSTM", "[5, 2, 3, 1]", "3-D", "[T, N, input_size]");
            rejects(() -> g.forward(Tensor.zeros(3)), "GRU", "[3]", "[N, T, input_size]");
            rejects(() -> m.forward(Tensor.zeros(0, 2, 3)), "LSTM", "[0, 2, 3]", "time step");
            rejects(() -> m.forward(Tensor.zeros(5, 2, 3), Tensor.zeros(1, 2, 4), null), "LSTM", "h0", "[2, 2, 4]", "[1, 2, 4]");
            rejects(() -> m.forward(Tensor.zeros(5, 2, 3), null, Tensor.zeros(2, 3, 4)), "LSTM", "c0", "[2, 2, 4]", "[2, 3, 4]");
            rejects(() -> m.forward(Tensor.zeros(DType.F64, 5, 2, 3)), "LSTM", "F64", "F32");
            rejects(() -> g.forward(Tensor.zeros(2, 5, 3), Tensor.zeros(DType.F64, 1, 2, 4)), "GRU", "h0", "F64");
            rejects(() -> g.forward(Tensor.zeros(DType.I64, 2, 5, 3)), "GRU", "floating");
            rejects(() -> g.forward(Tensor.zeros(5, 3), Tensor.zeros(1, 1, 4)), "GRU", "h0", "[1, 4]", "[1, 1, 4]");
            rejects(() -> g.forwardWith(Map.of(), Tensor.zeros(2, 5, 3), null, null), "GRU", "missing", "weight_ih_l0");
            Map<String, Tensor> own = new LinkedHashMap<>(g.stateDict());
            rejects(() -> g.forwardWith(own, Tensor.zeros(2, 5, 3), null, Tensor.zeros(1, 2, 4)), "GRU", "no cell state", "c0");
            own.put("weight_hh_l0", Tensor.zeros(12, 3));
            rejects(() -> g.forwardWith(own, Tensor.zeros(2, 5, 3), null, null), "GRU", "weight_hh_l0", "[12, 4]", "[12, 3]");
            own.put("weight_hh_l0", Tensor.zeros(DType.F64, 12, 4));
            rejects(() -> g.forwardWith(own, Tensor.zeros(2, 5, 3), null, null), "GRU", "weight_hh_l0", "F64", "F32");
        }
        rejects(() -> new LSTM(0, 4), "LSTM", "input_size", "0");
        rejects(() -> new GRU(3, 4, 0), "GRU", "num_layers", "0");
        rejects(() -> new RNN(3, 4, 2, RNN.Nonlinearity.TANH, true, false, 1.5), "RNN", "dropout", "1.5");
        rejects(() -> new LSTM(3, 4, 1, true, false, 0, DType.I64, new Generator(1)), "LSTM", "dtype", "I64");
    }
}
