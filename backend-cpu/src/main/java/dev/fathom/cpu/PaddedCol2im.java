package dev.fathom.cpu;

import dev.fathom.spi.Conv2dGeometry;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * col2im ({@link Im2col}'s transpose: each entry of {@code cols (K, P)} added back into the input
 * position it came from) into the padded, phased image of {@link Im2colPanels.Rows}, the layout the
 * forward panels read. There a row of cols adds into runs of OW consecutive floats, one per output
 * row, with no bounds to test: whole vectors. Into dx itself, a stride-2 convolution's adds went to
 * every other float, one at a time, and were a fifth of the DCGAN's backward-data.
 *
 * <p>Each entry of the image receives its terms in the order of the rows of cols, as {@link Im2col}
 * adds them, so the sums are the same bits. {@link Im2colPanels.Rows#transfer} then copies the
 * interior out into dx; what landed in the padding is dropped.
 */
final class PaddedCol2im {
    private static final VectorSpecies<Float> S = VectorF32.S;
    private static final int L = VectorF32.L;

    private PaddedCol2im() {
    }

    /**
     * Floats for the padded images of {@code samples} samples, one after another: each
     * {@link Im2colPanels.Rows#sampleSize()}, plus a vector's room for the last run.
     */
    static int size(Im2colPanels.Rows rows, int samples) {
        return samples * rows.sampleSize() + L;
    }

    /**
     * {@code padded[po + ...] += cols} for rows {@code [r0, r1)} of one sample's cols (K, P), row
     * r0 at {@code co} and the next {@code ld} further; the sample's padded image starts at
     * {@code po}. {@code cols} must hold a vector's room past the last row's end.
     */
    static void add(float[] cols, int co, int ld, int r0, int r1, Im2colPanels.Rows rows, float[] padded, int po) {
        Conv2dGeometry g = rows.g;
        int oh = g.outH(), ow = g.outW(), rowStep = g.strideH() * rows.rowWidth;
        int whole = ow - ow % L, part = ow - whole;
        // The last vector of a run also covers floats past it: they are stored back unchanged.
        VectorMask<Float> inRun = VectorF32.firstLanes(part);
        for (int row = r0; row < r1; row++) {
            int src = co + (row - r0) * ld, dst = po + rows.start[row];
            for (int i = 0; i < oh; i++, src += ow, dst += rowStep) {
                for (int j = 0; j < whole; j += L) {
                    FloatVector.fromArray(S, padded, dst + j).add(FloatVector.fromArray(S, cols, src + j))
                            .intoArray(padded, dst + j);
                }
                if (part > 0) {
                    FloatVector before = FloatVector.fromArray(S, padded, dst + whole);
                    before.blend(before.add(FloatVector.fromArray(S, cols, src + whole)), inRun).intoArray(padded, dst + whole);
                }
            }
        }
    }
}
