package dev.fathom.conformance;

/**
 * The F64 definitions of 2-D convolution and pooling (NCHW), as naive loops over every index:
 * what {@code Convolutions} and every backend's kernels are held to. Never optimized, never calls
 * Fathom. A window position {@code (i·s − pad + k·dil)} outside the input reads as 0 (convolution,
 * average pooling) or is skipped (max pooling).
 */
final class ConvRef {
    /** Geometry of one case: input (n, cIn, h, w), weight (cOut, cIn/groups, kh, kw). */
    record Conv(int n, int cIn, int h, int w, int cOut, int kh, int kw, int sH, int sW, int pH, int pW, int dH, int dW, int groups) {
        int outH() {
            return Math.floorDiv(h + 2 * pH - dH * (kh - 1) - 1, sH) + 1;
        }

        int outW() {
            return Math.floorDiv(w + 2 * pW - dW * (kw - 1) - 1, sW) + 1;
        }

        int[] xShape() {
            return new int[] {n, cIn, h, w};
        }

        int[] wShape() {
            return new int[] {cOut, cIn / groups, kh, kw};
        }

        int[] yShape() {
            return new int[] {n, cOut, outH(), outW()};
        }

        @Override
        public String toString() {
            return "x[" + n + "," + cIn + "," + h + "," + w + "] w[" + cOut + "," + cIn / groups + "," + kh + "," + kw + "] s(" + sH + "," + sW
                    + ") p(" + pH + "," + pW + ") d(" + dH + "," + dW + ") g" + groups;
        }
    }

    private ConvRef() {
    }

