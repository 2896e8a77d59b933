package dev.fathom.cpu;

import dev.fathom.spi.Pool2dGeometry;
import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The F32 max-pool forward ({@link MaxPool2x2F32}'s lane-wise path for 2×2 stride 2, the scalar walk
 * otherwise) against the rule written as plain loops: windows in order, a strictly greater value
 * replaces the best, a NaN always does. Inputs are drawn from a few levels with NaNs among them, so
 * that ties and NaNs land in every lane and in the masked end of each row; widths cover rows shorter
 * than a vector, exactly one, and one plus a partial.
 */
class MaxPoolF32Test {

    @ParameterizedTest(name = "x[{0},{1},{2},{3}] k{4} s{5} p{6}")
    @CsvSource({
        "2, 3, 28, 28, 2, 2, 0",   // reference CNN: 14 outputs a row
        "3, 2, 14, 14, 2, 2, 0",   // 7 outputs a row: all masked
        "1, 2, 6, 33, 2, 2, 0",    // odd width: the last input column is in no window
        "2, 1, 8, 64, 2, 2, 0",    // whole vectors only
        "1, 1, 5, 7, 2, 2, 0",     // odd height
        "2, 2, 9, 11, 3, 2, 1",    // the scalar walk: padding, overlapping windows
        "1, 3, 10, 40, 2, 1, 0"})  // stride 1: the scalar walk
    void valuesAndIndicesFollowTheRule(int n, int c, int h, int w, int k, int s, int p) {
        Pool2dGeometry g = Pool2dGeometry.of(n, c, h, w, k, k, s, s, p, p, 1, 1);
        int planes = n * c, out = g.outH() * g.outW();
        SplittableRandom r = new SplittableRandom(h * 100L + w);
        float[] levels = {-2f, -0f, 0f, 1f, 1f, 3f, Float.NaN};
        // At the very end of the array too (offset 0, nothing after): the masked loads.
        Strided x = Strided.contiguous(CpuBuffer.allocate(DType.F32, planes * h * w), new int[] {n, c, h, w});
        float[] xf = CpuBuffer.of(x.buffer()).f;
        for (int i = 0; i < xf.length; i++) {
            xf[i] = r.nextInt(5) == 0 ? levels[r.nextInt(levels.length)] : (float) r.nextGaussian();
        }
        int[] yShape = {n, c, g.outH(), g.outW()};
        Strided y = Strided.contiguous(CpuBuffer.allocate(DType.F32, planes * out), yShape);
        Strided idx = Strided.contiguous(CpuBuffer.allocate(DType.I64, planes * out), yShape);
        PoolKernels.maxForward(g, x, y, idx);
        float[] yf = CpuBuffer.of(y.buffer()).f;
        long[] il = CpuBuffer.of(idx.buffer()).l;

        for (int pl = 0; pl < planes; pl++) {
            for (int i = 0; i < g.outH(); i++) {
                for (int j = 0; j < g.outW(); j++) {
                    float best = 0;
                    int at = -1;
                    for (int a = 0; a < k; a++) {
                        for (int b = 0; b < k; b++) {
                            int ih = i * s - p + a, iw = j * s - p + b;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
                                continue;
                            }
                            float v = xf[pl * h * w + ih * w + iw];
                            if (at < 0 || v > best || Float.isNaN(v)) {
                                best = v;
                                at = ih * w + iw;
                            }
                        }
                    }
                    int o = pl * out + i * g.outW() + j;
                    if (Float.floatToRawIntBits(yf[o]) != Float.floatToRawIntBits(best) || il[o] != at) {
                        fail("plane " + pl + " output (" + i + ", " + j + "): got " + yf[o] + " at " + il[o]
                                + ", expected " + best + " at " + at);
                    }
                }
            }
        }
    }
}
