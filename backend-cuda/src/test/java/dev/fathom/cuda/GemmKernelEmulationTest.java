package dev.fathom.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiled GEMM kernels of {@code src/main/cuda/gemm.cu}, compiled with g++ against the shim
 * {@code src/test/cuda/cuda_emu.h} and run in its threaded mode (one std::thread per CUDA thread,
 * so the shared-memory tiles and {@code __syncthreads} are exercised as on a GPU) by the C++ driver
 * {@code src/test/cuda/gemm_test.cpp}, which compares F32, F64 and I64, all four transpose combinations
 * and broadcast batches with an F64 triple loop; the 128 × 128 F32 kernels run every entry on
 * every layout; split K's slice sums run bit for bit against the same adds. The launch geometry
 * comes from {@link GemmGeometry} ({@link LaunchGeometry} for the sums). Skipped, with the reason,
 * where there is no g++.
 */
class GemmKernelEmulationTest {


    /**
     * {outer batch, inner batch, M, N, K}: none a multiple of the 64 × 64 × 16 tiles except where
     * noted; small, because the threaded emulator is slow (256 threads per launch).
     */
    private static final int[][] SHAPES = {
            {1, 1, 1, 1, 1},
            {1, 1, 7, 5, 3},
            {1, 1, 65, 33, 17},      // one row past a tile
            {1, 1, 130, 70, 90},     // 3 × 2 tiles, 6 K-slices (the last partial)
            {3, 1, 17, 19, 23},      // batched; the driver also broadcasts B over the batch
            {2, 3, 9, 70, 5},        // two batch levels; B also broadcast over the outer one only
            {1, 1, 5, 6, 0},         // K = 0: C = 0 (or unchanged when accumulating)
    };

    /**
     * The same for the 128 × 128 kernels (BK = 8): none a multiple of 128 or 8 except where noted.
     * Each shape runs 16 (entry, layout) pairs per batch mode, so fewer and smaller shapes.
     */
    private static final int[][] LARGE_SHAPES = {
            {1, 1, 1, 1, 1},
            {1, 1, 129, 7, 130},     // one row past a tile; 17 K-slices, the last of 2
            {1, 1, 257, 129, 33},    // 3 × 2 tiles, edge tiles of 1 row and 1 column
            {1, 1, 128, 128, 16},    // exactly one tile, two full slices
            {2, 3, 9, 70, 5},        // two batch levels; B also broadcast over the outer one only
            {3, 1, 20, 130, 12},     // batched, 2 column tiles; B also broadcast over the batch
            {1, 1, 5, 6, 0},         // K = 0: C = 0 (or unchanged when accumulating)
    };

    @Test
    void gemmKernelsMatchTheF64Reference(@TempDir Path tmp) throws Exception {
        Path exe = Emulator.compile("gemm_test", tmp);
        List<String> cmd = new ArrayList<>(List.of(exe.toString()));
        for (int[] s : SHAPES) {
            cmd.add(argument(s, GemmGeometry.forMatmul(s[2], s[3], (long) s[0] * s[1])));
        }
        String out = Emulator.run(cmd, "gemm_test", 120);
        // 120 cases: 5 unbatched shapes × 1 + (3, 1) × 2 + (2, 3) × 3 batch modes, each × 4 layouts × 3 dtypes.
        assertTrue(out.contains("gemm_test: " + cases(SHAPES, 3) + " cases over " + SHAPES.length + " shapes (threads), 0 failed"), out);
    }

    @Test
    void largeTileKernelsMatchTheF64ReferenceOnEveryLayout(@TempDir Path tmp) throws Exception {
        Path exe = Emulator.compile("gemm_test", tmp);
        List<String> cmd = new ArrayList<>(List.of(exe.toString()));
        for (int[] s : LARGE_SHAPES) {
            // The geometry the host launches once GemmGeometry.choose picks the large tile (the rule
            // itself would keep most of these small shapes on the 64 tile; GemmGeometryTest checks it).
            cmd.add(argument(s, GemmGeometry.forTile(GemmGeometry.LARGE_TILE, s[2], s[3], (long) s[0] * s[1])));
        }
        String out = Emulator.run(cmd, "gemm_test", 300);
        // 160 cases: 5 unbatched shapes × 1 + (2, 3) × 3 + (3, 1) × 2 batch modes, each × 4 layouts × 4 entries.
        assertTrue(out.contains("gemm_test: " + cases(LARGE_SHAPES, 4) + " cases over " + LARGE_SHAPES.length + " shapes (threads), 0 failed"),
                out);
    }

