package dev.fathom.cuda;

import dev.fathom.spi.Pool2dGeometry;
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
 * The pooling kernels of {@code src/main/cuda/pool.cu}, compiled with g++ against
 * {@code src/test/cuda/cuda_emu.h} and run by {@code src/test/cuda/pool_test.cpp} (sequentially:
 * they have no barriers) against F64 references: max pooling on reals, ties and NaNs with its
 * indices, its backward from those indices, average pooling with and without count_include_pad,
 * F32 and F64. The launch geometry is {@link PoolGeometry}'s. Skipped, with the reason, where
 * there is no g++.
 */
class PoolKernelEmulationTest {

    /** {N, C, H, W, KH, KW, sH, sW, pH, pW, dH, dW, maxGrid[, 1 for ceil mode]}: odd sizes; a capped grid makes threads loop. */
    private static final int[][] SHAPES = {
            {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 65535},
            {2, 3, 7, 9, 2, 2, 2, 2, 0, 0, 1, 1, 65535},     // the classic 2×2/2, odd sizes drop the last row and column
            {2, 3, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 65535},     // overlapping windows with padding
            {1, 2, 11, 10, 3, 3, 1, 1, 1, 1, 1, 1, 65535},   // stride 1: each input in up to 9 windows
            {2, 2, 13, 12, 3, 3, 1, 2, 1, 1, 2, 2, 65535},   // dilation 2 (max only)
            {1, 3, 10, 11, 5, 4, 3, 2, 2, 2, 1, 1, 65535},   // 5×4, asymmetric stride
            {3, 5, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1, 2},         // grid capped at 2 blocks
            {4, 7, 6, 6, 6, 6, 6, 6, 0, 0, 1, 1, 65535},     // global pooling (one window per plane)
            {2, 70, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1, 65535},    // more than one block of outputs per sample
            {2, 3, 7, 9, 2, 2, 2, 2, 0, 0, 1, 1, 65535, 1},  // ceil mode: odd sizes keep a last window of one row and column
            {1, 2, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1, 65535, 1},  // ceil mode, the window that would start in the padding dropped
            {2, 2, 10, 9, 3, 3, 3, 2, 1, 1, 1, 1, 65535, 1}, // ceil mode, windows past the padding (avg divisor clipped)
    };

    @Test
    void poolKernelsMatchTheF64Reference(@TempDir Path tmp) throws Exception {
        Path exe = Emulator.compile("pool_test", tmp);
        List<String> cmd = new ArrayList<>(List.of(exe.toString()));
        int cases = 0;
        for (int[] s : SHAPES) {
            boolean ceil = s.length > 13 && s[13] == 1;
            Pool2dGeometry g = Pool2dGeometry.of(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], ceil);
            PoolGeometry pg = PoolGeometry.of(g, s[12]);
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < 12; i++) {
                b.append(i == 0 ? "" : ":").append(s[i]);
            }
            b.append('/').append(pg.forward().grid()).append(':').append(pg.forward().block());
            b.append('/').append(pg.backward().grid()).append(':').append(pg.backward().block());
            cmd.add(b.append(ceil ? "/ceil" : "").toString());
            // Per dtype: 3 data kinds × (values, indices, backward), and 2 × (forward, backward) for average pooling.
            cases += 2 * (9 + (s[10] == 1 && s[11] == 1 ? 4 : 0));
        }
        String out = Emulator.run(cmd, "pool_test", 120);
        assertTrue(out.contains("pool_test: " + cases + " cases over " + SHAPES.length + " shapes (sequential), 0 failed"), out);
    }

    /** The committed PTX is on the classpath with every entry {@link CudaConvolutions} looks up. */
    @Test
    void committedPtxHasEveryPoolEntry() throws IOException {
        Set<String> want = new TreeSet<>();
        for (String k : List.of("max_pool2d_fwd_", "max_pool2d_bwd_", "avg_pool2d_fwd_", "avg_pool2d_bwd_")) {
            want.add(k + "f32");
            want.add(k + "f64");
        }
        assertEquals(want, Emulator.ptxEntries("pool"));
    }
}
