package dev.fathom.cpu;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A seed must give the same bits whatever the JIT has compiled (DESIGN.md: seeded runs repeat).
 * {@link DeterminismProbe} runs once in an interpreter-only JVM ({@code -Xint}: the Vector API's
 * Java fallbacks) and once in a C2-only JVM after warm-up rounds with synchronous compilation (the
 * vector intrinsics); every op's hash of raw float bits must match. Before the fix (on an AVX2
 * machine) last-axis softmax forward, softmax and log-softmax backward, layer norm forward and
 * backward, mean, sigmoid, attention forward and backward and the two training steps differed.
 */
class JitDeterminismTest {
    @Test
    void interpreterAndC2GiveTheSameBits() throws Exception {
        List<String> interpreted = probe(List.of("-Xint"), 0);
        List<String> compiled = probe(List.of("-XX:-TieredCompilation", "-XX:CompileThreshold=100",
                "-XX:-BackgroundCompilation"), 25);
        assertTrue(interpreted.size() >= 15, "probe printed " + interpreted);
        assertEquals(interpreted.size(), compiled.size(), "ops " + interpreted + " vs " + compiled);
        List<String> differing = new ArrayList<>();
        for (int i = 0; i < interpreted.size(); i++) {
            if (!interpreted.get(i).equals(compiled.get(i))) {
                differing.add(interpreted.get(i).split(" ")[0]);
            }
        }
        assertEquals(List.of(), differing, "ops whose bits differ between -Xint and C2");
    }

    private static List<String> probe(List<String> flags, int warmup) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(flags);
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                DeterminismProbe.class.getName(), Integer.toString(warmup)));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe did not finish: " + cmd);
        assertEquals(0, p.exitValue(), "probe failed: " + flags + "\n" + out);
        return out.lines().filter(l -> !l.isBlank()).toList();
    }
}
