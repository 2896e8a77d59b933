package dev.fathom.bench.report;

import java.util.List;
import java.util.Map;

/**
 * Whether the PyTorch peers ran, and what the report says about them.
 *
 * @param notRunReason why they did not run ({@code --no-peers}, no {@code python3-torch}, …), or null when they ran
 * @param details      lines about the run: the BLAS that served them, torch's version, each script's wall time
 * @param failures     one line per script that failed
 * @param skipped      per {@code bench} whose peer was left out on purpose, a few words why (e.g. "not run with --quick")
 */
public record PeerStatus(String notRunReason, List<String> details, List<String> failures, Map<String, String> skipped) {

    public PeerStatus {
        details = List.copyOf(details);
        failures = List.copyOf(failures);
        skipped = Map.copyOf(skipped);
    }

    public static PeerStatus notRun(String reason) {
        return new PeerStatus(reason, List.of(), List.of(), Map.of());
    }

    public boolean ran() {
        return notRunReason == null;
    }
}
