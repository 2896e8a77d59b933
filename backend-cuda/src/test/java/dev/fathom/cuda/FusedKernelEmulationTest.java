package dev.fathom.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused kernels ({@code softmax.cu}, {@code norm.cu}, {@code optim.cu}) compiled with g++
 * against {@code src/test/cuda/cuda_emu.h} and run by their C++ drivers, which compare them with F64
 * references (F32 and F64, both softmax flavours, every affine mode, every optimizer flag). Each case
 * runs with the kernel and geometry {@link FusedLaunchPlan} picks for its shape, so what is
 * emulated is what {@link CudaFusedOps} launches; small {@code maxGrid} caps make blocks and
 * threads loop. Sizes: 1, under a warp, over a block, and none a multiple of the block. Skipped,
 * with the reason, where there is no g++.
 */
class FusedKernelEmulationTest {

    private static final int GRID = LaunchGeometry.MAX_GRID;
    private static final long MIN_PART = FusedLaunchPlan.BATCH_NORM_MIN_PART;

    @Test
    void softmaxKernelsMatchTheF64Reference(@TempDir Path tmp) throws Exception {
        long[][] shapes = {
            // outer, n, inner, maxGrid
            {3, 1, 1, GRID},       // n = 1: one warp per row
            {5, 31, 1, GRID},      // under a warp
            {2, 1000, 1, GRID},    // over a block: threads stride over the row
            {4, 255, 1, 3},        // capped grid: blocks loop over rows
            {3, 7, 5, GRID},       // inner > 1, short rows: one thread per row
            {2, 1, 3, GRID},       // n = 1 with inner > 1
            {4, 9, 700, 3},        // many rows, capped grid: threads loop over rows
            {2, 600, 3, GRID},     // few long rows with inner > 1: the block's strided walk
        };
        List<String> cmd = new ArrayList<>(List.of(Emulator.compile("softmax_test", tmp).toString()));
        Set<FusedLaunchPlan.SoftmaxKernel> kinds = new TreeSet<>();
        for (long[] s : shapes) {
            FusedLaunchPlan.Softmax p = FusedLaunchPlan.softmax(s[0], s[1], s[2], (int) s[3]);
            kinds.add(p.kernel());
            cmd.add(p.kernel().suffix() + ":" + s[0] + ":" + s[1] + ":" + s[2] + ":" + geometry(p.geometry()));
        }
        assertEquals(Set.of(FusedLaunchPlan.SoftmaxKernel.values()), kinds, "the shapes must exercise both kernels");
        String out = Emulator.run(cmd, "softmax_test", 240);
        assertTrue(out.contains("softmax_test: " + shapes.length * 4 * 2 + " cases, 0 failed"), out);
    }

    @Test
    void layerAndBatchNormKernelsMatchTheF64Reference(@TempDir Path tmp) throws Exception {
        long[][] layer = {
            // rows, n, maxGrid (rows), maxGrid (column tiles)
            {3, 1, GRID, GRID},
            {5, 31, GRID, GRID},
            {4, 1000, 2, GRID},   // n over a block; 32 column tiles
            {70, 45, 3, 1},       // blocks loop over rows and over column tiles
        };
        long[][] batch = {
            // N, C, S, maxGrid, minPart (the production minimum, or a small one that splits small tensors)
            {4, 3, 1, GRID, MIN_PART},      // (N, C): S = 1
            {2, 5, 7, 2, MIN_PART},         // blocks loop over channels
            {3, 2, 100, GRID, MIN_PART},    // N·S = 300 over a block
            {1, 2, 1, GRID, MIN_PART},      // one element per channel: variance 0
            {37, 3, 1, GRID, MIN_PART},
            {5, 2, 40, GRID, MIN_PART},     // M = 200: a block of 7 warps
            {3, 2, 0, GRID, MIN_PART},      // no elements: NaN statistics, zero parameter gradients
            {2, 2, 4100, GRID, MIN_PART},   // split by the production rule: 2 parts per channel
            {3, 2, 100, 5, 40},             // 7 parts of 42 or 43 elements, blocks loop over the 14 tasks
            {37, 3, 1, GRID, 9},            // 4 parts that straddle the N boundary (S = 1)
            {2, 3, 5, GRID, 2},             // 5 parts of 2 elements: parts smaller than a warp
        };
        List<String> cmd = new ArrayList<>(List.of(Emulator.compile("norm_test", tmp).toString()));
        for (long[] c : layer) {
            cmd.add("ln:" + c[0] + ":" + c[1] + ":" + geometry(FusedLaunchPlan.rows(c[0], c[1], (int) c[2])) + ":"
                    + geometry(FusedLaunchPlan.columnSums(c[1], (int) c[3])));
        }
        int split = 0;
        for (long[] c : batch) {
            FusedLaunchPlan.BatchNorm p = FusedLaunchPlan.batchNorm(c[1], c[0] * c[2], (int) c[3], c[4]);
            split += p.parts() > 1 ? 1 : 0;
            cmd.add("bn:" + c[0] + ":" + c[1] + ":" + c[2] + ":" + p.parts() + ":" + geometry(p.geometry()));
        }
        assertEquals(4, split, "the last four batch norms must run the split kernels");
        String out = Emulator.run(cmd, "norm_test", 300);
        assertTrue(out.contains("norm_test: " + (layer.length + batch.length) * 3 * 2 * 2 + " cases, 0 failed"), out);
    }

    @Test
    void optimizerUpdatesMatchTheF64Reference(@TempDir Path tmp) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Emulator.compile("optim_test", tmp).toString()));
        for (long n : new long[] {1, 31, 1000, 100_003}) {
            cmd.add(n + ":" + geometry(LaunchGeometry.forElements(n)));
        }
        cmd.add("100003:" + geometry(LaunchGeometry.forElements(100_003, 7)));
        String out = Emulator.run(cmd, "optim_test", 240);
        // Per size and dtype: 16 SGD and 8 Adam flag combinations.
        assertTrue(out.contains("optim_test: " + 5 * 2 * 24 + " cases, 0 failed"), out);
    }

    /** The committed PTX has every entry {@link CudaFusedOps} looks up. */
    @Test
    void committedPtxHasEveryFusedEntry() throws IOException {
        Set<String> softmax = new TreeSet<>();
        Set<String> norm = new TreeSet<>();
        Set<String> optim = new TreeSet<>();
        for (String t : List.of("f32", "f64")) {
            for (String k : List.of("block", "col")) {
                softmax.add("softmax_" + k + "_" + t);
                softmax.add("softmax_backward_" + k + "_" + t);
            }
            for (String k : List.of("layer_norm", "layer_norm_backward", "layer_norm_param_grads", "batch_norm",
                    "batch_norm_backward", "batch_norm_partials", "batch_norm_apply", "batch_norm_backward_partials",
                    "batch_norm_backward_apply")) {
                norm.add(k + "_" + t);
            }
            optim.add("sgd_update_" + t);
            optim.add("adam_update_" + t);
        }
        assertEquals(softmax, Emulator.ptxEntries("softmax"));
        assertEquals(norm, Emulator.ptxEntries("norm"));
        assertEquals(optim, Emulator.ptxEntries("optim"));
    }

    private static String geometry(LaunchGeometry g) {
        return g.grid() + ":" + g.block();
    }
}
