package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

/**
 * Long short-term memory (Hochreiter &amp; Schmidhuber 1997, with the forget gate of Gers et al. 2000),
 * as PyTorch's {@code nn.LSTM}. Gates in PyTorch's row order i, f, g, o:
 * <pre>
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi)    f = σ(W_if x + b_if + W_hf h + b_hf)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = σ(W_io x + b_io + W_ho h + b_ho)
 *   c' = f ⊙ c + i ⊙ g                      h' = o ⊙ tanh(c')
 * </pre>
 * Parameters, shapes and init are described in {@link Recurrent}; unidirectional only, no {@code proj_size}.
 */
public final class LSTM extends Recurrent {
    public LSTM(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, 1);
    }

    public LSTM(int inputSize, int hiddenSize, int numLayers) {
        this(inputSize, hiddenSize, numLayers, true, false, 0);
    }

    public LSTM(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout) {
        this(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, DType.F32, Generator.global());
    }

    /** A layer with parameters of {@code dtype} drawn from {@code generator}. */
    public LSTM(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout, DType dtype, Generator generator) {
        super("LSTM", 4, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, dtype, generator);
    }

    /** Output sequence and final {@code (h_n, c_n)}; {@code h0} and {@code c0} may each be null (zeros). */
    public RecurrentOutput forward(Tensor input, Tensor h0, Tensor c0) {
        return run(null, input, h0, c0);
    }

    @Override
    boolean hasCell() {
        return true;
    }

    @Override
    Tensor[] layer(Tensor xw, Tensor whh, Tensor h, Tensor c) {
        return LstmLayerOps.run(xw, whh, h, c);
    }

    /** A step in recorded tensor ops: the layer runs step by step only where the backend has no fused cell. */
    @Override
    Tensor[] cell(Tensor xw, Tensor hw, Tensor h, Tensor c) {
        return composite(xw.add(hw), c);
    }

    /**
     * The definition of the cell, which the backend's fused kernels compute ({@link LstmLayerOps}):
     * PyTorch's gate order (input, forget, cell, output).
     */
    static Tensor[] composite(Tensor gates, Tensor c) {
        Tensor[] g = gates.chunk(4, -1);
        Tensor cNext = g[1].sigmoid().mul(c).add(g[0].sigmoid().mul(g[2].tanh()));
        Tensor hNext = g[3].sigmoid().mul(cNext.tanh());
        return new Tensor[] {hNext, cNext};
    }
}
