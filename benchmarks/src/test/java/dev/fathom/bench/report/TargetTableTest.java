package dev.fathom.bench.report;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.fathom.bench.report.Fixtures.gemm;
import static dev.fathom.bench.report.Fixtures.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class TargetTableTest {

    @Test
    void ratiosAgainstThePeersOfTheSameRun() {
        List<Measurement> ms = List.of(
                gemm("cpu", 256, 0.17, null, 200, null, null),
                gemm("numpy", 256, 0.15, null, 228, null, false),
                gemm("torch", 256, 0.14, null, 240, null, false),    // torch.mm is shown, but the target is numpy.dot
                gemm("cpu", 512, 1.07, null, 250, null, null),
                gemm("numpy", 512, 0.93, null, 287.14, null, false),
                gemm("cpu", 1024, 8.0, null, 268, null, null),
                train("train.mlp", "cpu", 90000, null, null),
                train("train.mlp", "torch", 79368.4, null, true));
        List<TargetTable.Row> rows = TargetTable.rows(ms);
        assertEquals(9, rows.size());
        assertEquals(200 / 228.0, rows.get(0).ratio(), 1e-12);
        assertNull(rows.get(2).ratio());
        assertEquals(List.of(
                "| work | peer | Fathom (cpu) | ratio | target | met? |",
                "| --- | --- | --- | --- | --- | --- |",
                "| SGEMM N = 256, GFLOP/s | 228 (numpy.dot) | 200 | 0.88× | ≥ 0.80× | yes |",
                "| SGEMM N = 512, GFLOP/s | 287 (numpy.dot) | 250 | 0.87× | ≥ 0.90× | no |",
                "| SGEMM N = 1024, GFLOP/s | not measured | 268 |  | ≥ 0.90× | — |",
                "| SGEMM N = 2048, GFLOP/s | not measured | not measured |  | ≥ 0.90× | — |",
                "| MLP, samples/s | 79368 * (PyTorch mlp_fmnist.py) | 90000 | 1.13× | ≥ 1.00× | yes (peer disturbed) |",
                "| CNN, samples/s | not run with --quick | not measured |  | ≥ 1.00× | — |",
                "| GPT char-LM, tokens/s | not measured | not measured |  | ≥ 1.00× | — |",
                "| LSTM char-LM, tokens/s | not measured | not measured |  | ≥ 1.00× | — |",
                "| DCGAN, steps/s | not measured | not measured |  | ≥ 1.00× | — |"),
                TargetTable.render(rows, null, Map.of("train.cnn", "not run with --quick")).lines().toList());
    }

    @Test
    void withoutPeersThePeerColumnSaysNotRunAndNoRatio() {
        List<TargetTable.Row> rows = TargetTable.rows(List.of(gemm("cpu", 256, 0.17, null, 200, null, null)));
        assertEquals("| SGEMM N = 256, GFLOP/s | not run | 200 |  | ≥ 0.80× | — |",
                TargetTable.render(rows, "--no-peers", Map.of()).lines().toList().get(2));
    }
}
