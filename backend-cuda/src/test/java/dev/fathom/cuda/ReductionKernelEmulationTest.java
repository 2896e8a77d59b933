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

    /**
     * reduce_test's 804 cases, whatever the block (the column kernels run at the given block and at 256 either way):
     * rows and columns for F32 and F64 (2 data kinds per op) and I64 (1), BOOL columns 2, F32 column quads 9 shapes
     * × 2 blocks × 2 data kinds, full sums 3 lengths × 3 chunkings + 10^7 ones, 10^7 ones 3, infinities 3 sizes ×
     * 3 rows, integers 1 wrap + 5 counts + 2 split counts.
     */
    private static final int REDUCE_CASES = 2 * rowCases(2) + rowCases(1) + 2 * colCases(2) + colCases(1) + 2 + 9 * 2 * 2
            + 3 * 3 + 1 + 3 + 3 * 3 + 1 + 5 + 2;

    /** Per dtype: 5 sizes × 2 (rows, grid) × (5 ops × the data kinds + an aligned sum), and 2 split rows × the same. */
    private static int rowCases(int kinds) {
        return (5 * 2 + 2) * (5 * kinds + 1);
    }

    /** Per dtype: 8 shapes × 2 blocks × 5 ops × the data kinds. */
    private static int colCases(int kinds) {
        return 8 * 2 * 5 * kinds;
    }

    /** index_test's: per dtype 14 gathers and 14 scatter-adds (6 layouts, 5 sizes, 3 bad indices); 6 + 6 + 5 range checks. */
    private static final int INDEX_CASES = 3 * 14 * 2 + 6 + 6 + 5;

    /** random_test's: 3 Philox known answers, then 5 sizes × 2 counter bases × 8 (op, dtype) fills. */
    private static final int RANDOM_CASES = 3 + 5 * 2 * 8;

    @Test
    void reduceKernelsMatchTheReference(@TempDir Path tmp) throws Exception {
        String out = Emulator.run(List.of(Emulator.compile("reduce_test", tmp).toString(), BLOCK), "reduce_test", 120);
        assertTrue(out.contains("reduce_test: block 64, " + REDUCE_CASES + " cases, 0 failed"), out);
    }

    /** The one-warp block {@link ReduceLaunches#block} picks for short rows (the kernel must fold a single warp too). */
    @Test
    void reduceKernelsMatchTheReferenceWithTheSmallestBlockTheHostPicks(@TempDir Path tmp) throws Exception {
        String block = Integer.toString(ReduceLaunches.block(31));
        assertEquals("32", block);
        String out = Emulator.run(List.of(Emulator.compile("reduce_test", tmp).toString(), block), "reduce_test", 120);
        assertTrue(out.contains("reduce_test: block 32, " + REDUCE_CASES + " cases, 0 failed"), out);
    }

    @Test
    void gatherAndScatterAddMatchTheReference(@TempDir Path tmp) throws Exception {
        String out = Emulator.run(List.of(Emulator.compile("index_test", tmp).toString(), BLOCK), "index_test", 120);
        assertTrue(out.contains("index_test: block 64, " + INDEX_CASES + " cases, 0 failed"), out);
    }

    /**
     * The driver checks Philox against Random123's known answers and each fill against RandomOp's
     * rule; its SAMPLE lines are compared here with {@link Philox}, the CPU backend's generator, so
     * the GPU's streams are the CPU's bit for bit.
     */
    @Test
    void randomFillsMatchRandomOpAndTheJavaPhilox(@TempDir Path tmp) throws Exception {
        String out = Emulator.run(List.of(Emulator.compile("random_test", tmp).toString(), BLOCK), "random_test", 120);
        assertTrue(out.contains("random_test: block 64, " + RANDOM_CASES + " cases, 0 failed"), out);
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
        Set<String> reduce = expand(List.of("reduce_", "reduce_split_", "reduce_cols_"), List.of("f32", "f64", "i64", "u8"));
        reduce.addAll(List.of("reduce_sum_f32", "reduce_cols_sum_f32x4"));
        assertEquals(reduce, Emulator.ptxEntries("reduce"));
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
