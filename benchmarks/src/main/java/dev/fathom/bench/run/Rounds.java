package dev.fathom.bench.run;

import dev.fathom.bench.report.Measurement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The repeats of {@code scripts/bench --rounds}: an entry and its peer run in turn, round after
 * round, so that the machine's slow and fast minutes fall on both alike; each measurement is then
 * the median round's, whole (its error, GFLOP/s and the peer's own verdict on the machine come
 * with it). On the shared machines here a single training run of Fathom or of PyTorch swung by up
 * to a quarter between runs minutes apart.
 */
final class Rounds {
    private Rounds() {
    }

    /**
     * Per benchmark, backend, parameters and unit, the measurement whose value is the median of its
     * rounds (the lower middle one for an even count), in the order of first appearance.
     */
    static List<Measurement> medians(List<List<Measurement>> rounds) {
        Map<List<Object>, List<Measurement>> byKey = new LinkedHashMap<>();
        for (List<Measurement> round : rounds) {
            for (Measurement m : round) {
                byKey.computeIfAbsent(List.of(m.bench(), m.backend(), m.params(), m.unit()), k -> new ArrayList<>()).add(m);
            }
        }
        List<Measurement> out = new ArrayList<>();
        for (List<Measurement> same : byKey.values()) {
            same.sort(Comparator.comparingDouble(Measurement::value));
            out.add(same.get((same.size() - 1) / 2));
        }
        return out;
    }
}
