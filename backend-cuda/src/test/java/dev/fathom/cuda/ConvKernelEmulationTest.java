package dev.fathom.cuda;

import dev.fathom.spi.Conv2dGeometry;
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
 * The implicit-GEMM convolution kernels of {@code src/main/cuda/conv.cu}, compiled with g++ against
 * {@code src/test/cuda/cuda_emu.h} and run in its threaded mode (a std::thread per CUDA thread, so
 * the shared-memory tiles and {@code __syncthreads} are real) by {@code src/test/cuda/conv_test.cpp},
 * which checks forward, backward-data and backward-weight, F32 and F64, against F64 loops of the
 * definition. The launch geometry is {@link ConvGeometry}'s. Skipped, with the reason, where there
 * is no g++.
 */
class ConvKernelEmulationTest {

    /**
     * {N, C_in, H, W, C_out, KH, KW, sH, sW, pH, pW, dH, dW, groups, minChunk}: sizes that are not
     * multiples of the 64 × 64 × 16 tiles; small, because the threaded emulator is slow.
     */
    private static final int[][] SHAPES = {
            {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1024},      // 1×1 on one pixel
            {2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1024},      // 3×3, padding 1, N > 1
            {2, 4, 9, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2, 1024},      // stride 2, groups 2
            {1, 3, 11, 10, 4, 5, 5, 1, 2, 2, 1, 2, 2, 1, 1024},    // 5×5, dilation 2, mixed stride and padding
            {3, 6, 5, 6, 9, 1, 1, 1, 1, 0, 0, 1, 1, 3, 1024},      // 1×1, groups 3
            {2, 20, 6, 7, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 16},      // C_out past a tile, K = 180; 6 weight splits
            {2, 6, 9, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6, 1024},      // depthwise
            {2, 3, 13, 12, 5, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1024},    // stride 2 and dilation 2: gaps in backward-data
            {0, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1024},      // empty batch: gradW is zeros
            {3, 4, 17, 15, 8, 3, 3, 1, 1, 1, 1, 1, 1, 2, 64},      // split-K with a partial last chunk
            {1, 2, 8, 7, 3, 3, 2, 1, 2, 0, 1, 2, 1, 1, 1024},      // non-square kernel
            {1, 70, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1024},     // C_in past a tile (backward-data rows)
            {2, 4, 10, 11, 6, 1, 1, 2, 2, 0, 0, 1, 1, 1, 1024},    // 1×1 stride 2: 3 of 4 input positions get 0
            {1, 3, 14, 13, 4, 3, 5, 3, 2, 1, 2, 2, 3, 1, 1024},    // stride 3 with dilation 2, stride 2 with dilation 3
            {2, 4, 12, 12, 4, 4, 4, 4, 4, 1, 2, 2, 1, 2, 1024},    // gcd(dilation, stride) = 2: phases with no kernel offset
            {1, 3, 9, 9, 3, 2, 2, 3, 3, 0, 0, 1, 1, 1, 1024},      // kernel smaller than stride: untouched inputs
    };

    @Test
    void convKernelsMatchTheF64Reference(@TempDir Path tmp) throws Exception {
        Path exe = Emulator.compile("conv_test", tmp);
        List<String> cmd = new ArrayList<>(List.of(exe.toString()));
        int splitCases = 0;
        for (int[] s : SHAPES) {
            Conv2dGeometry g = Conv2dGeometry.of(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11],
                    s[12], s[13]);
            ConvGeometry cg = ConvGeometry.of(g, s[14]);
            splitCases += cg.splits() > 1 ? 1 : 0;
            cmd.add(argument(s, cg));
        }
        assertTrue(splitCases >= 2, "the shapes must exercise split-K");
        String out = Emulator.run(cmd, "conv_test", 300);
        // Six cases a shape: forward, backward data and backward weight, each in F32 and F64.
        assertTrue(out.contains("conv_test: " + SHAPES.length * 6 + " cases over " + SHAPES.length + " shapes (threads), 0 failed"), out);
    }

    static String argument(int[] s, ConvGeometry cg) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 14; i++) {
            b.append(i == 0 ? "" : ":").append(s[i]);
        }
        ConvGeometry.Grid f = cg.forward(), d = cg.backwardData(), w = cg.backwardWeight();
        b.append('/').append(f.x()).append(':').append(f.y()).append(':').append(f.z());
        b.append('/').append(d.x()).append(':').append(d.y()).append(':').append(d.z());
        b.append('/').append(w.x()).append(':').append(w.y()).append(':').append(w.z()).append(':').append(cg.splits())
                .append(':').append(cg.chunk());
        b.append('/').append(cg.reduce().grid()).append(':').append(cg.splits() > 1 ? cg.reduce().block() : 0);
        return b.append('/').append(cg.block()).toString();
    }

    /** The committed PTX is on the classpath with every entry {@link CudaConvolutions} looks up. */
    @Test
    void committedPtxHasEveryConvEntry() throws IOException {
        Set<String> want = new TreeSet<>();
        for (String k : List.of("conv2d_fwd_", "conv2d_bwd_data_", "conv2d_bwd_weight_", "conv2d_bwd_weight_reduce_")) {
            want.add(k + "f32");
            want.add(k + "f64");
        }
        assertEquals(want, Emulator.ptxEntries("conv"));
    }
}
