package dev.fathom.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The table of issue 7's targets: work | peer | Fathom | ratio | target | met?, with Fathom's
 * {@code cpu} backend against the peer measured in the same run. A row whose peer or Fathom number
 * is missing says why and has no ratio; a ratio against a peer run that other processes disturbed
 * is marked, since a slowed peer flatters Fathom.
 */
public final class TargetTable {
    private static final String FATHOM_BACKEND = "cpu";

    /** One row, for the report and the ratio chart: {@code ratio} is null when it cannot be computed. */
    public record Row(Target target, Measurement peer, Measurement fathom, Double ratio) {

        /** "yes", "no", or "—" when there is no ratio. */
        public String met() {
            if (ratio == null) {
                return "—";
            }
            String verdict = ratio >= target.min() ? "yes" : "no";
            return Boolean.TRUE.equals(peer.contaminated()) ? verdict + " (peer disturbed)" : verdict;
        }
    }

    private TargetTable() {
    }

    /** The rows of every target, from {@code ms}. */
    public static List<Row> rows(List<Measurement> ms) {
        List<Row> rows = new ArrayList<>();
        for (Target t : Target.ISSUE_7) {
            Measurement peer = find(ms, t, t.peer()).orElse(null);
            Measurement fathom = find(ms, t, FATHOM_BACKEND).orElse(null);
            Double ratio = peer != null && fathom != null && peer.rate() > 0 ? fathom.rate() / peer.rate() : null;
            rows.add(new Row(t, peer, fathom, ratio));
        }
        return rows;
    }

    /**
     * The Markdown table; {@code peersMissing} is the reason peers were not run (null when they
     * were), {@code peerSkipped} says per {@code bench} why its peer was left out; both show in the
     * peer column.
     */
    public static String render(List<Row> rows, String peersMissing, Map<String, String> peerSkipped) {
        StringBuilder sb = new StringBuilder();
        FamilyTable.row(sb, List.of("work", "peer", "Fathom (cpu)", "ratio", "target", "met?"));
        FamilyTable.row(sb, List.of("---", "---", "---", "---", "---", "---"));
        for (Row r : rows) {
            String peer = r.peer() != null ? rate(r.peer()) + " (" + r.target().peerName() + ")"
                    : peersMissing != null ? "not run" : peerSkipped.getOrDefault(r.target().bench(), "not measured");
            String fathom = r.fathom() != null ? rate(r.fathom()) : "not measured";
            FamilyTable.row(sb, List.of(r.target().work(), peer, fathom, r.ratio() == null ? "" : Fmt.ratio(r.ratio()),
                    "≥ " + Fmt.ratio(r.target().min()), r.met()));
        }
        return sb.toString();
    }

    private static String rate(Measurement m) {
        String s = Fmt.num(m.rate());
        return Boolean.TRUE.equals(m.contaminated()) ? s + " *" : s;
    }

    private static Optional<Measurement> find(List<Measurement> ms, Target t, String backend) {
        return ms.stream().filter(m -> m.backend().equals(backend) && t.matches(m)).findFirst();
    }
}
