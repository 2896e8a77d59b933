package dev.fathom.cuda;

import dev.fathom.spi.Philox;
import dev.fathom.spi.RandomOp;
import dev.fathom.spi.ReduceOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reduction, indexing and random kernels ({@code reduce.cu}, {@code index.cu},
 * {@code random.cu}) compiled with g++ against {@code src/test/cuda/cuda_emu.h} and run by their C++
 * drivers in the emulator's THREADED mode (a std::thread per CUDA thread: the reductions need real
 * barriers and shuffles, scatter-add real atomic contention). Blocks of 64 threads keep that mode
 * fast while still spanning two warps. Skipped, with the reason, where there is no g++.
 */
class ReductionKernelEmulationTest {

    private static final String BLOCK = "64";

    @Test
    void reduceKernelsMatchTheReference(@TempDir Path tmp) throws Exception {
        String out = Emulator.run(List.of(Emulator.compile("reduce_test", tmp).toString(), BLOCK), "reduce_test", 120);
        assertTrue(out.contains(" 0 failed"), out);
    }

    /** The one-warp block {@link ReduceLaunches#block} picks for short rows (the kernel must fold a single warp too). */
    @Test
    void reduceKernelsMatchTheReferenceWithTheSmallestBlockTheHostPicks(@TempDir Path tmp) throws Exception {
        String block = Integer.toString(ReduceLaunches.block(31));
        assertEquals("32", block);
        String out = Emulator.run(List.of(Emulator.compile("reduce_test", tmp).toString(), block), "reduce_test", 120);
        assertTrue(out.contains(" 0 failed"), out);
    }

    @Test
    void gatherAndScatterAddMatchTheReference(@TempDir Path tmp) throws Exception {
        String out = Emulator.run(List.of(Emulator.compile("index_test", tmp).toString(), BLOCK), "index_test", 120);
        assertTrue(out.contains(" 0 failed"), out);
    }

    /**
     * The driver checks Philox against Random123's known answers and each fill against RandomOp's
     * rule; its SAMPLE lines are compared here with {@link Philox}, the CPU backend's generator, so
     * the GPU's streams are the CPU's bit for bit.
     */
    @Test
    void randomFillsMatchRandomOpAndTheJavaPhilox(@TempDir Path tmp) throws Exception {
        String out = Emulator.run(List.of(Emulator.compile("random_test", tmp).toString(), BLOCK), "random_test", 120);
        assertTrue(out.contains(" 0 failed"), out);
        long seed = 0x299f31d0a4093822L, counter = 5;
        int samples = 0;
        Matcher m = Pattern.compile("SAMPLE (\\w+) (\\d+) ([0-9a-f]+)").matcher(out);
        while (m.find()) {
            int i = Integer.parseInt(m.group(2));
            int[] w = new int[4];
            Philox.block(counter + i / 2, seed, w);
            int w0 = w[(i % 2) * 2], w1 = w[(i % 2) * 2 + 1];
            long bits = Long.parseUnsignedLong(m.group(3), 16);
            switch (m.group(1)) {
                case "uniform_f32" -> assertBits((float) (-2.0 + 5.0 * Philox.uniformFloat(w0)), bits, m.group());
                case "uniform_f64" -> assertEquals(Double.doubleToRawLongBits(-2.0 + 5.0 * Philox.uniformDouble(w0, w1)),
                        bits, m.group());
                case "normal_f32" -> assertBits((float) (0.5 + 2.0 * Philox.normal(w0, w1)), bits, m.group());
                case "bernoulli_f32" -> assertBits(Philox.uniformFloat(w0) < 0.3 ? 1f : 0f, bits, m.group());
                default -> throw new AssertionError("unknown sample " + m.group());
            }
            samples++;
        }
        assertEquals(36, samples, "random_test prints 9 samples of 4 fills:\n" + out);
    }

    private static void assertBits(float want, long bits, String line) {
        assertEquals(Float.floatToRawIntBits(want), (int) bits, () -> line + ": want " + want + " got "
                + Float.intBitsToFloat((int) bits));
    }

    /** Kernels take the Java enum's ordinal as the op code: the .cu enums must list the same names in order. */
    @Test
    void opCodesAreTheJavaOrdinals() throws IOException {
        assertEquals(Emulator.names(ReduceOp.values()), enumBody(Files.readString(Emulator.CUDA_SRC.resolve("reduce.cu")), "FathomReduceOp",
                "R_"));
        assertEquals(Emulator.names(RandomOp.values()), enumBody(Files.readString(Emulator.CUDA_SRC.resolve("random.cu")), "FathomRandomOp",
                "RND_"));
    }

    /** The committed PTX is on the classpath with every entry the host will look up. */
    @Test
    void committedPtxHasEveryEntry() throws IOException {
        List<String> dt = List.of("f32", "f64", "i64");
        assertEquals(expand(List.of("reduce_", "reduce_split_", "reduce_cols_"), List.of("f32", "f64", "i64", "u8")),
                Emulator.ptxEntries("reduce"));
        assertEquals(expand(List.of("gather_", "scatter_add_", "check_range_"), dt), Emulator.ptxEntries("index"));
        assertEquals(expand(List.of("random_"), List.of("f32", "f64", "i64", "u8")), Emulator.ptxEntries("random"));
    }

    private static Set<String> expand(List<String> prefixes, List<String> types) {
        Set<String> s = new TreeSet<>();
        for (String p : prefixes) {
            for (String t : types) {
                s.add(p + t);
            }
        }
        return s;
    }

    private static List<String> enumBody(String source, String name, String prefix) {
        Matcher m = Pattern.compile("enum " + name + " \\{([^}]*)}").matcher(source);
        assertTrue(m.find(), "no enum " + name);
        return Arrays.stream(m.group(1).split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .map(s -> {
                    assertTrue(s.startsWith(prefix), name + " constant " + s + " lacks prefix " + prefix);
                    return s.substring(prefix.length());
                })
                .toList();
    }
}
