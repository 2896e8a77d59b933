package dev.fathom.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fathom.Fathom;
import dev.fathom.autograd.Autograd;
import dev.fathom.io.SafeTensors;
import dev.fathom.nn.Functional;
import dev.fathom.nn.Module;
import dev.fathom.nn.Parameter;
import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Gpt and LstmLM compute what the PyTorch reference models compute: the peers' own definitions
 * ({@code torch-golden.py}, from {@code charlm_transformer.py} and {@code charlm_lstm.py} at small
 * sizes), loaded with this test's weights, gave the logits, the loss and every parameter's gradient
 * norm in {@code torch-golden.json}. This checks the layout too (packed q/k/v rows, head split,
 * GELU, LayerNorm, PyTorch's LSTM gate order).
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
