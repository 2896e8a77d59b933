package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Tensor;

import java.util.Objects;

/**
 * Elman recurrent layer, as PyTorch's {@code nn.RNN}: {@code h' = act(W_ih·x + b_ih + W_hh·h + b_hh)}
 * with act tanh or ReLU. Parameters, shapes and init are described in {@link Recurrent};
 * unidirectional only.
 */
public final class RNN extends Recurrent {
    /** The activation of the cell. */
    public enum Nonlinearity { TANH, RELU }

    private final Nonlinearity nonlinearity;

    public RNN(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, 1);
    }

    public RNN(int inputSize, int hiddenSize, int numLayers) {
        this(inputSize, hiddenSize, numLayers, Nonlinearity.TANH, true, false, 0);
    }

    public RNN(int inputSize, int hiddenSize, int numLayers, Nonlinearity nonlinearity, boolean bias, boolean batchFirst, double dropout) {
        this(inputSize, hiddenSize, numLayers, nonlinearity, bias, batchFirst, dropout, DType.F32, Generator.global());
    }

    /** A layer with parameters of {@code dtype} drawn from {@code generator}. */
    public RNN(int inputSize, int hiddenSize, int numLayers, Nonlinearity nonlinearity, boolean bias, boolean batchFirst, double dropout,
            DType dtype, Generator generator) {
        super("RNN", 1, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, dtype, generator);
        this.nonlinearity = Objects.requireNonNull(nonlinearity, "RNN: nonlinearity is null (TANH or RELU)");
    }

    /** Output sequence and final hidden state; {@code h0} may be null (zeros). */
    public RecurrentOutput forward(Tensor input, Tensor h0) {
        return run(null, input, h0, null);
    }

    @Override
    Tensor[] cell(Tensor xw, Tensor hw, Tensor h, Tensor c) {
        Tensor pre = xw.add(hw);
        return new Tensor[] {nonlinearity == Nonlinearity.TANH ? pre.tanh() : pre.relu()};
    }

    public Nonlinearity nonlinearity() {
        return nonlinearity;
    }

    @Override
    public String toString() {
        return describe(nonlinearity == Nonlinearity.RELU ? ", nonlinearity='relu'" : "");
    }
}
