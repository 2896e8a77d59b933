package dev.fathom.cuda;

import dev.fathom.spi.Pool2dGeometry;

/**
 * The launch geometry of the pooling kernels in {@code pool.cu}: grid-stride launches by
 * {@link LaunchGeometry#forElements}'s rule, one thread per output element for the forward
 * passes ({@code N·C·OH·OW}) and one per input element for the backward passes
 * ({@code N·C·H·W}), which gather from the windows containing their element instead of
 * scattering with atomics. The kernels index within a plane with 32-bit ints, so {@link #of}
 * rejects planes of 2^31 elements or more. The kernel emulation test launches with exactly these
 * numbers.
 *
 * @param forward  grid over the outputs (empty when there are none)
 * @param backward grid over the inputs (empty when there are none)
 */
public record PoolGeometry(LaunchGeometry forward, LaunchGeometry backward) {

    /** The geometry for {@code g}. */
    public static PoolGeometry of(Pool2dGeometry g) {
        return of(g, LaunchGeometry.MAX_GRID);
    }

    /** As {@link #of(Pool2dGeometry)} with at most {@code maxGrid} blocks, so tests make threads loop. */
    public static PoolGeometry of(Pool2dGeometry g, int maxGrid) {
        check(g);
        long planes = (long) g.n() * g.c();
        return new PoolGeometry(LaunchGeometry.forElements(planes * g.outH() * g.outW(), maxGrid),
                LaunchGeometry.forElements(planes * g.h() * g.w(), maxGrid));
    }

    private static void check(Pool2dGeometry g) {
        if (g.n() < 0 || g.c() < 0 || g.h() < 1 || g.w() < 1 || g.kh() < 1 || g.kw() < 1 || g.strideH() < 1
                || g.strideW() < 1 || g.padH() < 0 || g.padW() < 0 || g.padH() > g.kh() / 2 || g.padW() > g.kw() / 2
                || g.dilH() < 1 || g.dilW() < 1 || g.outH() < 1 || g.outW() < 1
                || !followsTheRule(g, false) && !followsTheRule(g, true)) {
            throw new IllegalArgumentException("PoolGeometry.of: " + describe(g) + " is not a valid pooling; sizes, kernel, "
                    + "stride and dilation must be >= 1, padding in [0, kernel/2], and the output size must follow "
                    + "Pool2dGeometry.outSize, rounded down or up (build it with Pool2dGeometry.of)");
        }
        if ((long) g.h() * g.w() > Integer.MAX_VALUE || (long) g.outH() * g.outW() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("PoolGeometry.of: " + describe(g) + " has a plane of 2^31 elements or more, "
                    + "past the kernels' 32-bit plane index; pool tiles of the image separately");
        }
    }

    /** Whether both output sizes are Pool2dGeometry.outSize's, with ceilMode: the only geometries the kernels' window bounds were written for. */
    private static boolean followsTheRule(Pool2dGeometry g, boolean ceilMode) {
        return g.outH() == Pool2dGeometry.outSize(g.h(), g.kh(), g.strideH(), g.padH(), g.dilH(), ceilMode)
                && g.outW() == Pool2dGeometry.outSize(g.w(), g.kw(), g.strideW(), g.padW(), g.dilW(), ceilMode);
    }

    static String describe(Pool2dGeometry g) {
        return "pool2d x [" + g.n() + ", " + g.c() + ", " + g.h() + ", " + g.w() + "], kernel (" + g.kh() + ", " + g.kw()
                + "), stride (" + g.strideH() + ", " + g.strideW() + "), padding (" + g.padH() + ", " + g.padW()
                + "), dilation (" + g.dilH() + ", " + g.dilW() + ") -> [" + g.outH() + ", " + g.outW() + "]";
    }
}
