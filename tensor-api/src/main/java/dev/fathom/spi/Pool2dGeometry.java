package dev.fathom.spi;

/**
 * The shapes of one 2-D pooling, computed once by the tensor layer: input {@code (N, C, H, W)},
 * output {@code (N, C, OH, OW)} with {@code OH = (H + 2·padH − dilH·(KH−1) − 1) / strideH + 1}
 * rounded down (PyTorch's {@code ceil_mode=False}) or up ({@code ceil_mode=True}: then a last
 * window that would start in the right padding is dropped, as PyTorch does), likewise OW. Windows
 * reach into the implicit padding, and in ceil mode past it, but, since the tensor layer enforces
 * {@code pad ≤ kernel/2}, always hold at least one real element. Average pooling has dilation 1.
 */
public record Pool2dGeometry(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
                             int padH, int padW, int dilH, int dilW, int outH, int outW) {

    /** The geometry with OH and OW computed by the rule above, rounded down (the caller checks they are positive). */
    public static Pool2dGeometry of(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
                                    int padH, int padW, int dilH, int dilW) {
        return of(n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilH, dilW, false);
    }

    /** The geometry with OH and OW rounded up when {@code ceilMode}, else down. */
    public static Pool2dGeometry of(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
                                    int padH, int padW, int dilH, int dilW, boolean ceilMode) {
        return new Pool2dGeometry(n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilH, dilW,
                outSize(h, kh, strideH, padH, dilH, ceilMode), outSize(w, kw, strideW, padW, dilW, ceilMode));
    }

    /** PyTorch's {@code pooling_output_shape}: the window count rounded down, or up without a window that starts in the right padding. */
    public static int outSize(int in, int k, int stride, int pad, int dil, boolean ceilMode) {
        if (!ceilMode) {
            return Conv2dGeometry.outSize(in, k, stride, pad, dil);
        }
        int span = in + 2 * pad - dil * (k - 1) - 1;
        int out = Math.ceilDiv(span, stride) + 1;
        return (long) (out - 1) * stride >= (long) in + pad ? out - 1 : out;
    }

    public int[] inputShape() {
        return new int[] {n, c, h, w};
    }

    public int[] outputShape() {
        return new int[] {n, c, outH, outW};
    }
}
