package dev.fathom.bench.run;

import dev.fathom.bench.report.Measurement;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class RoundsTest {

    private static Measurement rate(String bench, String backend, long batch, double value, Double error) {
        return new Measurement(bench, backend, Map.of("batch", batch), value, "samples/s", error, null, null, null, null, 2, null);
    }

    @Test
    void eachMeasurementIsItsMedianRoundWhole() {
        Measurement f1 = rate("train.mlp", "cpu", 128, 300, 1.0), f2 = rate("train.mlp", "cpu", 128, 100, 2.0);
        Measurement f3 = rate("train.mlp", "cpu", 128, 200, 3.0);
        Measurement p1 = rate("train.mlp", "torch", 128, 250, null), p2 = rate("train.mlp", "torch", 128, 260, null);
        Measurement p3 = rate("train.mlp", "torch", 128, 90, null);
        List<Measurement> m = Rounds.medians(List.of(List.of(f1, p1), List.of(f2, p2), List.of(f3, p3)));
        assertEquals(2, m.size());
        assertSame(f3, m.get(0), "Fathom's median round (200 of 100, 200, 300), with its own error");
        assertSame(p1, m.get(1), "the peer's median round (250 of 90, 250, 260): medians per backend, not per round");
    }

    @Test
    void keysSeparateBenchmarksAndParametersAndEvenCountsTakeTheLowerMiddle() {
        Measurement a1 = rate("train.cnn", "cpu", 128, 10, null), a2 = rate("train.cnn", "cpu", 128, 40, null);
        Measurement b1 = rate("train.cnn", "cpu", 64, 7, null), b2 = rate("train.cnn", "cpu", 64, 5, null);
        List<Measurement> m = Rounds.medians(List.of(List.of(a1, b1), List.of(b2, a2)));
        assertEquals(List.of(a1, b2), m, "order of first appearance; the lower of two");
        assertEquals(List.of(a1), Rounds.medians(List.of(List.of(a1))), "one round is itself");
    }
}
