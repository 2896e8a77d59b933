package dev.fathom.cpu;

import dev.fathom.spi.Conv2dGeometry;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The F32 GEMM path of {@link ConvKernels} (weights packed once, column panels gathered from the
 * image by {@link Im2colPanels}, small planes in blocks of samples side by side, stride-1
 * backward-data as a forward convolution, col2im into a padded image, per-chunk weight partials or
 * the weight gradient split by input channels ({@code channelParts}), samples in parallel, the 1×1
 * shortcut, and {@link ConvNarrowK}'s forward and weight gradient when K is narrower than C_out)
 * against {@link ConvDirect}, the by-definition loops, on
 * the reference CNN's shapes and a few others; all three kernels.
 */
class ConvKernelsTest {

    @ParameterizedTest(name = "x[{0},{1},{2},{3}] -> {4} k{5}x{6} s{7} p{8} d{9} g{10}")
    @CsvSource({
        "128, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1",    // reference CNN, first conv
        "8, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1",     // reference CNN, second conv (a few samples)
        "5, 6, 9, 11, 4, 1, 1, 1, 0, 1, 2",        // 1x1: x is its own column matrix
        "3, 4, 10, 9, 6, 3, 2, 2, 2, 2, 2",        // stride, padding, dilation, groups
        "2, 8, 7, 7, 8, 3, 3, 1, 1, 1, 8",         // depthwise
        "4, 2, 6, 7, 32, 3, 3, 2, 1, 1, 2",        // K < C_out/g (ConvNarrowK), strided, grouped
        "3, 2, 5, 4, 8, 1, 1, 1, 0, 1, 1",         // the same through the 1x1 shortcut
        "2, 4, 20, 20, 4, 3, 3, 1, 1, 1, 1",       // P = 400 > KC: the weight gradient's K in two slices
        "1, 2, 48, 48, 3, 3, 3, 1, 1, 1, 1",       // P = 2304 > NC: the forward's columns in two blocks
        "2, 4, 9, 8, 6, 3, 2, 1, 2, 2, 2",         // stride 1, dilated, grouped, 3x2: backward-data as a forward
        "2, 3, 6, 6, 4, 2, 2, 1, 2, 1, 1",         // stride 1 with pad > dil·(k-1): backward-data through col2im
        "13, 8, 14, 14, 16, 4, 4, 2, 1, 1, 1",     // DCGAN-like 7x7 output: samples side by side, a last block of one
        "10, 4, 9, 9, 6, 3, 3, 2, 1, 1, 2",        // the same, grouped
        "3, 12, 10, 10, 8, 4, 4, 2, 1, 1, 1",      // stride 2, K = 192: cols made and added back in row blocks of 145 and 47
        "2, 2, 6, 6, 260, 3, 3, 2, 1, 1, 1",       // C_out/g = 260, deeper than a K slice: cols in one block
        "1, 2, 100, 100, 3, 3, 3, 2, 1, 1, 1",     // stride 2, P = 2500 > NC: backward-data's row blocks pack dy per block
        "2, 3, 12, 21, 5, 3, 3, 2, 1, 1, 1",       // stride 2, OW = 11: col2im runs of a whole vector and 3 more
        "1, 2, 8, 32, 3, 3, 3, 2, 1, 1, 1",        // stride 2, OW = 16: col2im runs of whole vectors only
        "2, 3, 9, 12, 4, 2, 6, 2, 1, 1, 1",        // kernel rows of 6 taps: colsᵀ panel runs of two quads; K = 36
        "2, 3, 11, 10, 5, 3, 3, 3, 0, 1, 1",       // stride 3, no padding: rows stored in 3 phases of 4 (10 columns)
        "2, 2, 9, 13, 4, 4, 3, 3, 2, 1, 1",        // stride 3 with padding 2: phases of a 17-wide padded row
        "3, 1, 7, 5, 12, 3, 3, 1, 2, 2, 1",        // the same, dilated, P = 35: two vectors and a scalar tail
        "2, 2, 6, 19, 27, 2, 4, 1, 1, 1, 1",       // odd C_out (lone last rows of y and dy), K = 16 (a lone last row of cols), P = 126
        "2, 2, 9, 16, 20, 3, 3, 1, 1, 1, 2",       // the same, grouped, P = 144: whole vectors
        "12, 32, 14, 14, 64, 4, 4, 2, 1, 1, 1",    // DCGAN-like, K = 512: the weight gradient by channels, 4 blocks of 3 samples
        "7, 44, 9, 9, 40, 3, 3, 1, 1, 1, 1",       // by channels: parts of 11 channels (99 columns, a panel edge), blocks of one
        "5, 50, 6, 6, 24, 3, 3, 1, 1, 1, 1",       // by channels: uneven parts of 12 and 13 channels
        "6, 512, 4, 4, 16, 1, 1, 1, 0, 1, 1"})     // by channels through the 1x1 shortcut
    void gemmPathMatchesDirectLoops(int n, int cIn, int h, int w, int cOut, int kh, int kw, int stride, int pad, int dil, int groups) {
        Conv2dGeometry g = Conv2dGeometry.of(n, cIn, h, w, cOut, kh, kw, stride, stride, pad, pad, dil, dil, groups);
        SplittableRandom r = new SplittableRandom(n * 1000L + cIn * 10L + cOut);
        // Offsets prove the kernels honor Strided.offset.
        Strided x = random(r, 3, g.inputShape()), wt = random(r, 5, g.weightShape()), gy = random(r, 1, g.outputShape());

        Strided fast = empty(0, g.outputShape()), slow = empty(0, g.outputShape());
        ConvKernels.forward(g, x, wt, fast);
        ConvDirect.forward(g, x, wt, slow);
        compare("forward", fast, slow, g.cInPerGroup() * kh * kw);

        Strided fastDx = empty(2, g.inputShape()), slowDx = empty(0, g.inputShape());
        ConvKernels.backwardData(g, gy, wt, fastDx);
        ConvDirect.backwardData(g, gy, wt, slowDx);
        compare("backward-data", fastDx, slowDx, g.cOutPerGroup() * kh * kw);

        Strided fastDw = empty(4, g.weightShape()), slowDw = empty(0, g.weightShape());
        ConvKernels.backwardWeight(g, x, gy, fastDw);
        ConvDirect.backwardWeight(g, x, gy, slowDw);
        compare("backward-weight", fastDw, slowDw, n * g.outH() * g.outW());

        // The weight gradient sums partials in a fixed order: the same bits on every run.
        Strided again = empty(4, g.weightShape());
        ConvKernels.backwardWeight(g, x, gy, again);
        assertArrayEquals(values(fastDw), values(again), "backward-weight is deterministic");
    }

    /**
     * Which weight gradients split by input channels: the DCGAN's 64 → 128 convolution (1024 columns
     * of dw) into a few parts per thread of at least 96 columns, evenly over the threads; not the
     * reference CNN's 32 → 64 (288 columns: too few parts), nor a grouped one.
     */
    @Test
    void theWeightGradientSplitsByChannelsWhereThereAreColumnsForSeveralPartsPerThread() {
        assumeTrue(Parallel.THREADS > 1, "one thread configured: the weight gradient is not split");
        int t = Parallel.THREADS;
        int dcgan = ConvKernels.channelParts(Conv2dGeometry.of(64, 64, 14, 14, 128, 4, 4, 2, 2, 1, 1, 1, 1, 1));
        assertTrue(dcgan >= 2 * t && dcgan % t == 0 && 64 * 16 / dcgan >= 96, "DCGAN conv2: " + dcgan + " parts on " + t + " threads");
        assertEquals(0, ConvKernels.channelParts(Conv2dGeometry.of(128, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1)), "CNN conv2");
        assertEquals(0, ConvKernels.channelParts(Conv2dGeometry.of(64, 64, 14, 14, 128, 4, 4, 2, 2, 1, 1, 1, 1, 2)), "grouped");
    }

    /**
     * The per-thread padded copy is reused while its layout stays the same, with the borders left
     * zero from before. With stride 3, column padding 0 and 1 give a 10-wide input the same stored
     * row (three phases of 4), yet different borders: the second must not read the first's values
     * where its padding is. One sample runs on the calling thread, so both use the same buffer.
     */
    @Test
    void theReusedPaddedCopyKeepsItsBordersZeroAcrossPaddings() {
        SplittableRandom r = new SplittableRandom(31);
        for (int padW : new int[] {0, 1}) {
            Conv2dGeometry g = Conv2dGeometry.of(1, 2, 6, 10, 3, 3, 3, 1, 3, 1, padW, 1, 1, 1);
            Strided x = random(r, 0, g.inputShape()), wt = random(r, 0, g.weightShape());
            Strided fast = empty(0, g.outputShape()), slow = empty(0, g.outputShape());
            ConvKernels.forward(g, x, wt, fast);
            ConvDirect.forward(g, x, wt, slow);
            compare("forward, column padding " + padW, fast, slow, g.cInPerGroup() * 9);
        }
    }

    /** A contiguous F32 operand at {@code offset} in a buffer pre-filled with NaN (so unwritten output shows). */
    private static Strided empty(int offset, int[] shape) {
        Strided s = Strided.contiguous(CpuBuffer.allocate(DType.F32, offset + numel(shape)), shape);
        java.util.Arrays.fill(CpuBuffer.of(s.buffer()).f, Float.NaN);
        return new Strided(s.buffer(), shape, s.strides(), offset);
    }

    private static Strided random(SplittableRandom r, int offset, int[] shape) {
        Strided s = empty(offset, shape);
        float[] f = CpuBuffer.of(s.buffer()).f;
        for (int i = 0; i < numel(shape); i++) {
            f[offset + i] = (float) (r.nextDouble() * 2 - 1);
        }
        return s;
    }

    private static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    private static float[] values(Strided s) {
        int off = (int) s.offset();
        return java.util.Arrays.copyOfRange(CpuBuffer.of(s.buffer()).f, off, off + (int) s.numel());
    }

    /**
     * F32 sums of {@code terms} products of values in [-1, 1] (each rounded once in the direct path):
     * the error grows like √terms·ε, so allow 1e-6·terms, and fail on any NaN (an unwritten element).
     */
    private static void compare(String what, Strided fast, Strided slow, int terms) {
        float[] a = values(fast), e = values(slow);
        double tol = 1e-6 * terms + 1e-6;
        for (int i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - e[i]) <= tol)) {
                fail(what + ": element " + i + " of " + a.length + ": gemm path " + a[i] + ", direct " + e[i] + " (tol " + tol + ")");
            }
        }
    }
}
