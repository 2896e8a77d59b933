package dev.fathom.cpu;

import dev.fathom.spi.Conv2dGeometry;
import dev.fathom.spi.Strided;

/**
 * Convolution by its definition: nested loops with double accumulation, for every floating dtype.
 * It serves F64 (where speed does not matter: references and gradcheck) and is the yardstick the
 * CPU tests hold the F32 GEMM path to. Operands contiguous, NCHW, as {@link dev.fathom.spi.Kernels}
 * documents; outputs are overwritten.
 */
final class ConvDirect {
    private ConvDirect() {
    }

    static void forward(Conv2dGeometry g, Strided xs, Strided ws, Strided ys) {
        double[] x = read(xs), w = read(ws);
        double[] y = new double[(int) ys.numel()];
        int cinG = g.cInPerGroup(), coutG = g.cOutPerGroup();
        int yi = 0;
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.cOut(); o++) {
                int xc0 = n * g.cIn() + o / coutG * cinG;
                for (int i = 0; i < g.outH(); i++) {
                    for (int j = 0; j < g.outW(); j++, yi++) {
                        double s = 0;
                        for (int c = 0; c < cinG; c++) {
                            for (int p = 0; p < g.kh(); p++) {
                                int ih = i * g.strideH() - g.padH() + p * g.dilH();
                                if (ih < 0 || ih >= g.h()) {
                                    continue;
                                }
                                for (int q = 0; q < g.kw(); q++) {
                                    int iw = j * g.strideW() - g.padW() + q * g.dilW();
                                    if (iw >= 0 && iw < g.w()) {
                                        s += x[((xc0 + c) * g.h() + ih) * g.w() + iw] * w[((o * cinG + c) * g.kh() + p) * g.kw() + q];
                                    }
                                }
                            }
                        }
                        y[yi] = s;
                    }
                }
            }
        }
        write(y, ys);
    }

    static void backwardData(Conv2dGeometry g, Strided gys, Strided ws, Strided gxs) {
        double[] gy = read(gys), w = read(ws);
        double[] gx = new double[(int) gxs.numel()];
        scatter(g, gy, w, gx, true);
        write(gx, gxs);
    }

    static void backwardWeight(Conv2dGeometry g, Strided xs, Strided gys, Strided gws) {
        double[] x = read(xs), gy = read(gys);
        double[] gw = new double[(int) gws.numel()];
        scatter(g, gy, x, gw, false);
        write(gw, gws);
    }

    /**
     * For every output element and every (c, p, q) it touches: {@code gx[x index] += gy·w[w index]}
     * (data) or {@code gw[w index] += gy·x[x index]} (weight); {@code other} is w or x accordingly.
     */
    private static void scatter(Conv2dGeometry g, double[] gy, double[] other, double[] into, boolean data) {
        int cinG = g.cInPerGroup(), coutG = g.cOutPerGroup();
        int yi = 0;
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.cOut(); o++) {
                int xc0 = n * g.cIn() + o / coutG * cinG;
                for (int i = 0; i < g.outH(); i++) {
                    for (int j = 0; j < g.outW(); j++, yi++) {
                        double d = gy[yi];
                        for (int c = 0; c < cinG; c++) {
                            for (int p = 0; p < g.kh(); p++) {
                                int ih = i * g.strideH() - g.padH() + p * g.dilH();
                                if (ih < 0 || ih >= g.h()) {
                                    continue;
                                }
                                for (int q = 0; q < g.kw(); q++) {
                                    int iw = j * g.strideW() - g.padW() + q * g.dilW();
                                    if (iw >= 0 && iw < g.w()) {
                                        int xi = ((xc0 + c) * g.h() + ih) * g.w() + iw;
                                        int wi = ((o * cinG + c) * g.kh() + p) * g.kw() + q;
                                        if (data) {
                                            into[xi] += d * other[wi];
                                        } else {
                                            into[wi] += d * other[xi];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static double[] read(Strided s) {
        CpuBuffer b = CpuBuffer.of(s.buffer());
        int off = (int) s.offset(), n = (int) s.numel();
        double[] out = new double[n];
        switch (b.dtype) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.f[off + i];
                }
            }
            case F64 -> System.arraycopy(b.d, off, out, 0, n);
            default -> throw new IllegalArgumentException("cpu: conv2d is not defined for " + b.dtype);
        }
        return out;
    }

    private static void write(double[] v, Strided s) {
        CpuBuffer b = CpuBuffer.of(s.buffer());
        int off = (int) s.offset();
        switch (b.dtype) {
            case F32 -> {
                for (int i = 0; i < v.length; i++) {
                    b.f[off + i] = (float) v[i];
                }
            }
            case F64 -> System.arraycopy(v, 0, b.d, off, v.length);
            default -> throw new IllegalArgumentException("cpu: conv2d is not defined for " + b.dtype);
        }
    }
}
