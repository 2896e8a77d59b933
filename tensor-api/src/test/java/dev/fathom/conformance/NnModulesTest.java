package dev.fathom.conformance;

import dev.fathom.Fathom;
import dev.fathom.autograd.Autograd;
import dev.fathom.nn.BatchNorm1d;
import dev.fathom.nn.Dropout;
import dev.fathom.nn.ELU;
import dev.fathom.nn.Embedding;
import dev.fathom.nn.Flatten;
import dev.fathom.nn.Functional;
import dev.fathom.nn.GELU;
import dev.fathom.nn.LayerNorm;
import dev.fathom.nn.LeakyReLU;
import dev.fathom.nn.Linear;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.nn.ReLU;
import dev.fathom.nn.Sequential;
import dev.fathom.nn.SiLU;
import dev.fathom.nn.Sigmoid;
import dev.fathom.nn.Softmax;
import dev.fathom.nn.Tanh;
import dev.fathom.spi.Kernels;
import dev.fathom.tensor.DType;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.tensor.internal.Backends;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.fathom.conformance.NnSupport.rejects;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layer modules: they call {@link Functional} with their own parameters, print their
 * hyperparameters like PyTorch, round-trip through state dicts, reject strict loads that do not
 * fit, and train in a scoped loop without leaking backend buffers.
 */
class NnModulesTest extends ConformanceTest {

    private Sequential mlp() {
        return new Sequential(new Linear(6, 5), new BatchNorm1d(5), new ReLU(), new Dropout(0.3, new Generator(2)), new Linear(5, 3));
    }

    @BackendTest
    void printsHyperparameters(TestBackends.Case backend) {
        use(backend);
        Map<Module, String> expected = new LinkedHashMap<>();
        expected.put(new Linear(784, 256), "Linear(in_features=784, out_features=256, bias=True)");
        expected.put(new Linear(4, 2, false), "Linear(in_features=4, out_features=2, bias=False)");
        expected.put(new LayerNorm(8), "LayerNorm([8], eps=1.0E-5, elementwise_affine=true)");
        expected.put(new Dropout(0.25), "Dropout(p=0.25)");
        expected.put(new Embedding(10, 3), "Embedding(10, 3)");
        expected.put(new Flatten(), "Flatten(start_dim=1, end_dim=-1)");
        expected.put(new ReLU(), "ReLU()");
        expected.put(new LeakyReLU(0.2), "LeakyReLU(negative_slope=0.2)");
        expected.put(new ELU(), "ELU(alpha=1.0)");
        expected.put(new GELU(true), "GELU(approximate='tanh')");
        expected.put(new SiLU(), "SiLU()");
        expected.put(new Tanh(), "Tanh()");
        expected.put(new Sigmoid(), "Sigmoid()");
        expected.put(new Softmax(1), "Softmax(dim=1)");
        expected.forEach((m, s) -> {
            assertEquals(s, m.toString());
            m.close();
        });
        try (Sequential seq = new Sequential(new Linear(2, 3), new ReLU())) {
            assertEquals("Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)", seq.toString());
        }
        // ModuleList: children "0", "1", … whose parameters and state are the holder's; no forward of its own.
        try (dev.fathom.nn.ModuleList list = new dev.fathom.nn.ModuleList(new Linear(2, 3), new ReLU())) {
            list.add(new Linear(3, 1, false));
            assertEquals("ModuleList(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n  (2): Linear(in_features=3, "
                    + "out_features=1, bias=False)\n)", list.toString());
            assertEquals(java.util.List.of("0.weight", "0.bias", "2.weight"), java.util.List.copyOf(list.stateDict().keySet()));
            assertEquals(3 * 2 + 3 + 3, list.parameterCount());
            assertEquals(3, list.size());
            assertTrue(list.get(1) instanceof ReLU);
            list.eval();
            for (dev.fathom.nn.Module m : list) {
                assertTrue(!m.isTraining(), "eval reaches every module");
            }
            Check.fails(UnsupportedOperationException.class, () -> list.forward(Tensor.zeros(1, 2)), "ModuleList has no forward");
            Check.fails(IndexOutOfBoundsException.class, () -> list.get(3), "index 3 is outside [0, 3)");
        }
    }

    @BackendTest
    void layersCallFunctionalWithTheirParameters(TestBackends.Case backend) {
        use(backend);
        Tensor x = Tensor.randn(4, 6);
        try (Linear lin = new Linear(6, 3); LayerNorm ln = new LayerNorm(6); Embedding emb = new Embedding(5, 2)) {
            assertEquals(List.of("weight", "bias"), List.copyOf(lin.namedParameters().keySet()));
            assertEquals(6 * 3 + 3, lin.parameterCount());
            assertArrayEquals(Functional.linear(x, lin.weight().data(), lin.bias().data()).toDoubleArray(), lin.forward(x).toDoubleArray());
            assertArrayEquals(Functional.layerNorm(x, new int[] {6}, null, null, 1e-5).toDoubleArray(), ln.forward(x).toDoubleArray(),
                    "LayerNorm starts at weight 1, bias 0");
            Tensor ids = Tensor.of(new long[] {4, 0, 4}, 3);
            assertArrayEquals(emb.weight().data().indexSelect(0, ids).toDoubleArray(), emb.forward(ids).toDoubleArray());
            // Gradients reach the module's parameters.
            lin.forward(x).sum().backward();
            double[] gb = lin.bias().grad().toDoubleArray();
            assertArrayEquals(new double[] {4, 4, 4}, gb, 1e-6, "d(sum)/d(bias) is the batch size");
        }
        try (Dropout d = new Dropout(0.5)) {
            d.eval();
            assertSame(x, d.forward(x), "dropout is the identity in eval");
        }
        assertArrayEquals(new int[] {2, 12}, new Flatten().forward(Tensor.zeros(2, 3, 4)).shape());
    }

