package dev.fathom.bench.report;

import java.util.List;

/**
 * Whether the PyTorch peers ran, and what the report says about them.
 *
 * @param notRunReason why they did not run ({@code --no-peers}, no {@code python3-torch}, …), or null when they ran
 * @param details      lines about the run: the BLAS that served them, torch's version, each script's wall time
 * @param failures     one line per script that failed
 */
public record PeerStatus(String notRunReason, List<String> details, List<String> failures) {

    public PeerStatus {
        details = List.copyOf(details);
        failures = List.copyOf(failures);
    }

    public static PeerStatus notRun(String reason) {
        return new PeerStatus(reason, List.of(), List.of());
    }

    public boolean ran() {
        return notRunReason == null;
    }
}
