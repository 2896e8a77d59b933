package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

/**
 * Gated recurrent unit (Cho et al. 2014), as PyTorch's {@code nn.GRU}. Gates in PyTorch's row order r, z, n:
 * <pre>
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 * </pre>
 * (the reset gate applies after the hidden projection, as cuDNN and PyTorch do). Parameters, shapes and
 * init are described in {@link Recurrent}; unidirectional only.
 */
public final class GRU extends Recurrent {
    public GRU(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, 1);
    }

    public GRU(int inputSize, int hiddenSize, int numLayers) {
        this(inputSize, hiddenSize, numLayers, true, false, 0);
    }

    public GRU(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout) {
        this(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, DType.F32, Generator.global());
    }

    /** A layer with parameters of {@code dtype} drawn from {@code generator}. */
    public GRU(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout, DType dtype, Generator generator) {
        super("GRU", 3, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, dtype, generator);
    }

    /** Output sequence and final hidden state; {@code h0} may be null (zeros). */
    public RecurrentOutput forward(Tensor input, Tensor h0) {
        return run(null, input, h0, null);
    }

    @Override
    boolean sumsProjections() {
        return false;
    }

    @Override
    Tensor[] cell(Tensor xw, Tensor hw, Tensor h, Tensor c) {
        Tensor[] gi = xw.chunk(3, -1);
        Tensor[] gh = hw.chunk(3, -1);
        Tensor r = gi[0].add(gh[0]).sigmoid();
        Tensor z = gi[1].add(gh[1]).sigmoid();
        Tensor n = gi[2].add(r.mul(gh[2])).tanh();
        // h' = n + z ⊙ (h − n): the same value as (1 − z) ⊙ n + z ⊙ h with one op fewer.
        return new Tensor[] {n.add(z.mul(h.sub(n)))};
    }
}
