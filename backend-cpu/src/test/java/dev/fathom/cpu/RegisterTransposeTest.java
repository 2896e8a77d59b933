package dev.fathom.cpu;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link RegisterTranspose#matrix} against the float-by-float definition: shapes below, at and past
 * whole L × L blocks in either direction, rows with gaps on both sides, offsets, and the rest of
 * the destination (its gaps) left as it was.
 */
class RegisterTransposeTest {
    @Test
    void matrixIsTheTransposeWhateverTheShapeAndStrides() {
        int l = VectorF32.L;
        SplittableRandom random = new SplittableRandom(11);
        int[] sizes = {1, 3, l - 1, l, l + 1, 2 * l, 2 * l + 5, 5 * l + 3};
        for (int rows : sizes) {
            for (int cols : sizes) {
                int s = 7, ss = cols + 3, d = 5, ds = rows + 2;
                float[] src = new float[s + rows * ss + 4];
                for (int i = 0; i < src.length; i++) {
                    src[i] = (float) random.nextDouble(-1, 1);
                }
                float[] dst = new float[d + cols * ds + 4];
                Arrays.fill(dst, Float.NaN);
                float[] want = dst.clone();
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        want[d + c * ds + r] = src[s + r * ss + c];
                    }
                }
                RegisterTranspose.matrix(src, s, ss, rows, cols, dst, d, ds);
                for (int i = 0; i < dst.length; i++) {
                    assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(dst[i]),
                            "rows " + rows + ", cols " + cols + ", L " + l + ": dst[" + i + "]");
                }
            }
        }
    }
}