    @BackendTest
    void stateDictRoundTrip(TestBackends.Case backend) {
        use(backend);
        Fathom.seed(1);
        Sequential a = mlp();
        Fathom.seed(2);
        Sequential b = mlp();
        Tensor x = Tensor.randn(8, 6);
        a.forward(x); // moves a's running statistics away from their initial values
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
                "4.weight", "4.bias"), List.copyOf(a.stateDict().keySet()));
        b.loadStateDict(a.stateDict(), true);
        a.stateDict().forEach((name, t) -> assertArrayEquals(t.toDoubleArray(), b.stateDict().get(name).toDoubleArray(), name));
        a.eval();
        b.eval();
        assertArrayEquals(a.forward(x).toDoubleArray(), b.forward(x).toDoubleArray(), "same state, same eval output");
        assertTrue(b.namedParameters().get("0.weight").data().requiresGrad(), "loading keeps parameters trainable");
        a.close();
        b.close();
    }

    @BackendTest
    void strictLoadNamesTheKeyThatDoesNotFit(TestBackends.Case backend) {
        use(backend);
        try (Sequential m = mlp()) {
            Map<String, Tensor> state = new LinkedHashMap<>(m.stateDict());
            state.remove("1.running_var");
            rejects(() -> m.loadStateDict(state, true), "missing", "1.running_var");
            m.loadStateDict(state, false);

            Map<String, Tensor> extra = new LinkedHashMap<>(m.stateDict());
            extra.put("2.weight", Tensor.zeros(3));
            rejects(() -> m.loadStateDict(extra, true), "unexpected", "2.weight");

            Map<String, Tensor> wrongShape = new LinkedHashMap<>(m.stateDict());
            wrongShape.put("4.weight", Tensor.zeros(5, 3));
            rejects(() -> m.loadStateDict(wrongShape, true), "4.weight", "[5, 3]", "[3, 5]");

            Map<String, Tensor> wrongDtype = new LinkedHashMap<>(m.stateDict());
            wrongDtype.put("0.bias", Tensor.zeros(DType.F64, 5));
            rejects(() -> m.loadStateDict(wrongDtype, true), "0.bias", "F64", "F32");

            Map<String, Tensor> closed = new LinkedHashMap<>(m.stateDict());
            Tensor gone = Tensor.zeros(5);
            gone.close();
            closed.put("0.bias", gone);
            rejects(() -> m.loadStateDict(closed, true), "loadStateDict(Sequential): \"0.bias\" was closed");
        }
    }

    @BackendTest
    void badConstructorArguments(TestBackends.Case backend) {
        use(backend);
        rejects(() -> new Linear(0, 3), "Linear", "in_features", "0");
        rejects(() -> new Dropout(-0.1), "Dropout", "-0.1");
        rejects(() -> new BatchNorm1d(0), "BatchNorm1d", "num_features");
        rejects(() -> new LayerNorm(new int[0], 1e-5, true), "LayerNorm");
        rejects(() -> new Embedding(3, 0), "Embedding", "embedding_dim");
        try (Linear lin = new Linear(3, 2)) {
            rejects(() -> lin.forward(Tensor.zeros(4, 5)), "linear", "[4, 5]", "in_features = 3");
        }
    }

    @BackendTest
    void scopedTrainingStepsLeakNothing(TestBackends.Case backend) {
        Device device = use(backend);
        Kernels k = Backends.kernels(device);
        Sequential m = mlp();
        Tensor x = Tensor.randn(8, 6);
        Tensor y = Tensor.of(new long[] {0, 1, 2, 0, 1, 2, 0, 1}, 8);
        float first = Float.NaN, last = Float.NaN;
        long afterFirst = -1;
        for (int step = 0; step < 30; step++) {
            try (Scope s = Scope.open()) {
                Tensor loss = Functional.crossEntropy(m.forward(x), y, null, -100, 0.1, dev.fathom.nn.Reduction.MEAN);
                loss.backward();
                try (var g = Autograd.noGrad()) {
                    for (Parameter p : m.parameters()) {
                        p.data().addInPlace(p.grad(), -0.1);
                    }
                }
                m.zeroGrad();
                last = loss.item();
                if (step == 0) {
                    first = last;
                }
            }
            if (step == 0) {
                afterFirst = settledLiveBuffers(device);
            }
        }
        assertEquals(afterFirst, k.memoryStats().liveBuffers(), "live buffers after 30 scoped steps");
        assertTrue(last < first, "the loop trained: loss went from " + first + " to " + last);
        for (Parameter p : m.parameters()) {
            assertNull(p.grad());
        }
        m.close();
    }
}
