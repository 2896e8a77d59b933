package dev.fathom.cuda;

import dev.fathom.spi.BinaryOp;
import dev.fathom.spi.UnaryOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Layer 2 of DESIGN.md's "Testing the CUDA backend without a GPU": the kernels' own CUDA C
 * ({@code src/main/cuda}) compiled with g++ against the shim {@code src/test/cuda/cuda_emu.h} and
 * run on the CPU by the C++ driver {@code src/test/cuda/elementwise_test.cpp}, which compares every
 * op and dtype with an F64 reference. The launch geometry comes from {@link LaunchGeometry}, so
 * what is tested is what the host will launch. Skipped, with the reason, where there is no g++.
 */
class KernelEmulationTest {

    /** Output sizes: 1, under a warp, under a block, a few blocks, many blocks; none a multiple of 256. */
    private static final long[] SIZES = {1, 31, 255, 1000, 100_003};

    /**
     * elementwise_test's cases per geometry (run_all): fills 4 dtypes × 4 values × 2 layouts; copies 16 (source,
     * destination) dtypes × 2 layouts; F32 and F64 unary 17 ops × 5 layouts, binary 7 × 6, compare 6 × 6, where 3,
     * activation backward 2 × 6; I64 compare 6 × 6 and where 3; BOOL where 3; I64 unary 3 × 6 and binary 7 × 6
     * (DIV twice); BOOL NOT 6 and 5 binary ops × 6.
     */
    private static final int ELEMENTWISE_CASES_PER_GEOMETRY = 4 * 4 * 2 + 16 * 2 + 2 * (17 * 5 + 7 * 6 + 6 * 6 + 3 + 2 * 6) + 6 * 6 + 3 + 3
            + 3 * 6 + 7 * 6 + 6 + 5 * 6;

    @Test
    void elementwiseKernelsMatchTheF64Reference(@TempDir Path tmp) throws Exception {
        Path exe = Emulator.compile("elementwise_test", tmp);
        List<String> cmd = new ArrayList<>(List.of(exe.toString()));
        for (long n : SIZES) {
            cmd.add(arg(n, LaunchGeometry.forElementwise(n)));  // what the host launches: one trip per thread
            cmd.add(arg(n, LaunchGeometry.forElements(n)));     // a thread per element: most trips part-empty
            cmd.add(arg(n, LaunchGeometry.forDenseF32(n, 1)));  // the dense geometry's long blocks: four quads a thread
        }
        // Capped grids, so that threads loop over several elements (the grid-stride path).
        cmd.add(arg(1000, LaunchGeometry.forElements(1000, 3)));
        cmd.add(arg(100_003, LaunchGeometry.forElements(100_003, 7)));
        String out = Emulator.run(cmd, "elementwise_test", 180);
        int geometries = cmd.size() - 1;
        assertEquals(17, geometries);
        assertTrue(out.contains("elementwise_test: " + geometries * ELEMENTWISE_CASES_PER_GEOMETRY + " cases over " + geometries
                + " geometries (sequential), 0 failed"), out);
    }

    /** The elements per thread and trip that the host sizes its grids for are those the kernels take. */
    @Test
    void theHostAndTheKernelsAgreeOnElementsPerThread() throws Exception {
        String src = java.nio.file.Files.readString(Emulator.CUDA_SRC.resolve("elementwise.cu"));
        assertTrue(src.contains("#define FATHOM_ILP " + LaunchGeometry.ELEMENTS_PER_THREAD + "\n"),
                "elementwise.cu's FATHOM_ILP must be LaunchGeometry.ELEMENTS_PER_THREAD = " + LaunchGeometry.ELEMENTS_PER_THREAD);
    }

