package dev.fathom.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One family's table in Markdown: a row per benchmark and parameter set, and per backend (Fathom's
 * first, then the peers, in the order given) three columns: the value with JMH's error, the
 * family's rate (GFLOP/s or GB/s) and its share of the machine's peak. A value from a peer run
 * that other processes disturbed is marked {@code *}, with a note under the table.
 */
public final class FamilyTable {
    private static final String NONE = "—";

    private FamilyTable() {
    }

    /** The table of {@code family} over {@code ms}, or the empty string when none of them belongs to it. */
    public static String render(Family family, List<Measurement> ms, List<String> backendOrder) {
        List<Measurement> mine = ms.stream().filter(m -> family.member().test(m.bench())).toList();
        if (mine.isEmpty()) {
            return "";
        }
        List<String> backends = new ArrayList<>();
        for (String b : backendOrder) {
            if (mine.stream().anyMatch(m -> m.backend().equals(b))) {
                backends.add(b);
            }
        }
        for (Measurement m : mine) {
            if (!backends.contains(m.backend())) {
                backends.add(m.backend());
            }
        }
        Map<String, Map<String, Measurement>> rows = new LinkedHashMap<>();
        for (Measurement m : mine) {
            rows.computeIfAbsent(rowKey(m), k -> new LinkedHashMap<>()).put(m.backend(), m);
        }
        boolean rates = family.rate() != Family.Rate.NONE;
        StringBuilder sb = new StringBuilder();
        List<String> header = new ArrayList<>(List.of("bench", "params", "unit"));
        for (String b : backends) {
            header.add(b);
            if (rates) {
                header.add(b + " " + family.rate().label);
                header.add(b + " % peak");
            }
        }
        row(sb, header);
        row(sb, header.stream().map(h -> "---").toList());
        boolean contaminated = false;
        for (Map<String, Measurement> byBackend : rows.values()) {
            Measurement first = byBackend.values().iterator().next();
            List<String> cells = new ArrayList<>(List.of(first.bench(), params(first), first.unit()));
            for (String b : backends) {
                Measurement m = byBackend.get(b);
                if (m == null) {
                    cells.add(NONE);
                    if (rates) {
                        cells.add(NONE);
                        cells.add(NONE);
                    }
                    continue;
                }
                contaminated |= Boolean.TRUE.equals(m.contaminated());
                cells.add(value(m, first.unit()));
                if (rates) {
                    Double r = family.rate() == Family.Rate.GFLOPS ? m.gflops() : m.gbps();
                    cells.add(r == null ? NONE : Fmt.num(r));
                    cells.add(m.peakFrac() == null ? NONE : Fmt.pct(m.peakFrac()));
                }
            }
            row(sb, cells);
        }
        if (contaminated) {
            sb.append("\n\\* the peer's own check found other processes using the CPUs while it measured.\n");
        }
        return sb.toString();
    }

    /** {@code "0.150 ± 0.00200"}, with the unit appended when it differs from the row's, and {@code *} when contaminated. */
    static String value(Measurement m, String rowUnit) {
        String s = Fmt.num(m.value());
        if (m.error() != null && Double.isFinite(m.error())) {
            s += " ± " + Fmt.num(m.error());
        }
        if (!m.unit().equals(rowUnit)) {
            s += " " + m.unit();
        }
        return Boolean.TRUE.equals(m.contaminated()) ? s + " *" : s;
    }

    /** {@code "n=512"}, {@code "rows=8192, cols=1024"}. */
    public static String params(Measurement m) {
        return m.params().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }

    private static String rowKey(Measurement m) {
        return m.bench() + "|" + params(m);
    }

    static void row(StringBuilder sb, List<String> cells) {
        sb.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }
}
