package dev.fathom.bench.run;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchOptionsTest {

    private static BenchOptions parse(String... args) throws UsageException {
        return BenchOptions.parse(args, null);
    }

    private static String error(String... args) {
        return assertThrows(UsageException.class, () -> parse(args)).getMessage();
    }

    @Test
    void defaults() throws Exception {
        BenchOptions o = parse();
        assertFalse(o.quick());
        assertEquals(List.of(), o.backends());
        assertNull(o.only());
        assertEquals(Path.of("bench-out"), o.out());
        assertFalse(o.noPeers());
        assertEquals(2, o.threads());
        assertEquals(1, o.rounds());
        assertEquals(3, BenchOptions.parse(new String[0], "3").threads(), "FATHOM_THREADS is the default");
    }

    @Test
    void everyOptionInBothSpellings() throws Exception {
        BenchOptions o = parse("--quick", "--backends", "CPU, cuda,cpu", "--only=train\\.", "--out", "x/y", "--no-peers", "--threads=4",
                "--rounds", "3");
        assertTrue(o.quick());
        assertEquals(List.of("cpu", "cuda"), o.backends());
        assertEquals("train\\.", o.only().pattern());
        assertEquals(Path.of("x/y"), o.out());
        assertTrue(o.noPeers());
        assertEquals(4, o.threads());
        assertEquals(3, o.rounds());
        assertEquals(5, parse("--rounds=5").rounds());
        assertTrue(parse("-h").help());
    }

    @Test
    void badOptionsSayWhatIsWrong() {
        assertEquals("unknown option --fast; see scripts/bench --help", error("--fast"));
        assertEquals("unexpected argument \"gemm\"; scripts/bench takes only options (see --help)", error("gemm"));
        assertEquals("--out needs a value; see scripts/bench --help", error("--out"));
        assertEquals("--only needs a value; see scripts/bench --help", error("--only", "--quick"));
        assertEquals("--threads must be a positive integer, got \"0\"", error("--threads", "0"));
        assertEquals("--threads must be a positive integer, got \"two\"", error("--threads=two"));
        assertEquals("--rounds must be a positive integer, got \"0\"", error("--rounds=0"));
        assertEquals("--rounds needs a value; see scripts/bench --help", error("--rounds"));
        assertEquals("--backends: empty name in \"cpu,\"; give a comma-separated list such as cpu,cuda", error("--backends", "cpu,"));
        assertEquals("--quick takes no value, got \"yes\"", error("--quick=yes"));
        assertTrue(error("--only", "(").startsWith("--only: \"(\" is not a regular expression"), error("--only", "("));
        assertEquals("FATHOM_THREADS must be a positive integer, got \"-1\"",
                assertThrows(UsageException.class, () -> BenchOptions.parse(new String[0], "-1")).getMessage());
    }

    @Test
    void usageListsTheEntries() {
        String u = BenchOptions.usage(Suite.names());
        assertTrue(u.startsWith("Usage: scripts/bench [--quick]"), u);
        assertTrue(u.contains("gemm, conv2d, elementwise"), u);
    }
}