    /** y[n,o,i,j] = b[o] + Σ_{c,p,q} x[n, grp(o)·cinG + c, i·sH − pH + p·dH, j·sW − pW + q·dW]·w[o,c,p,q]; b may be null. */
    static Ref conv2d(Conv g, Ref x, Ref w, Ref b) {
        int cinG = g.cIn() / g.groups(), coutG = g.cOut() / g.groups();
        int oh = g.outH(), ow = g.outW();
        double[] y = new double[g.n() * g.cOut() * oh * ow];
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.cOut(); o++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double s = b == null ? 0 : b.data[o];
                        for (int c = 0; c < cinG; c++) {
                            for (int p = 0; p < g.kh(); p++) {
                                for (int q = 0; q < g.kw(); q++) {
                                    int ih = i * g.sH() - g.pH() + p * g.dH(), iw = j * g.sW() - g.pW() + q * g.dW();
                                    if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                        int ci = o / coutG * cinG + c;
                                        s += x.data[((n * g.cIn() + ci) * g.h() + ih) * g.w() + iw] * w.data[((o * cinG + c) * g.kh() + p) * g.kw() + q];
                                    }
                                }
                            }
                        }
                        y[((n * g.cOut() + o) * oh + i) * ow + j] = s;
                    }
                }
            }
        }
        return new Ref(g.yShape(), y);
    }

    /** The gradients of Σ gy·conv2d(x, w, b) with respect to x, w and b: {dx, dw, db}. */
    static Ref[] conv2dBackward(Conv g, Ref x, Ref w, Ref gy) {
        int cinG = g.cIn() / g.groups(), coutG = g.cOut() / g.groups();
        int oh = g.outH(), ow = g.outW();
        double[] dx = new double[x.data.length], dw = new double[w.data.length], db = new double[g.cOut()];
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.cOut(); o++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double d = gy.data[((n * g.cOut() + o) * oh + i) * ow + j];
                        db[o] += d;
                        for (int c = 0; c < cinG; c++) {
                            for (int p = 0; p < g.kh(); p++) {
                                for (int q = 0; q < g.kw(); q++) {
                                    int ih = i * g.sH() - g.pH() + p * g.dH(), iw = j * g.sW() - g.pW() + q * g.dW();
                                    if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                        int xi = ((n * g.cIn() + o / coutG * cinG + c) * g.h() + ih) * g.w() + iw;
                                        int wi = ((o * cinG + c) * g.kh() + p) * g.kw() + q;
                                        dx[xi] += d * w.data[wi];
                                        dw[wi] += d * x.data[xi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return new Ref[] {new Ref(x.shape, dx), new Ref(w.shape, dw), new Ref(new int[] {g.cOut()}, db)};
    }

    /** Pooling geometry over x (n, c, h, w); {@code ceil}: PyTorch's ceil_mode. */
    record Pool(int n, int c, int h, int w, int kh, int kw, int sH, int sW, int pH, int pW, int dH, int dW, boolean ceil) {
        Pool(int n, int c, int h, int w, int kh, int kw, int sH, int sW, int pH, int pW, int dH, int dW) {
            this(n, c, h, w, kh, kw, sH, sW, pH, pW, dH, dW, false);
        }

        int outH() {
            return out(h, kh, sH, pH, dH);
        }

        int outW() {
            return out(w, kw, sW, pW, dW);
        }

        /** PyTorch's pooling_output_shape: rounded down, or up unless the last window would start in the right padding. */
        private int out(int in, int k, int s, int p, int d) {
            int span = in + 2 * p - d * (k - 1) - 1;
            if (!ceil) {
                return Math.floorDiv(span, s) + 1;
            }
            int o = Math.ceilDiv(span, s) + 1;
            return (o - 1) * s >= in + p ? o - 1 : o;
        }

        int[] xShape() {
            return new int[] {n, c, h, w};
        }

        int[] yShape() {
            return new int[] {n, c, outH(), outW()};
        }

        @Override
        public String toString() {
            return "x[" + n + "," + c + "," + h + "," + w + "] k(" + kh + "," + kw + ") s(" + sH + "," + sW + ") p(" + pH + "," + pW + ") d(" + dH + "," + dW + ")"
                    + (ceil ? " ceil" : "");
        }
    }

    /** {values, indices}: the max of each window (first of ties) and its flat position h·W + w in the input plane. */
    static Ref[] maxPool2d(Pool g, Ref x) {
        int oh = g.outH(), ow = g.outW();
        double[] y = new double[g.n() * g.c() * oh * ow], idx = new double[y.length];
        for (int nc = 0; nc < g.n() * g.c(); nc++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double best = Double.NaN;
                    int at = -1;
                    for (int p = 0; p < g.kh(); p++) {
                        for (int q = 0; q < g.kw(); q++) {
                            int ih = i * g.sH() - g.pH() + p * g.dH(), iw = j * g.sW() - g.pW() + q * g.dW();
                            if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                double v = x.data[(nc * g.h() + ih) * g.w() + iw];
                                if (at < 0 || v > best) {
                                    best = v;
                                    at = ih * g.w() + iw;
                                }
                            }
                        }
                    }
                    y[(nc * oh + i) * ow + j] = best;
                    idx[(nc * oh + i) * ow + j] = at;
                }
            }
        }
        return new Ref[] {new Ref(g.yShape(), y), new Ref(g.yShape(), idx)};
    }

    /**
     * The mean of each window: divided by its positions inside the padded input (countIncludePad;
     * kh·kw but for a ceil-mode window that reaches past the padding) or by its real elements.
     */
    static Ref avgPool2d(Pool g, Ref x, boolean countIncludePad) {
        int oh = g.outH(), ow = g.outW();
        double[] y = new double[g.n() * g.c() * oh * ow];
        for (int nc = 0; nc < g.n() * g.c(); nc++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double s = 0;
                    int real = 0, padded = 0;
                    for (int p = 0; p < g.kh(); p++) {
                        for (int q = 0; q < g.kw(); q++) {
                            int ih = i * g.sH() - g.pH() + p, iw = j * g.sW() - g.pW() + q;
                            if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                s += x.data[(nc * g.h() + ih) * g.w() + iw];
                                real++;
                            }
                            if (ih < g.h() + g.pH() && iw < g.w() + g.pW()) {
                                padded++;
                            }
                        }
                    }
                    y[(nc * oh + i) * ow + j] = s / (countIncludePad ? padded : real);
                }
            }
        }
        return new Ref(g.yShape(), y);
    }

    /** PyTorch's adaptive average: output (i, j) averages rows [⌊iH/oh⌋, ⌈(i+1)H/oh⌉) and likewise columns. */
    static Ref adaptiveAvgPool2d(Ref x, int oh, int ow) {
        int n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        double[] y = new double[n * c * oh * ow];
        for (int nc = 0; nc < n * c; nc++) {
            for (int i = 0; i < oh; i++) {
                int h0 = (int) Math.floor((double) i * h / oh), h1 = (int) Math.ceil((double) (i + 1) * h / oh);
                for (int j = 0; j < ow; j++) {
                    int w0 = (int) Math.floor((double) j * w / ow), w1 = (int) Math.ceil((double) (j + 1) * w / ow);
                    double s = 0;
                    for (int a = h0; a < h1; a++) {
                        for (int b = w0; b < w1; b++) {
                            s += x.data[(nc * h + a) * w + b];
                        }
                    }
                    y[(nc * oh + i) * ow + j] = s / ((h1 - h0) * (w1 - w0));
                }
            }
        }
        return new Ref(new int[] {n, c, oh, ow}, y);
    }
}
