package dev.fathom.bench.run;

import dev.fathom.bench.report.Measurement;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Lines as the peer scripts print them (shortened from real runs of gemm.py, cnn_fmnist.py, charlm_transformer.py and dcgan_fmnist.py). */
class PeerLinesTest {

    @Test
    void gemmGivesNumpyAndTorchRowsInFathomsNames() {
        PeerLines.Parsed p = PeerLines.parse(List.of(
                "{\"suite\": \"peers-torch\", \"bench\": \"gemm\", \"threads\": 2, \"metric\": \"env\", \"torch\": \"1.13.0a0\", "
                        + "\"numpy\": \"1.24.2\", \"blas_kind\": \"openblas-openmp\", \"openblas_corename\": \"Zen\", \"simd\": {\"avx2\": true}}",
                "{\"suite\": \"peers-torch\", \"bench\": \"gemm\", \"threads\": 2, \"metric\": \"config\", \"sizes\": [256]}",
                "{\"suite\": \"peers-torch\", \"bench\": \"gemm\", \"threads\": 2, \"metric\": \"gflops\", \"value\": 240.76, \"unit\": \"GFLOP/s\", "
                        + "\"impl\": \"torch.mm\", \"n\": 256, \"ms_per_call_median\": 0.1394}",
                "{\"suite\": \"peers-torch\", \"bench\": \"gemm\", \"threads\": 2, \"metric\": \"gflops\", \"value\": 228.09, \"unit\": \"GFLOP/s\", "
                        + "\"impl\": \"numpy.dot\", \"n\": 256, \"ms_per_call_median\": 0.1471}",
                "{\"suite\": \"peers-torch\", \"bench\": \"gemm\", \"threads\": 2, \"metric\": \"script_wall_s\", \"value\": 29.302, \"unit\": \"s\", "
                        + "\"contaminated\": false}"));
        assertEquals(2, p.measurements().size());
        Measurement numpy = p.measurements().get(1);
        assertEquals("gemm", numpy.bench());
        assertEquals("numpy", numpy.backend());
        assertEquals("256", numpy.param("n"));
        assertEquals(0.1471, numpy.value());
        assertEquals("ms/op", numpy.unit());
        assertEquals(228.09, numpy.gflops());
        assertEquals(2, numpy.threads());
        assertEquals(Boolean.FALSE, numpy.contaminated());
        assertEquals("torch", p.measurements().get(0).backend());
        assertEquals("Zen", p.env().get("openblas_corename"));
        assertFalse(p.env().containsKey("simd"), "only plain values");
        assertEquals(29.302, p.wallSeconds());
    }

    @Test
    void trainingRatesTakeTheirShapeFromTheConfigAndTheVerdictFromTheWallLine() {
        PeerLines.Parsed p = PeerLines.parse(List.of(
                "{\"suite\": \"peers-torch\", \"bench\": \"charlm_transformer\", \"threads\": 2, \"metric\": \"config\", \"batch\": 32, \"ctx\": 128}",
                "{\"suite\": \"peers-torch\", \"bench\": \"charlm_transformer\", \"threads\": 2, \"metric\": \"train_tokens_per_s\", "
                        + "\"value\": 20943.2, \"unit\": \"tokens/s\", \"step_ms_median\": 195.577}",
                "{\"suite\": \"peers-torch\", \"bench\": \"charlm_transformer\", \"threads\": 2, \"metric\": \"val_loss\", \"value\": 4.7}",
                "{\"suite\": \"peers-torch\", \"bench\": \"charlm_transformer\", \"threads\": 2, \"metric\": \"script_wall_s\", \"value\": 80.1, "
                        + "\"contaminated\": true}"));
        assertEquals(1, p.measurements().size());
        Measurement m = p.measurements().get(0);
        assertEquals("train.gpt", m.bench());
        assertEquals("torch", m.backend());
        assertEquals("{batch=32, context=128}", m.params().toString());
        assertEquals(20943.2, m.value());
        assertEquals("tokens/s", m.unit());
        assertEquals(195.577, m.msPerOp());
        assertNull(m.error());
        assertTrue(m.contaminated());
        assertTrue(p.contaminated());
    }

    /** Lines of a real two-epoch run of cnn_fmnist.py: its first epoch carries PyTorch's warm-up, the overall rate too. */
    @Test
    void epochRunsAreComparedByTheirLastEpoch() {
        PeerLines.Parsed p = PeerLines.parse(List.of(
                "{\"bench\": \"cnn_fmnist\", \"threads\": 2, \"metric\": \"train_samples_per_s\", \"value\": 4596.0, \"unit\": \"samples/s\", "
                        + "\"epoch\": 1}",
                "{\"bench\": \"cnn_fmnist\", \"threads\": 2, \"metric\": \"test_acc\", \"value\": 0.8595, \"unit\": \"fraction\", \"epoch\": 1}",
                "{\"bench\": \"cnn_fmnist\", \"threads\": 2, \"metric\": \"train_samples_per_s\", \"value\": 5750.0, \"unit\": \"samples/s\", "
                        + "\"epoch\": 2}",
                "{\"bench\": \"cnn_fmnist\", \"threads\": 2, \"metric\": \"train_samples_per_s_overall\", \"value\": 5094.3, "
                        + "\"unit\": \"samples/s\", \"epochs\": 2}",
                "{\"bench\": \"cnn_fmnist\", \"threads\": 2, \"metric\": \"config\", \"epochs\": 2, \"batch\": 128}"));
        assertEquals(1, p.measurements().size());
        Measurement m = p.measurements().get(0);
        assertEquals("train.cnn", m.bench());
        assertEquals("{batch=128}", m.params().toString());
        assertEquals(5750.0, m.value());
        assertEquals("samples/s", m.unit());
    }

    @Test
    void dcganStepsPerSecond() {
        Measurement m = PeerLines.parse(List.of(
                "{\"bench\": \"dcgan_fmnist\", \"threads\": 2, \"metric\": \"steps_per_s\", \"value\": 4.0, \"unit\": \"steps/s\"}")).measurements()
                .get(0);
        assertEquals("train.dcgan", m.bench());
        assertEquals("{batch=64}", m.params().toString());
        assertEquals(250.0, m.msPerOp(), 1e-12);
    }

    @Test
    void brokenJsonSaysWhichLine() {
        String msg = assertThrows(IllegalArgumentException.class, () -> PeerLines.parse(List.of("{\"bench\": "))).getMessage();
        assertTrue(msg.startsWith("peer output: not a JSON line: {\"bench\": "), msg);
    }
}
