package dev.fathom.cuda;

import dev.fathom.spi.AttentionGeometry;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code attention.cu} compiled with g++ against {@code src/test/cuda/cuda_emu.h} and run by
 * {@code attention_test.cpp}, which compares forward (out, lse) and backward (dq, dk, dv) with an
 * F64 reference, F32 and F64. Every case launches with the tile, grid and shared bytes that
 * {@link CudaAttention#plan} computes, so what is emulated is what {@link CudaAttention} launches.
 * Lengths 1, 7, 33, 70 and head dims 5, 32, 64 are no multiples of the tiles; causal with
 * lq = lk, lq < lk (a key/value cache) and lq > lk (rows that see no key); small grid caps make
 * blocks loop over their tasks. Layouts (attention_test's LAYOUT): contiguous, the heads of a
 * projection ({@code [b, l, h, d]} in memory), and a mix of padded rows, a key and value head shared
 * by all query heads, and contiguous gradients.
 */
class AttentionKernelEmulationTest {

    private static final int GRID = LaunchGeometry.MAX_GRID;

    @Test
    void attentionKernelsMatchTheF64Reference(@TempDir Path tmp) throws Exception {
        int[][] cases = {
            // b, h, lq, lk, d, dv, causal, layout, maxGrid
            {1, 2, 1, 1, 5, 5, 1, 0, GRID},
            {1, 2, 7, 7, 5, 3, 1, 0, GRID},
            {1, 1, 33, 33, 32, 32, 1, 0, GRID},
            {1, 2, 70, 70, 64, 64, 0, 0, 3},
            {1, 1, 33, 70, 32, 16, 1, 0, GRID},  // lq < lk: queries see the last keys
            {1, 2, 70, 7, 5, 5, 1, 0, 2},        // lq > lk: 63 rows per head see no key
            {1, 1, 7, 33, 64, 5, 0, 0, GRID},
            {1, 3, 5, 0, 4, 4, 0, 0, GRID},      // no keys: zero output, lse -inf, zero dq
            {1, 2, 0, 6, 4, 4, 1, 0, GRID},      // no queries: zero dk and dv
            {2, 3, 9, 9, 4, 4, 1, 1, GRID},      // a projection's heads, read and written in place
            {2, 2, 70, 70, 32, 32, 1, 1, 5},
            {2, 3, 7, 10, 5, 3, 0, 2, GRID},     // padded rows, one shared key and value head
            {3, 2, 33, 33, 8, 8, 1, 2, 4},
        };
        List<String> cmd = new ArrayList<>(List.of(Emulator.compile("attention_test", tmp).toString()));
        for (int[] c : cases) {
            StringBuilder arg = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                arg.append(i == 0 ? "" : ":").append(c[i]);
            }
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                AttentionGeometry g = new AttentionGeometry(c[0], c[1], c[2], c[3], c[4], c[5], 1 / Math.sqrt(c[4]), c[6] == 1, dt);
                for (CudaAttention.Kernel k : CudaAttention.Kernel.values()) {
                    CudaAttention.Plan p = CudaAttention.plan(k, g, c[8]);
                    assertNotNull(p, "plan for " + g);
                    arg.append(':').append(p.tile()).append(':').append(p.grid()).append(':').append(p.sharedBytes());
                }
            }
            cmd.add(arg.toString());
        }
        String out = Emulator.run(cmd, "attention_test", 240);
        assertTrue(out.contains("attention_test: " + cases.length * 2 + " cases, 0 failed"), out);
    }

    @Test
    void planPicksTheLargestTileThatFitsSharedMemory() {
        AttentionGeometry gpt = new AttentionGeometry(32, 4, 128, 128, 32, 32, 0.125, true, DType.F32);
        CudaAttention.Plan f = CudaAttention.plan(CudaAttention.Kernel.FORWARD, gpt, GRID);
        assertEquals(new CudaAttention.Plan(64, 128 * 2, 64 * (2 * 32 + 2 * 32 + 2) * 4), f);
        // dk/dv needs 64·(3·32 + 3·32 + 6)·4 = 50,688 bytes > 48 KB at tile 64: tile 32.
        assertEquals(32, CudaAttention.plan(CudaAttention.Kernel.BACKWARD_DKDV, gpt, GRID).tile());
        assertEquals(7, CudaAttention.plan(CudaAttention.Kernel.FORWARD, new AttentionGeometry(7, 1, 3, 3, 8, 8, 1, false, DType.F64), 7).grid());
        assertEquals(4, CudaAttention.plan(CudaAttention.Kernel.FORWARD, new AttentionGeometry(1, 1, 3, 3, 8, 8, 1, false, DType.F64), GRID).tile(),
                "no more threads than rows, rounded up to a power of two");
        assertEquals(0, CudaAttention.plan(CudaAttention.Kernel.BACKWARD_DKDV, new AttentionGeometry(1, 2, 3, 0, 8, 8, 1, false, DType.F64), GRID)
                .grid(), "no keys: nothing to launch");
        assertNull(CudaAttention.plan(CudaAttention.Kernel.BACKWARD_DKDV, new AttentionGeometry(1, 1, 1, 1, 2048, 2048, 1, false, DType.F32), GRID),
                "one row does not fit: the composite runs instead");
        assertThrows(IllegalArgumentException.class, () -> CudaAttention.plan(CudaAttention.Kernel.FORWARD, gpt, 0));
    }
}