    /**
     * The shim itself, in its concurrent mode (a std::thread per CUDA thread): __shared__ with
     * __syncthreads, shuffles, dynamic shared memory and atomicAdd, which later kernels
     * (reductions, GEMM) rely on and which must fail here when misused as on a GPU.
     */
    @Test
    void emulatorRunsBarriersShufflesAndAtomics(@TempDir Path tmp) throws Exception {
        Path exe = Emulator.compile("emu_selftest", tmp);
        List<String> cases = List.of(arg(1, LaunchGeometry.forElements(1)), arg(1000, LaunchGeometry.forElements(1000)),
                arg(100_003, LaunchGeometry.forElements(100_003, 7)), "100003:3:96");
        List<String> threads = new ArrayList<>(List.of(exe.toString()));
        threads.addAll(cases);
        String out = Emulator.run(threads, "emu_selftest", 120);
        // Two cases per geometry: reverse_blocks (shared memory, barriers) and block_sum (shuffles, atomics).
        assertTrue(out.contains("emu_selftest: " + 2 * cases.size() + " cases, 0 failed"), out);
        // The same with the threads of a block as fibers (emu_launch_fibers, the emulated driver's mode).
        List<String> fibers = new ArrayList<>(List.of(exe.toString(), "--fibers"));
        fibers.addAll(cases);
        String fiberOut = Emulator.run(fibers, "emu_selftest --fibers", 120);
        assertTrue(fiberOut.contains("emu_selftest: " + 2 * cases.size() + " cases, 0 failed"), fiberOut);
    }

    /** A barrier that only some threads of a block reach aborts the fiber emulation with a message, where a GPU would hang. */
    @Test
    void fibersReportABarrierDeadlock(@TempDir Path tmp) throws Exception {
        assumeTrue(System.getProperty("os.arch").equals("amd64"), "fibers need x86-64; elsewhere they fall back to std::threads, which hang");
        Path exe = Emulator.compile("emu_selftest", tmp);
        Process p = new ProcessBuilder(exe.toString(), "--deadlock").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "emu_selftest --deadlock hung: " + out);
        assertTrue(p.exitValue() != 0, "the deadlock was not detected: " + out);
        assertTrue(out.contains("deadlock in block (0,0,0): 100 of 256 threads wait at a barrier"), out);
    }

    private static String arg(long n, LaunchGeometry g) {
        return n + ":" + g.grid() + ":" + g.block();
    }

    /** Kernels take the Java enum's ordinal as the op code: the header's enums must list the same names in order. */
    @Test
    void headerOpCodesAreTheJavaOrdinals() throws IOException {
        String header = Files.readString(Emulator.CUDA_SRC.resolve("fathom_kernels.cuh"));
        assertEquals(Emulator.names(UnaryOp.values()), enumBody(header, "FathomUnaryOp", "U_"));
        assertEquals(Emulator.names(BinaryOp.values()), enumBody(header, "FathomBinaryOp", "B_"));
    }

    /** The committed PTX is on the classpath and has an entry for every kernel the emulation tests. */
    @Test
    void committedPtxHasEveryElementwiseEntry() throws IOException {
        String ptx;
        try (InputStream in = KernelEmulationTest.class.getResourceAsStream("ptx/elementwise.ptx")) {
            assertNotNull(in, "dev/fathom/cuda/ptx/elementwise.ptx is missing: run scripts/build-kernels");
            ptx = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        Set<String> entries = new TreeSet<>();
        Matcher m = Pattern.compile("\\.visible \\.entry (\\w+)\\(").matcher(ptx);
        while (m.find()) {
            entries.add(m.group(1));
        }
        Set<String> expected = new TreeSet<>(List.of("unary_u8", "binary_u8", "where_u8", "unary_i64", "binary_i64",
                "compare_i64", "where_i64"));
        List<String> all = List.of("f32", "f64", "i64", "u8");
        for (String s : all) {
            expected.add("fill_" + s);
            for (String d : all) {
                expected.add("copy_" + s + "_" + d);
            }
        }
        for (String t : List.of("f32", "f64")) {
            for (String f : List.of("unary_", "binary_", "compare_", "where_", "activation_backward_")) {
                expected.add(f + t);
            }
        }
        assertEquals(expected, entries);
        assertTrue(ptx.contains(".target sm_75"), "PTX must target sm_75 (compute_75), the lowest nvcc 13 builds");
    }

    private static List<String> enumBody(String header, String name, String prefix) {
        Matcher m = Pattern.compile("enum " + name + " \\{([^}]*)}").matcher(header);
        assertTrue(m.find(), "fathom_kernels.cuh has no enum " + name);
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
