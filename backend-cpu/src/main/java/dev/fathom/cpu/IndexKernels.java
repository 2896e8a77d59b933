package dev.fathom.cpu;

import dev.fathom.spi.Strided;

/**
 * gather and scatter-add. Both walk the index tensor's shape together with the data operand seen
 * with stride 0 on {@code dim}; the index value then supplies the offset along {@code dim}.
 */
final class IndexKernels {
    private IndexKernels() {
    }

    /** {@code s} with stride 0 on {@code dim} and the given shape (the index's). */
    private static Strided withoutDim(Strided s, int dim, int[] shape) {
        long[] st = s.strides().clone();
        st[dim] = 0;
        return new Strided(s.buffer(), shape, st, s.offset());
    }

    static void gather(Strided xs, int dim, Strided is, Strided os) {
        CpuBuffer x = CpuBuffer.of(xs.buffer()), idx = CpuBuffer.of(is.buffer()), o = CpuBuffer.of(os.buffer());
        int size = xs.shape()[dim];
        long step = xs.strides()[dim];
        StridedLoop loop = new StridedLoop(is.shape(), withoutDim(xs, dim, is.shape()), is, os);
        int sx = loop.innerStride(0), si = loop.innerStride(1), so = loop.innerStride(2);
        loop.runParallel(ElementwiseKernels.GRAIN, (n, off) -> {
            for (int i = 0, xi = off[0], ii = off[1], oi = off[2]; i < n; i++, xi += sx, ii += si, oi += so) {
                long j = idx.l[ii];
                if (j < 0 || j >= size) {
                    throw new IndexOutOfBoundsException("gather: index " + j + " is out of range for dim " + dim + " of size " + size);
                }
                int at = (int) (xi + j * step);
                switch (x.dtype) {
                    case F32 -> o.f[oi] = x.f[at];
                    case F64 -> o.d[oi] = x.d[at];
                    case I64 -> o.l[oi] = x.l[at];
                    case BOOL -> o.b[oi] = x.b[at];
                }
            }
        });
    }

    /** Serial: repeated indices write the same element, so the order of additions is fixed (deterministic). */
    static void scatterAdd(Strided ss, int dim, Strided is, Strided os) {
        CpuBuffer src = CpuBuffer.of(ss.buffer()), idx = CpuBuffer.of(is.buffer()), o = CpuBuffer.of(os.buffer());
        int size = os.shape()[dim];
        long step = os.strides()[dim];
        StridedLoop loop = new StridedLoop(is.shape(), withoutDim(os, dim, is.shape()), is, ss);
        int so = loop.innerStride(0), si = loop.innerStride(1), ss1 = loop.innerStride(2);
        loop.run(0, loop.numel, (n, off) -> {
            for (int i = 0, oi = off[0], ii = off[1], sj = off[2]; i < n; i++, oi += so, ii += si, sj += ss1) {
                long j = idx.l[ii];
                if (j < 0 || j >= size) {
                    throw new IndexOutOfBoundsException("scatterAdd: index " + j + " is out of range for dim " + dim + " of size " + size);
                }
                int at = (int) (oi + j * step);
                switch (o.dtype) {
                    case F32 -> o.f[at] += src.f[sj];
                    case F64 -> o.d[at] += src.d[sj];
                    case I64 -> o.l[at] += src.l[sj];
                    case BOOL -> o.b[at] |= src.b[sj];
                }
            }
        });
    }
}
