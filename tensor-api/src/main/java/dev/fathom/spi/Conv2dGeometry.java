package dev.fathom.spi;

/**
 * The shapes of one 2-D convolution, computed once by the tensor layer (which validates them) so
 * that no backend re-derives a shape rule. Layouts are NCHW: input {@code (N, C_in, H, W)},
 * weight {@code (C_out, C_in/groups, KH, KW)}, output {@code (N, C_out, OH, OW)}, where
 * {@code OH = (H + 2·padH − dilH·(KH−1) − 1) / strideH + 1} (floor; PyTorch's rule), likewise OW.
 * Input channel group {@code g} ({@code C_in/groups} channels) feeds output channels
 * {@code [g·C_out/groups, (g+1)·C_out/groups)}.
 */
public record Conv2dGeometry(int n, int cIn, int h, int w, int cOut, int kh, int kw, int strideH, int strideW,
                             int padH, int padW, int dilH, int dilW, int groups, int outH, int outW) {

    /** The geometry with OH and OW computed by the rule above (which may come out ≤ 0: the caller checks). */
    public static Conv2dGeometry of(int n, int cIn, int h, int w, int cOut, int kh, int kw, int strideH, int strideW,
                                    int padH, int padW, int dilH, int dilW, int groups) {
        return new Conv2dGeometry(n, cIn, h, w, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups,
                outSize(h, kh, strideH, padH, dilH), outSize(w, kw, strideW, padW, dilW));
    }

    /** {@code floor((in + 2·pad − dil·(k−1) − 1) / stride) + 1}: the output length of a window sweep. */
    public static int outSize(int in, int k, int stride, int pad, int dil) {
        return Math.floorDiv(in + 2 * pad - dil * (k - 1) - 1, stride) + 1;
    }

    /** Input channels per group, {@code C_in/groups}. */
    public int cInPerGroup() {
        return cIn / groups;
    }

    /** Output channels per group, {@code C_out/groups}. */
    public int cOutPerGroup() {
        return cOut / groups;
    }

    public int[] inputShape() {
        return new int[] {n, cIn, h, w};
    }

    public int[] weightShape() {
        return new int[] {cOut, cIn / groups, kh, kw};
    }

    public int[] outputShape() {
        return new int[] {n, cOut, outH, outW};
    }
}
