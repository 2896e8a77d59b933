package dev.fathom.bench.run;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JmhRunnerTest {

    /** FATHOM_JAVA_OPTS reaches the forked JVMs: scripts/bench hands it over in fathom.bench.forkArgs. */
    @Test
    void theForkedJvmsGetTheScriptsExtraOptions() {
        String before = System.getProperty(JmhRunner.FORK_ARGS_PROPERTY);
        try {
            System.clearProperty(JmhRunner.FORK_ARGS_PROPERTY);
            List<String> base = List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow", "-Dfathom.threads=2");
            assertEquals(base, new JmhRunner(List.of("cpu"), true, 2).jvmArgs());
            System.setProperty(JmhRunner.FORK_ARGS_PROPERTY, "  -Xmx8g   -Dfathom.cpu.poolBytes=1048576 ");
            List<String> extended = new java.util.ArrayList<>(base);
            extended.addAll(List.of("-Xmx8g", "-Dfathom.cpu.poolBytes=1048576"));
            assertEquals(extended, new JmhRunner(List.of("cpu"), true, 2).jvmArgs());
        } finally {
            if (before == null) {
                System.clearProperty(JmhRunner.FORK_ARGS_PROPERTY);
            } else {
                System.setProperty(JmhRunner.FORK_ARGS_PROPERTY, before);
            }
        }
    }
}
