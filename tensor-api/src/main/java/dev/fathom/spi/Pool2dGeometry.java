package dev.fathom.spi;

/**
 * The shapes of one 2-D pooling, computed once by the tensor layer: input {@code (N, C, H, W)},
 * output {@code (N, C, OH, OW)} with {@code OH = (H + 2·padH − dilH·(KH−1) − 1) / strideH + 1}
 * (floor, i.e. PyTorch's {@code ceil_mode=False}), likewise OW. Windows reach into the implicit
 * padding but, since the tensor layer enforces {@code pad ≤ kernel/2}, always hold at least one
 * real element. Average pooling has dilation 1.
 */
public record Pool2dGeometry(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
                             int padH, int padW, int dilH, int dilW, int outH, int outW) {

    /** The geometry with OH and OW computed by the rule above (the caller checks they are positive). */
    public static Pool2dGeometry of(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
                                    int padH, int padW, int dilH, int dilW) {
        return new Pool2dGeometry(n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilH, dilW,
                Conv2dGeometry.outSize(h, kh, strideH, padH, dilH), Conv2dGeometry.outSize(w, kw, strideW, padW, dilW));
    }

    public int[] inputShape() {
        return new int[] {n, c, h, w};
    }

    public int[] outputShape() {
        return new int[] {n, c, outH, outW};
    }
}
