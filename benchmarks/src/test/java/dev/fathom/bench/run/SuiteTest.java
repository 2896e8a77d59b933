package dev.fathom.bench.run;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SuiteTest {

    @Test
    void everyEntryNamesRealBenchmarkMethodsAndParams() {
        for (SuiteEntry e : Suite.ALL) {
            Set<String> methods = new HashSet<>();
            for (Method m : e.benchmark().getMethods()) {
                if (m.isAnnotationPresent(Benchmark.class)) {
                    methods.add(m.getName());
                }
            }
            assertTrue(methods.containsAll(e.methods().keySet()), e.name() + ": " + e.methods().keySet() + " not all in " + methods);
            Set<String> params = new HashSet<>();
            for (Field f : e.benchmark().getFields()) {
                if (f.isAnnotationPresent(Param.class)) {
                    params.add(f.getName());
                }
            }
            assertTrue(params.contains("backend"), e.name() + " has no backend @Param");
            assertTrue(params.containsAll(e.full().keySet()) && params.containsAll(e.quick().keySet()) && params.containsAll(e.shown()),
                    e.name() + ": parameters " + e.full().keySet() + e.quick().keySet() + e.shown() + " not all in " + params);
        }
    }

    @Test
    void onlySelectsByNameAndRejectsAPatternThatMatchesNothing() throws Exception {
        assertEquals(List.of("train.mlp", "train.cnn", "train.gpt", "train.lstm", "train.dcgan"),
                Suite.select(Pattern.compile("^train\\.")).stream().map(SuiteEntry::name).toList());
        assertEquals(List.of("gemm"), Suite.select(Pattern.compile("gemm")).stream().map(SuiteEntry::name).toList());
        assertEquals(Suite.ALL, Suite.select(null));
        String msg = assertThrows(UsageException.class, () -> Suite.select(Pattern.compile("fft"))).getMessage();
        assertTrue(msg.startsWith("--only fft matches no benchmark; the names are gemm, conv2d"), msg);
    }

    /**
     * The MLP and CNN peers time whole epochs, batch gathering and loss reads included: the entries
     * set against them must time TrainStepBenchmark's loader step, not its compute-only step.
     */
    @Test
    void theEpochTimedWorkloadsRunTheLoaderStep() throws Exception {
        for (String name : List.of("train.mlp", "train.cnn")) {
            SuiteEntry e = Suite.select(Pattern.compile(Pattern.quote(name))).getFirst();
            assertEquals(Set.of("loaderStep"), e.methods().keySet(), name);
            assertEquals(Set.of("loaderStep"), e.quickMethods(), name);
        }
    }

    @Test
    void workOfTheReferenceShapesByHand() {
        // conv2: 2 · 128 · 64 · 14 · 14 · 32 · 9 = 924,844,032 FLOPs.
        assertEquals(924_844_032.0, Suite.convFlops(Map.of("layer", "conv2")));
        // 2·B·H·L·(L + 1)·D: the causal pairs only, 32·4 heads, 128·129 / 2 pairs, 2·32 flops twice.
        assertEquals(135_266_304.0, Suite.attentionFlops(Map.of("batch", "32", "heads", "4", "length", "128", "headDim", "32")));
    }
}
