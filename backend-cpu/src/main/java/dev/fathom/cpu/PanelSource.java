package dev.fathom.cpu;

/**
 * Where {@link MatmulKernel#gemmPacked} gets the B operand: its panels, packed on demand. A strided
 * matrix packs by copying ({@link MatmulKernel#strided}); a convolution's column matrix is never
 * formed, its panels are gathered from the image ({@link Im2colPanels}).
 */
@FunctionalInterface
interface PanelSource {
    /**
     * Packs B[pc:pc+kc, jc:jc+nc] into {@link MatmulKernel#NR}-column panels, each k-major:
     * {@code bp[(panel·kc + p)·NR + j]}, zeros past column nc.
     */
    void pack(int pc, int kc, int jc, int nc, float[] bp);
}
