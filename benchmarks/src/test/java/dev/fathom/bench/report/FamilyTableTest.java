package dev.fathom.bench.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.fathom.bench.report.Fixtures.gemm;
import static dev.fathom.bench.report.Fixtures.train;
import static org.junit.jupiter.api.Assertions.assertEquals;

class FamilyTableTest {
    private static final List<String> ORDER = List.of("cpu", "cuda", "numpy", "torch");

    private static Family family(String titleStart) {
        return Family.ALL.stream().filter(f -> f.title().startsWith(titleStart)).findFirst().orElseThrow();
    }

    @Test
    void gemmTableSetsBackendsSideBySideWithRateAndPeak() {
        List<Measurement> ms = List.of(
                gemm("numpy", 256, 0.147, null, 228.09, 0.0465, true),
                gemm("cpu", 256, 0.15, 0.002, 223.7, 0.4567, null),
                gemm("cpu", 512, 1.25, null, 214.7, null, null),
                train("train.mlp", "cpu", 5000, 250.0, null));
        String table = FamilyTable.render(family("GEMM"), ms, ORDER);
        assertEquals(List.of(
                "| bench | params | unit | cpu | cpu GFLOP/s | cpu % peak | numpy | numpy GFLOP/s | numpy % peak |",
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
                "| gemm | n=256 | ms/op | 0.150 ± 0.00200 | 224 | 45.7% | 0.147 * | 228 | 4.65% |",
                "| gemm | n=512 | ms/op | 1.25 | 215 | — | — | — | — |",
                "",
                "\\* the peer's own check found other processes using the CPUs while it measured."), table.lines().toList());
    }

    @Test
    void trainingTableHasNoRateColumns() {
        List<Measurement> ms = List.of(
                train("train.mlp", "cpu", 5000, 250.0, null),
                train("train.mlp", "torch", 79368.4, null, false),
                gemm("cpu", 256, 0.15, 0.002, 223.7, 0.4567, null));
        assertEquals(List.of(
                "| bench | params | unit | cpu | torch |",
                "| --- | --- | --- | --- | --- |",
                "| train.mlp | batch=128 | samples/s | 5000 ± 250 | 79368 |"),
                FamilyTable.render(family("Training"), ms, ORDER).lines().toList());
    }

    @Test
    void familyWithoutMeasurementsRendersNothing() {
        assertEquals("", FamilyTable.render(family("Attention"), List.of(gemm("cpu", 256, 1, null, 1, null, null)), ORDER));
    }

    @Test
    void everyBenchNameBelongsToExactlyOneFamily() {
        for (String bench : List.of("gemm", "conv2d.forward", "conv2d.forward_backward", "add", "sum", "sum_axis", "softmax", "layer_norm",
                "attention.fused_forward", "train.mlp", "train.dcgan")) {
            assertEquals(1, Family.ALL.stream().filter(f -> f.member().test(bench)).count(), bench);
        }
    }
}
