package dev.fathom.data;

import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Transforms on small hand-made images. */
class TransformTest {

    /** One 1×3×3 image:  1 2 3 / 4 5 6 / 7 8 9. */
    private static final Transform.Images NINE = new Transform.Images(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);

    @Test
    void normalizeIsPerChannel() {
        // Two 2-channel 1×2 images: channel 0 holds {0, 2} / {4, 6}, channel 1 holds {1, 3} / {5, 7}.
        Transform.Images in = new Transform.Images(new float[] {0, 2, 1, 3, 4, 6, 5, 7}, 2, 2, 1, 2);
        Transform.Images out = new Normalize(new double[] {2, 1}, new double[] {2, 4}).apply(in, new SplittableRandom(0));
        // channel 0: (x - 2) / 2; channel 1: (x - 1) / 4
        assertArrayEquals(new float[] {-1, 0, 0, 0.5f, 1, 2, 1, 1.5f}, out.data(), 1e-6f);
        assertArrayEquals(new float[] {0, 2, 1, 3, 4, 6, 5, 7}, in.data(), "the input is left alone");
        assertArrayEquals(new float[] {-2, -1.5f, -1.75f, -1.25f}, new Normalize(0.5, 0.25).apply(
                new Transform.Images(new float[] {0, 0.125f, 0.0625f, 0.1875f}, 1, 1, 2, 2), null).data(), 1e-6f);
        String m = assertThrows(IllegalArgumentException.class, () -> new Normalize(new double[] {0, 0, 0}, new double[] {1, 1, 1})
                .apply(in, null)).getMessage();
        assertTrue(m.contains("3 means") && m.contains("2 channels"), m);
        assertThrows(IllegalArgumentException.class, () -> new Normalize(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Normalize(new double[] {0, 1}, new double[] {1}));
    }

    @Test
    void cropOfThePaddedSizeIsThePaddedImage() {
        // Padding 1 around a 3×3 image gives 5×5; a 5×5 window fits only at (0, 0).
        Transform.Images out = new RandomCrop(5, 1).apply(NINE, new SplittableRandom(1));
        assertArrayEquals(new float[] {
            0, 0, 0, 0, 0,
            0, 1, 2, 3, 0,
            0, 4, 5, 6, 0,
            0, 7, 8, 9, 0,
            0, 0, 0, 0, 0}, out.data());
    }

    @Test
    void cropWindowsComeFromTheStreamTopThenLeft() {
        // 4 copies of NINE; a 3×3 window in the 5×5 padded image starts at top, left in {0, 1, 2}.
        float[] four = new float[36];
        for (int i = 0; i < 4; i++) {
            System.arraycopy(NINE.data(), 0, four, 9 * i, 9);
        }
        Transform.Images out = new RandomCrop(3, 1).apply(new Transform.Images(four, 4, 1, 3, 3), new SplittableRandom(77));
        SplittableRandom draws = new SplittableRandom(77);
        float[][] padded = new float[5][5];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                padded[r + 1][c + 1] = NINE.data()[3 * r + c];
            }
        }
        boolean moved = false;
        for (int i = 0; i < 4; i++) {
            int top = draws.nextInt(3);
            int left = draws.nextInt(3);
            moved |= top != 1 || left != 1;
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(padded[top + r][left + c], out.data()[9 * i + 3 * r + c], "image " + i + " at " + r + "," + c);
                }
            }
        }
        assertTrue(moved, "seed 77 should move at least one window off the centre");
        // A 2×2 crop with no padding of  1 2 3 / 4 5 6 / 7 8 9, window at (1, 0):  4 5 / 7 8.
        SplittableRandom r = new SplittableRandom(5);
        int top = new SplittableRandom(5).nextInt(2);
        SplittableRandom again = new SplittableRandom(5);
        again.nextInt(2);
        int left = again.nextInt(2);
        Transform.Images small = new RandomCrop(2, 0).apply(NINE, r);
        assertArrayEquals(new float[] {NINE.data()[3 * top + left], NINE.data()[3 * top + left + 1], NINE.data()[3 * (top + 1) + left],
            NINE.data()[3 * (top + 1) + left + 1]}, small.data());
        assertArrayEquals(new int[] {1, 1, 2, 2}, small.shape());
        String m = assertThrows(IllegalArgumentException.class, () -> new RandomCrop(6, 1).apply(NINE, new SplittableRandom(0))).getMessage();
        assertTrue(m.contains("6x6") && m.contains("5x5"), m);
    }

    @Test
    void flipMirrorsRowsOfEveryChannel() {
        // One 2-channel 2×3 image.
        Transform.Images in = new Transform.Images(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 1, 2, 2, 3);
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10}, new RandomHorizontalFlip(1).apply(in, new SplittableRandom(0))
                .data());
        assertArrayEquals(in.data(), new RandomHorizontalFlip(0).apply(in, new SplittableRandom(0)).data());
        assertThrows(IllegalArgumentException.class, () -> new RandomHorizontalFlip(1.5));
    }

    @Test
    void flipDrawsOncePerImage() {
        int n = 64;
        float[] rows = new float[n * 2];
        for (int i = 0; i < n; i++) {
            rows[2 * i] = 2 * i;
            rows[2 * i + 1] = 2 * i + 1;
        }
        Transform.Images out = new RandomHorizontalFlip(0.3).apply(new Transform.Images(rows, n, 1, 1, 2), new SplittableRandom(9));
        SplittableRandom draws = new SplittableRandom(9);
        int flipped = 0;
        for (int i = 0; i < n; i++) {
            boolean flip = draws.nextDouble() < 0.3;
            flipped += flip ? 1 : 0;
            assertEquals(flip ? 2 * i + 1 : 2 * i, out.data()[2 * i], "image " + i);
        }
        assertTrue(flipped > 0 && flipped < n);
    }

    @Test
    void composeAndTensorConvenience() {
        Transform t = Transform.compose(new RandomHorizontalFlip(1), new Normalize(1, 2));
        try (Scope s = Scope.open()) {
            Tensor out = t.apply(Tensor.of(NINE.data(), 1, 1, 3, 3), 0);
            assertArrayEquals(new int[] {1, 1, 3, 3}, out.shape());
            // flip: 3 2 1 / 6 5 4 / 9 8 7, then (x - 1) / 2
            assertArrayEquals(new float[] {1, 0.5f, 0, 2.5f, 2, 1.5f, 4, 3.5f, 3}, out.toFloatArray(), 1e-6f);
            String m = assertThrows(IllegalArgumentException.class, () -> t.apply(Tensor.of(new float[9], 3, 3), 0)).getMessage();
            assertTrue(m.contains("[N, C, H, W]"), m);
        }
    }
}
