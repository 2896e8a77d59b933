package dev.fathom.bench.report;

import java.util.List;
import java.util.Objects;

/**
 * {@code bench-report.md}: the machine, issue 7's target table (Fathom's {@code cpu} backend
 * against the peers of the same run), one table per {@link Family} with the backends side by side,
 * and the charts, which {@link Charts} writes next to it.
 *
 * @param command      the command line that made the report
 * @param settings     how JMH measured (iterations, times), one line
 * @param backendOrder column order: Fathom's backends, then the peers
 * @param gemmChart    the GEMM chart's file name, or null when there is none
 * @param ratioChart   the ratio chart's file name, or null when there is none
 */
public record Report(String command, String settings, Machine machine, List<Measurement> measurements, List<String> backendOrder,
                     PeerStatus peers, String gemmChart, String ratioChart) {

    public Report {
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(peers, "peers");
        measurements = List.copyOf(measurements);
        backendOrder = List.copyOf(backendOrder);
    }

    /** The Markdown text. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Fathom benchmark report\n\n");
        sb.append("`").append(command).append("`: ").append(settings).append("\n\n");
        sb.append("## Machine\n\n");
        machine.lines().forEach(l -> sb.append(l).append('\n'));
        List<Measurement> over = measurements.stream().filter(m -> m.peakFrac() != null && m.peakFrac() > 1).toList();
        if (!over.isEmpty()) {
            double most = over.stream().mapToDouble(Measurement::peakFrac).max().orElseThrow();
            sb.append("- Above the computed peak: ").append(over.size()).append(" measurement(s), up to ")
                    .append(String.format(java.util.Locale.ROOT, "%.1f%%", 100 * most)).append(" (")
                    .append(String.join(", ", over.stream().map(m -> m.bench() + " " + m.backend() + " " + m.params()).distinct().limit(4).toList()))
                    .append("). The peaks are estimates: the CPU's from the ").append(machine.peak().clockSource())
                    .append(" clock, which a CPU that boosts runs above; memory's from the measured bandwidth, which data held in cache beats. ")
                    .append("A fraction above 100% says the estimate is low.\n");
        }
        sb.append("\n## Issue 7 targets\n\n");
        sb.append("Fathom's cpu backend against the peers measured in this run, ").append(machine.threads())
                .append(" thread(s) each; ratio = Fathom's rate / the peer's (higher is better).\n\n");
        sb.append(TargetTable.render(TargetTable.rows(measurements), peers.notRunReason(), peers.skipped()));
        if (measurements.stream().anyMatch(m -> Boolean.TRUE.equals(m.contaminated()))) {
            sb.append("\n\\* the peer's own check found other processes using the CPUs while it measured.\n");
        }
        if (ratioChart != null) {
            sb.append("\n![Fathom / peer ratios](").append(ratioChart).append(")\n");
        }
        sb.append("\n## Peers\n\n");
        if (!peers.ran()) {
            sb.append("peers not run: ").append(peers.notRunReason()).append("\n");
        } else {
            peers.details().forEach(d -> sb.append("- ").append(d).append('\n'));
            peers.failures().forEach(f -> sb.append("- FAILED: ").append(f).append('\n'));
        }
        for (Family f : Family.ALL) {
            String table = FamilyTable.render(f, measurements, backendOrder);
            if (table.isEmpty()) {
                continue;
            }
            sb.append("\n## ").append(f.title()).append("\n\n").append(f.note()).append("\n\n").append(table);
            if (f.title().startsWith("GEMM") && gemmChart != null) {
                sb.append("\n![GEMM GFLOP/s against N](").append(gemmChart).append(")\n");
            }
        }
        return sb.toString();
    }
}
