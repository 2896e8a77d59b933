package dev.fathom.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fathom.Fathom;
import dev.fathom.autograd.Autograd;
import dev.fathom.io.SafeTensors;
import dev.fathom.nn.Functional;
import dev.fathom.nn.GRU;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.nn.RNN;
import dev.fathom.nn.Recurrent;
import dev.fathom.nn.RecurrentOutput;
import dev.fathom.optim.Adam;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import dev.fathom.train.GanStep;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Gpt and LstmLM compute what the PyTorch reference models compute: the peers' own definitions
 * ({@code torch-golden.py}, from {@code charlm_transformer.py} and {@code charlm_lstm.py} at small
 * sizes), loaded with this test's weights, gave the logits, the loss and every parameter's gradient
 * norm in {@code torch-golden.json}. This checks the layout too (packed q/k/v rows, head split,
 * GELU, LayerNorm, PyTorch's LSTM gate order). The same for nn.GRU, nn.RNN(tanh) and the DCGAN's nets
 * on fixed weights (a sine formula both sides compute), the DCGAN through two training steps.
 */
class TorchGoldenTest {
    private static final int V = 20;

    private static JsonNode golden() throws IOException {
        try (InputStream in = TorchGoldenTest.class.getResourceAsStream("torch-golden.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    @Test
    void gptAndLstmMatchPyTorchOnTheSameWeights() throws IOException {
        JsonNode golden = golden();
        Fathom.seed(11);
        long[] ids = new long[24];
        long[] targets = new long[24];
        for (int i = 0; i < 24; i++) {
            ids[i] = (i * 7 + 3) % V;
            targets[i] = (i * 5 + 1) % V;
        }
        for (String arch : new String[] {"gpt", "lstm"}) {
            Module m = arch.equals("gpt") ? new Gpt(new Gpt.Config(V, 16, 32, 2, 4, false)) : new LstmLM(new LstmLM.Config(V, 8, 16, 2));
            try (m; Scope s = Scope.open()) {
                try (var g = Autograd.noGrad()) {
                    // biases and LayerNorms off their 0/1 init, so that they count
                    for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
                        if (e.getKey().contains("bias") || e.getKey().contains("ln")) {
                            e.getValue().data().addInPlace(Tensor.randn(e.getValue().shape()).mul(0.1));
                        }
                    }
                }
                Tensor logits = ((CharLm) m).forward(Tensor.of(ids, 2, 12));
                Tensor loss = Functional.crossEntropy(logits.reshape(24, V), Tensor.of(targets, 24));
                loss.backward();
                export(arch, m, logits, ids, targets);
                JsonNode ref = golden.get(arch);
                assertEquals(ref.get("loss").asDouble(), loss.itemDouble(), 1e-5, arch);
                float[] got = logits.toFloatArray();
                for (int i = 0; i < got.length; i++) {
                    assertEquals(ref.get("logits").get(i).asDouble(), got[i], 2e-5, arch + " logit " + i);
                }
                for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
                    double norm = Math.sqrt(e.getValue().grad().pow(2).sum().itemDouble());
                    double want = ref.get("grad_norms").get(e.getKey()).asDouble();
                    assertEquals(want, norm, 1e-4 * want + 1e-7, arch + " gradient of " + e.getKey());
                }
            }
        }
    }

    /**
     * Value k of parameter (or input) p: {@code offset + scale·sin(0.731·k + 1.37·p + 0.2)}, in double
     * rounded to F32, as {@code fixed} in torch-golden.py.
     */
    static float[] fixed(int n, int p, double scale, double offset) {
        float[] v = new float[n];
        for (int k = 0; k < n; k++) {
            v[k] = (float) (offset + scale * Math.sin(0.731 * k + 1.37 * p + 0.2));
        }
        return v;
    }

    /** Fills {@code m}'s parameters in order, parameter j with formula index {@code first + j}; returns their names. */
    private static List<String> fill(Module m, int first, BiFunction<String, Parameter, double[]> scaleAndOffset) {
        List<String> names = new ArrayList<>();
        try (var g = Autograd.noGrad()) {
            int j = 0;
            for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
                Parameter p = e.getValue();
                double[] so = scaleAndOffset.apply(e.getKey(), p);
                p.data().copyFrom(Tensor.of(fixed((int) p.numel(), first + j++, so[0], so[1]), p.shape()));
                names.add(e.getKey());
            }
        }
        return names;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static void assertValues(JsonNode want, Tensor got, double tol, String what) {
        float[] g = got.contiguous().toFloatArray();
        assertEquals(want.size(), g.length, what + ": size");
        for (int i = 0; i < g.length; i++) {
            assertEquals(want.get(i).asDouble(), g[i], tol, what + " " + i);
        }
    }

    private static double norm(Tensor t) {
        return Math.sqrt(t.pow(2).sum().itemDouble());
    }

    /**
     * nn.GRU and nn.RNN(tanh) of PyTorch on the same fixed weights, input and initial state: the
     * output sequence, the final state and every gradient norm. A gate in another row block (PyTorch's
     * GRU rows are r, z, n), the reset gate applied before the hidden projection, or a missing b_hn
     * would each move these.
     */
    @Test
    void gruAndTanhRnnMatchPyTorchOnFixedWeights() throws IOException {
        JsonNode golden = golden();
        for (String name : new String[] {"gru", "rnn_tanh"}) {
            JsonNode ref = golden.get(name);
            try (Recurrent layer = name.equals("gru") ? new GRU(3, 4, 1, true, true, 0) : new RNN(3, 4, 1, RNN.Nonlinearity.TANH, true, true, 0);
                 Scope s = Scope.open()) {
                assertEquals(strings(ref.get("names")), fill(layer, 0, (n, p) -> new double[] {0.5, 0}), name + ": PyTorch's parameter names");
                Tensor x = Tensor.of(fixed(2 * 5 * 3, 50, 1, 0), 2, 5, 3).requiresGrad(true);
                Tensor h0 = Tensor.of(fixed(2 * 4, 51, 0.5, 0), 1, 2, 4).requiresGrad(true);
                Tensor c = Tensor.of(fixed(2 * 5 * 4, 52, 1, 0), 2, 5, 4);
                RecurrentOutput r = layer instanceof GRU gru ? gru.forward(x, h0) : ((RNN) layer).forward(x, h0);
                Tensor loss = r.output().mul(c).sum().add(r.hN().pow(2).sum());
                loss.backward();
                assertEquals(ref.get("loss").asDouble(), loss.itemDouble(), 1e-5, name + " loss");
                assertValues(ref.get("output"), r.output(), 1e-6, name + " output");
                assertValues(ref.get("h_n"), r.hN(), 1e-6, name + " h_n");
                JsonNode norms = ref.get("grad_norms");
                for (Map.Entry<String, Parameter> e : layer.namedParameters().entrySet()) {
                    double want = norms.get(e.getKey()).asDouble();
                    assertEquals(want, norm(e.getValue().grad()), 1e-5 * want + 1e-7, name + " gradient of " + e.getKey());
                }
                assertEquals(norms.get("input").asDouble(), norm(x.grad()), 1e-5 * norms.get("input").asDouble(), name + " gradient of the input");
                assertEquals(norms.get("h0").asDouble(), norm(h0.grad()), 1e-5 * norms.get("h0").asDouble(), name + " gradient of h0");
            }
        }
    }

    /**
     * dcgan_fmnist.py's nets in PyTorch on the same fixed weights and batch (4 noise vectors, 4
     * "real" images): G(z), D(real) and D(G(z)) of the first forward (batch norm on batch
     * statistics), then the D and G losses of two {@link GanStep}s on that batch with the reference
     * Adam, the second showing both updates.
     */
    @Test
    void dcganMatchesPyTorchOnFixedWeights() throws IOException {
        JsonNode ref = golden().get("dcgan");
        // Matrices and kernels 1/sqrt(numel / size(0)), biases 0.1 sin, batch-norm weights 1 + 0.1 sin.
        BiFunction<String, Parameter, double[]> scale = (n, p) -> p.shape().length > 1
                ? new double[] {1 / Math.sqrt(p.numel() / (double) p.shape()[0]), 0}
                : n.endsWith("weight") ? new double[] {0.1, 1} : new double[] {0.1, 0};
        try (Dcgan gan = new Dcgan();
             Adam optG = new Adam(gan.generator().parameters(), Dcgan.adam());
             Adam optD = new Adam(gan.discriminator().parameters(), Dcgan.adam());
             Scope s = Scope.open()) {
            assertEquals(strings(ref.get("g_names")), fill(gan.generator(), 0, scale));
            assertEquals(strings(ref.get("d_names")), fill(gan.discriminator(), 20, scale));
            Tensor z = Tensor.of(fixed(4 * 64, 100, 1, 0), 4, 64);
            Tensor real = Tensor.of(fixed(4 * 784, 101, 0.9, 0), 4, 1, 28, 28);
            try (var g = Autograd.noGrad()) {
                Tensor fake = gan.generator().forward(z);
                assertValues(ref.get("g_out"), fake, 2e-5, "G(z)");
                assertValues(ref.get("d_real"), gan.discriminator().forward(real), 2e-5, "D(real)");
                assertValues(ref.get("d_fake"), gan.discriminator().forward(fake), 2e-5, "D(G(z))");
            }
            GanStep step = new GanStep(gan.generator(), gan.discriminator(), optG, optD);
            for (int i = 0; i < 2; i++) {
                GanStep.Losses l = step.step(real, z, i + 1);
                assertEquals(ref.get("d_loss").get(i).asDouble(), l.d(), 1e-5, "d_loss of step " + (i + 1));
                assertEquals(ref.get("g_loss").get(i).asDouble(), l.g(), 1e-5, "g_loss of step " + (i + 1));
            }
        }
    }


    /** With -Dfathom.golden.export=DIR, writes the weights, inputs and outputs that torch-golden.py reads. */
    private static void export(String arch, Module m, Tensor logits, long[] ids, long[] targets) throws IOException {
        String dir = System.getProperty("fathom.golden.export");
        if (dir == null) {
            return;
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.namedParameters().forEach((n, p) -> {
            out.put(n, p.data());
            out.put("grad." + n, p.grad());
        });
        out.put("logits", logits.contiguous());
        out.put("ids", Tensor.of(ids, 2, 12));
        out.put("targets", Tensor.of(targets, 24));
        SafeTensors.save(Path.of(dir, "golden-" + arch + ".safetensors"), out, Map.of());
    }
}
