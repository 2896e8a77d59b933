package dev.fathom.cuda;

import dev.fathom.spi.Strided;
import dev.fathom.tensor.DType;

import java.util.Objects;

import static dev.fathom.cuda.FusedOperandChecks.describe;
import static dev.fathom.cuda.FusedOperandChecks.dtype;
import static dev.fathom.cuda.FusedOperandChecks.required;
import static dev.fathom.cuda.FusedOperandChecks.shapes;

/**
 * The fused LSTM cell ({@link dev.fathom.spi.Kernels#lstmCell},
 * {@link dev.fathom.spi.Kernels#lstmCellBackward}) on a {@link CudaDevice}: checks the operands and
 * enqueues one kernel of {@code recurrent.cu} per call, a grid-stride loop over the R·H units with
 * {@link LaunchGeometry#forElements}, without waiting. One launch instead of the composite's ten
 * (forward) matters because a recurrent layer runs the cell once per time step, and at the sizes
 * of one step the launches, not the arithmetic, are the cost.
 *
 * <p>The layout rules are those of the SPI: H is {@code c}'s last dim and R = numel(c) / H; gates
 * (and gradGates) are {@code [..., 4H]}, acts {@code [..., 5H]}, out (and gradOut) {@code [2, ..., H]},
 * each with the element count that follows; every operand contiguous from its offset, one floating
 * dtype. The optional addends (the forward's inputGates, the backward's gradH) follow the same rules
 * or are null, which the kernels read as none. The kernels take a buffer's base address plus the
 * operand's element offset, so views need no copy. With no units nothing is launched.
 */
final class CudaRecurrent {
    private final KernelModule module;
    private final CudaFusedOps.Addresses addresses;

    /**
     * @param device    the GPU; its module {@code recurrent} loads on first use
     * @param addresses the buffers' device addresses (as for {@link CudaFusedOps})
     */
    CudaRecurrent(CudaDevice device, CudaFusedOps.Addresses addresses) {
        this.module = new KernelModule(Objects.requireNonNull(device, "device"), "recurrent");
        this.addresses = Objects.requireNonNull(addresses, "addresses");
    }

    void lstmCell(Strided gates, Strided inputGates, Strided c, Strided out, Strided acts) {
        String op = "lstmCell";
        DType dt = present(op, new String[] {"gates", "c", "out", "acts"}, gates, c, out, acts);
        long h = hidden(op, c);
        long n = c.numel();
        layout(op, "gates", gates, 4 * h, 4 * n, "[..., 4H]", "the pre-activations of the input, forget, cell and output gates", c);
        layout(op, "out", out, h, 2 * n, "[2, ..., H]", "h' then c', c's shape with a leading 2", c);
        layout(op, "acts", acts, 5 * h, 5 * n, "[..., 5H]", "i, f, g, o and tanh(c') for the backward", c);
        addend(op, "inputGates", inputGates, 4 * h, 4 * n, "[..., 4H]", "the input projection, shaped as gates", c);
        module.launch(op, LazyText.of(() -> shapes(gates, c) + " " + dt), "lstm_cell_" + suffix(dt),
                LaunchGeometry.forElements(n),
                KernelParams.of().ptr(address(gates, op)).i64(gates.offset()).ptr(optionalAddress(inputGates, op))
                        .i64(inputGates == null ? 0 : inputGates.offset()).ptr(address(c, op)).i64(c.offset())
                        .ptr(address(out, op)).i64(out.offset()).ptr(address(acts, op)).i64(acts.offset())
                        .i64(rows(n, h)).i64(h));
    }

    void lstmCellBackward(Strided acts, Strided c, Strided gradOut, Strided gradH, Strided gradGates, Strided gradC) {
        String op = "lstmCellBackward";
        DType dt = present(op, new String[] {"acts", "c", "gradOut", "gradGates", "gradC"}, acts, c, gradOut, gradGates, gradC);
        long h = hidden(op, c);
        long n = c.numel();
        layout(op, "acts", acts, 5 * h, 5 * n, "[..., 5H]", "the forward's acts: i, f, g, o and tanh(c')", c);
        layout(op, "gradOut", gradOut, h, 2 * n, "[2, ..., H]", "the gradients of h' and c', shaped as the forward's out", c);
        layout(op, "gradGates", gradGates, 4 * h, 4 * n, "[..., 4H]", "shaped as the forward's gates", c);
        layout(op, "gradC", gradC, h, n, "[..., H]", "shaped as c", c);
        addend(op, "gradH", gradH, h, n, "[..., H]", "the next step's gradient of h', shaped as c", c);
        module.launch(op, LazyText.of(() -> shapes(acts, c) + " " + dt), "lstm_cell_backward_" + suffix(dt),
                LaunchGeometry.forElements(n),
                KernelParams.of().ptr(address(acts, op)).i64(acts.offset()).ptr(address(c, op)).i64(c.offset())
                        .ptr(address(gradOut, op)).i64(gradOut.offset()).ptr(optionalAddress(gradH, op))
                        .i64(gradH == null ? 0 : gradH.offset()).ptr(address(gradGates, op)).i64(gradGates.offset())
                        .ptr(address(gradC, op)).i64(gradC.offset()).i64(rows(n, h)).i64(h));
    }

    /** An optional addend (null: none) must have the operands' dtype and the given layout. */
    private static void addend(String op, String name, Strided s, long lastDim, long numel, String form, String what, Strided c) {
        if (s == null) {
            return;
        }
        dtype(op, new String[] {"c", name}, c, s);
        layout(op, name, s, lastDim, numel, form, what, c);
    }

    /** The operands' one dtype, after checking that each is there. */
    private static DType present(String op, String[] names, Strided... operands) {
        for (int i = 0; i < names.length; i++) {
            required(op, names[i], operands[i]);
        }
        return dtype(op, names, operands);
    }

    /** H: c's last dim (c is {@code [..., H]}, the previous cell state). */
    private static long hidden(String op, Strided c) {
        int[] shape = c.shape();
        if (shape.length == 0) {
            throw new IllegalArgumentException("cuda " + op + ": c must be [..., H] with at least one dim, got the scalar "
                    + describe(c) + "; pass the previous cell state as [R, H] (or [H] for one row)");
        }
        return shape[shape.length - 1];
    }

    /** An operand must end in {@code lastDim} and hold {@code numel} elements (c's count times its width in H). */
    private static void layout(String op, String name, Strided s, long lastDim, long numel, String form, String what, Strided c) {
        int[] shape = s.shape();
        if (shape.length == 0 || shape[shape.length - 1] != lastDim || s.numel() != numel) {
            throw new IllegalArgumentException("cuda " + op + ": " + name + " must be " + form + " (" + what + ") with H = "
                    + c.shape()[c.shape().length - 1] + " from c " + describe(c) + ": last dim " + lastDim + " and " + numel
                    + " elements, got " + describe(s) + "; shape " + name + " to match c");
        }
    }

    private static long rows(long n, long h) {
        return h == 0 ? 0 : n / h;
    }

    private long address(Strided s, String op) {
        return addresses.of(s, op);
    }

    private long optionalAddress(Strided s, String op) {
        return s == null ? 0 : addresses.of(s, op);
    }

    private static String suffix(DType dt) {
        return dt == DType.F32 ? "f32" : "f64";
    }
}