    /**
     * Split K's last step, {@code gemm_splitk_sum_f32} and {@code _f64}, bit for bit against the same adds in
     * slice order, with and without accumulate, on the geometry {@link GemmLaunches} launches it with
     * ({@link LaunchGeometry#forElements(long)} of M·N), and on grids capped below the element count so
     * that each thread strides.
     */
    @Test
    void splitKSumsAddTheSlicesInOrder(@TempDir Path tmp) throws Exception {
        Path exe = Emulator.compile("gemm_test", tmp);
        List<String> cmd = new ArrayList<>(List.of(exe.toString(), "splitk"));
        long[][] shapes = {{1, 1, 0}, {2, 70, 0}, {12, 4099, 0}, {5, 3000, 3}, {3, 1000, 1}};  // {parts, M·N, grid cap or 0}
        for (long[] s : shapes) {
            LaunchGeometry g = s[2] == 0 ? LaunchGeometry.forElements(s[1]) : LaunchGeometry.forElements(s[1], (int) s[2]);
            cmd.add(s[0] + ":" + s[1] + ":" + g.grid() + ":" + g.block());
        }
        String out = Emulator.run(cmd, "gemm_test", 120);
        // Each shape: F32 and F64, each with and without accumulate.
        assertTrue(out.contains("gemm_test: " + 4 * shapes.length + " split-K sum cases over " + shapes.length + " shapes, 0 failed"),
                out);
    }

    /**
     * The cases gemm_test runs: per shape, its batch modes (one unbatched; else batched and B broadcast over all
     * batches, plus B broadcast over the outer batch only when the inner batch is over 1), each on the 4 transpose
     * layouts, each with {@code perLayout} kernels (3 dtypes on the 64 tile, the 4 entries of the 128 tile).
     */
    private static int cases(int[][] shapes, int perLayout) {
        int n = 0;
        for (int[] s : shapes) {
            int modes = s[0] * s[1] == 1 ? 1 : s[1] > 1 ? 3 : 2;
            n += modes * 4 * perLayout;
        }
        return n;
    }

    private static String argument(int[] s, GemmGeometry g) {
        return s[0] + ":" + s[1] + ":" + s[2] + ":" + s[3] + ":" + s[4] + ":" + g.tile() + ":" + g.gridX() + ":" + g.gridY()
                + ":" + g.gridZ() + ":" + g.block();
    }

    /** The committed PTX is on the classpath and has every GEMM entry. */
    @Test
    void committedPtxHasEveryGemmEntry() throws IOException {
        String ptx;
        try (InputStream in = GemmKernelEmulationTest.class.getResourceAsStream("ptx/gemm.ptx")) {
            assertNotNull(in, "dev/fathom/cuda/ptx/gemm.ptx is missing: run scripts/build-kernels");
            ptx = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        Set<String> entries = new TreeSet<>();
        Matcher m = Pattern.compile("\\.visible \\.entry (\\w+)\\(").matcher(ptx);
        while (m.find()) {
            entries.add(m.group(1));
        }
        assertEquals(Set.of("gemm_f32", "gemm_f64", "gemm_i64", "gemm_f32_128_nn", "gemm_f32_128_nt", "gemm_f32_128_tn",
                "gemm_f32_128_tt", "gemm_splitk_sum_f32", "gemm_splitk_sum_f64"), entries);
        assertTrue(ptx.contains(".target sm_75"), "PTX must target sm_75 (compute_75), the lowest nvcc 13 builds");
    }
}
