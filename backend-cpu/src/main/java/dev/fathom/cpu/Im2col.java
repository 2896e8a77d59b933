package dev.fathom.cpu;

import dev.fathom.spi.Conv2dGeometry;

import java.util.Arrays;

/**
 * The column matrix of one sample and one channel group, the bridge from convolution to GEMM
 * (Chellapilla et al., "High Performance Convolutional Neural Networks for Document Processing",
 * 2006): {@code cols (K, P)} with {@code K = C_in/groups·KH·KW} rows in weight order (c, p, q)
 * and {@code P = OH·OW} columns, {@code cols[(c, p, q), (i, j)] = x[c, i·sH − pH + p·dH, j·sW − pW + q·dW]}
 * (0 in the padding). Its transpose, col2im, is {@link PaddedCol2im}.
 */
final class Im2col {
    private Im2col() {
    }

    /** Fills cols (K, P) from the cinG channels of x starting at {@code xo} (each H·W). */
    static void im2col(float[] x, int xo, Conv2dGeometry g, float[] cols) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        int sH = g.strideH(), sW = g.strideW(), taps = g.kh() * g.kw();
        for (int row = 0, rows = g.cInPerGroup() * taps; row < rows; row++) {
            int c = row / taps, kp = row % taps / g.kw(), kq = row % g.kw();
            int plane = xo + c * h * w;
            int offW = kq * g.dilW() - g.padW();
            // Output columns j whose input column j·sW + offW lies in [0, W).
            int lo = offW >= 0 ? 0 : Math.min(ow, (-offW + sW - 1) / sW);
            int hi = Math.max(lo, Math.min(ow, Math.floorDiv(w - 1 - offW, sW) + 1));
            for (int i = 0; i < oh; i++) {
                int ih = i * sH - g.padH() + kp * g.dilH();
                int dst = row * oh * ow + i * ow;
                if (ih < 0 || ih >= h) {
                    Arrays.fill(cols, dst, dst + ow, 0f);
                    continue;
                }
                int src = plane + ih * w + lo * sW + offW;
                Arrays.fill(cols, dst, dst + lo, 0f);
                if (sW == 1) {
                    System.arraycopy(x, src, cols, dst + lo, hi - lo);
                } else {
                    for (int j = lo; j < hi; j++, src += sW) {
                        cols[dst + j] = x[src];
                    }
                }
                Arrays.fill(cols, dst + hi, dst + ow, 0f);
            }
        }
    }
}
