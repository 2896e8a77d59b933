package dev.fathom.nn;

import dev.fathom.tensor.DType;
import dev.fathom.tensor.Generator;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The common part of {@link RNN}, {@link LSTM} and {@link GRU}: hyperparameters, PyTorch's
 * parameters ({@code weight_ih_l{k} [gates·hidden, in]}, {@code weight_hh_l{k} [gates·hidden, hidden]},
 * {@code bias_ih_l{k}}, {@code bias_hh_l{k}}, all {@code U(±1/√hidden)}) and the loop over layers
 * and time steps; subclasses give one cell step.
 *
 * <p>Each layer first projects the whole sequence with {@code weight_ih} in one matmul, then steps
 * through time with {@code weight_hh}; backpropagation through time is autograd over that loop,
 * except that {@code weight_hh}'s gradient is summed over the steps in one product
 * ({@link RecurrentProjection}).
 * Dropout (training only) is applied to the output of every layer but the last. Unidirectional
 * only: PyTorch's {@code bidirectional=True} and {@code proj_size} are not offered.
 *
 * <p>Shapes: input {@code [T, N, input_size]} ({@code [N, T, input_size]} with batch_first) or
 * unbatched {@code [T, input_size]}; states {@code [num_layers, N, hidden]} ({@code [num_layers, hidden]}
 * unbatched); a missing initial state is zeros. Intermediates of the loop belong to the caller's
 * scope (or to the result's graph).
 */
public abstract sealed class Recurrent extends Module permits RNN, LSTM, GRU {
    private final String op;
    private final int inputSize;
    private final int hiddenSize;
    private final int numLayers;
    private final boolean bias;
    private final boolean batchFirst;
    private final double dropout;
    private final Generator generator;

    Recurrent(String op, int gates, int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
            DType dtype, Generator generator) {
        if (inputSize < 1 || hiddenSize < 1 || numLayers < 1) {
            throw new IllegalArgumentException(op + ": input_size, hidden_size and num_layers must be >= 1, got " + inputSize + ", "
                    + hiddenSize + " and " + numLayers);
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException(op + ": dropout must be in [0, 1], got " + dropout);
        }
        Objects.requireNonNull(dtype, () -> op + ": dtype is null");
        if (!dtype.isFloating()) {
            throw new IllegalArgumentException(op + ": dtype must be floating (F32 or F64), got " + dtype);
        }
        this.generator = Objects.requireNonNull(generator, () -> op + ": generator is null (use Generator.global())");
        this.op = op;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.numLayers = numLayers;
        this.bias = bias;
        this.batchFirst = batchFirst;
        this.dropout = dropout;
        double bound = 1 / Math.sqrt(hiddenSize);
        for (int k = 0; k < numLayers; k++) {
            int in = k == 0 ? inputSize : hiddenSize;
            Init.uniform(parameter("weight_ih_l" + k, Tensor.zeros(dtype, gates * hiddenSize, in)).data(), -bound, bound, generator);
            Init.uniform(parameter("weight_hh_l" + k, Tensor.zeros(dtype, gates * hiddenSize, hiddenSize)).data(), -bound, bound, generator);
            if (bias) {
                Init.uniform(parameter("bias_ih_l" + k, Tensor.zeros(dtype, gates * hiddenSize)).data(), -bound, bound, generator);
                Init.uniform(parameter("bias_hh_l" + k, Tensor.zeros(dtype, gates * hiddenSize)).data(), -bound, bound, generator);
            }
        }
    }

    /**
     * One time step of one layer: {@code xw} is {@code x_t·W_ihᵀ + b_ih} {@code [N, gates·hidden]},
     * {@code hw} is {@code h·W_hhᵀ + b_hh} (with {@link #sumsProjections()}, {@code b_hh} is in {@code xw}
     * instead); {@code c} is the cell state (LSTM only, else null).
     * Returns the new {@code h} and (LSTM) the new {@code c}.
     */
    abstract Tensor[] cell(Tensor xw, Tensor hw, Tensor h, Tensor c);

    /**
     * True when the cell uses {@code xw} and {@code hw} only through their sum (RNN, LSTM): then
     * {@code b_hh} is added once to the input projection of the whole sequence instead of at every step.
     * GRU needs {@code b_hn} inside the reset gate's product, so it keeps the two apart.
     */
    boolean sumsProjections() {
        return true;
    }

    /**
     * The whole layer as one op, {@code {output [T, N, H], h_T, c_T}}, from the input projection
     * {@code xw [T, N, gates·hidden]} (with {@code b_hh} in it), {@code W_hh} and the initial state;
     * or null, and the layer runs step by step through {@link #cell}: the default, and whenever
     * the backend has no fused kernel for it ({@link LSTM}: {@link LstmLayerOps}).
     */
    Tensor[] layer(Tensor xw, Tensor whh, Tensor h, Tensor c) {
        return null;
    }

    /** True when the layer carries a cell state (LSTM). */
    boolean hasCell() {
        return false;
    }

    /** The output sequence only ({@link RecurrentOutput#output()}); initial state zeros. */
    @Override
    public Tensor forward(Tensor input) {
        return run(null, input, null, null).output();
    }

    /**
     * Runs the layer with {@code parameters} in place of its own (as {@code torch.func.functional_call}):
     * every name of {@link #namedParameters()} must be given, shaped as the layer's. For gradient
     * checks and for code that differentiates through substituted weights. {@code c0} must be null
     * except for an LSTM.
     */
    public final RecurrentOutput forwardWith(Map<String, Tensor> parameters, Tensor input, Tensor h0, Tensor c0) {
        Objects.requireNonNull(parameters, () -> op + ": parameters is null");
        Checks.floating(op, "input", input);
        for (Map.Entry<String, Parameter> e : namedParameters().entrySet()) {
            Tensor t = parameters.get(e.getKey());
            if (t == null) {
                throw new IllegalArgumentException(op + ".forwardWith: missing parameter \"" + e.getKey() + "\" " + Shape.format(e.getValue().shape()));
            }
            Checks.like(op, "input", input, e.getKey(), t);
            Checks.shape(op, e.getKey(), t, e.getValue().shape());
        }
        return run(parameters, input, h0, c0);
    }

    /** {@code override} null: the module's own parameters. */
    final RecurrentOutput run(Map<String, Tensor> override, Tensor input, Tensor h0, Tensor c0) {
        Checks.floating(op, "input", input);
        Tensor w0 = weight(override, "weight_ih_l0");
        Checks.like(op, "weight_ih_l0", w0, "input", input);
        if (input.dim() != 2 && input.dim() != 3) {
            throw new IllegalArgumentException(op + ": input must be 3-D " + (batchFirst ? "[N, T, input_size]" : "[T, N, input_size]")
                    + " or unbatched 2-D [T, input_size], got " + Shape.format(input.shape()));
        }
        if (input.size(-1) != inputSize || input.size(batchFirst && input.dim() == 3 ? 1 : 0) < 1) {
            throw new IllegalArgumentException(op + ": input " + Shape.format(input.shape()) + " must end in input_size = " + inputSize
                    + " and have at least one time step");
        }
        boolean batched = input.dim() == 3;
        Tensor x = batched ? (batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
        int steps = x.size(0);
        int batch = x.size(1);
        int[] stateShape = batched ? new int[] {numLayers, batch, hiddenSize} : new int[] {numLayers, hiddenSize};
        Tensor h = state("h0", h0, input, stateShape, batched);
        Tensor c = null;
        if (hasCell()) {
            c = state("c0", c0, input, stateShape, batched);
        } else if (c0 != null) {
            throw new IllegalArgumentException(op + ": takes no cell state c0 (only LSTM has one), got " + c0.describe());
        }
        List<Tensor> hn = new ArrayList<>(numLayers);
        List<Tensor> cn = new ArrayList<>(numLayers);
        for (int k = 0; k < numLayers; k++) {
            Tensor wih = weight(override, "weight_ih_l" + k);
            Tensor whh = weight(override, "weight_hh_l" + k);
            Tensor bih = bias ? weight(override, "bias_ih_l" + k) : null;
            Tensor bhh = bias ? weight(override, "bias_hh_l" + k) : null;
            boolean fold = bias && sumsProjections();
            boolean hiddenIsProduct = fold || bhh == null;  // h·W_hhᵀ is all of the hidden half: b_hh is in xw, or there is none
            // [T, N, gates·hidden]: the input half of every step in one matmul.
            Tensor xw = Functional.linear(x, wih, fold ? bih.add(bhh) : bih);
            Tensor hk = h.select(0, k);
            Tensor ck = c == null ? null : c.select(0, k);
            Tensor[] whole = hiddenIsProduct ? layer(xw, whh, hk, ck) : null;
            if (whole != null) {
                x = whole[0];
                hk = whole[1];
                ck = whole[2];
            } else {
                RecurrentProjection hidden = new RecurrentProjection(whh, steps);
                Tensor[] outs = new Tensor[steps];
                for (int t = 0; t < steps; t++) {
                    Tensor hw = hiddenIsProduct ? hidden.step(t, hk) : hidden.step(t, hk).add(bhh);
                    Tensor[] next = cell(xw.select(0, t), hw, hk, ck);
                    hk = next[0];
                    ck = c == null ? null : next[1];
                    outs[t] = hk;
                }
                x = Tensor.stack(0, outs);
            }
            hn.add(hk);
            if (ck != null) {
                cn.add(ck);
            }
            if (k < numLayers - 1) {
                x = Functional.dropout(x, dropout, isTraining(), generator);
            }
        }
        Tensor output = batched ? (batchFirst ? x.transpose(0, 1) : x) : x.squeeze(1);
        Tensor hN = Tensor.stack(0, hn.toArray(Tensor[]::new));
        Tensor cN = c == null ? null : Tensor.stack(0, cn.toArray(Tensor[]::new));
        if (!batched) {
            hN = hN.squeeze(1);
            cN = cN == null ? null : cN.squeeze(1);
        }
        return new RecurrentOutput(output, hN, cN);
    }

    private Tensor weight(Map<String, Tensor> override, String name) {
        return override != null ? override.get(name) : namedParameters().get(name).data();
    }

    /** The given initial state, checked, with a batch dim of 1 when the input is unbatched; zeros when null. */
    private Tensor state(String what, Tensor s, Tensor input, int[] shape, boolean batched) {
        if (s == null) {
            return Tensor.zeros(input.dtype(), input.device(), batched ? shape : new int[] {shape[0], 1, shape[1]});
        }
        Checks.floating(op, what, s);
        Checks.like(op, "input", input, what, s);
        if (!Arrays.equals(s.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + what + " must have shape " + Shape.format(shape)
                    + " [num_layers" + (batched ? ", N" : "") + ", hidden_size] for input " + Shape.format(input.shape()) + ", got "
                    + Shape.format(s.shape()));
        }
        return batched ? s : s.unsqueeze(1);
    }

    public final int inputSize() {
        return inputSize;
    }

    public final int hiddenSize() {
        return hiddenSize;
    }

    public final int numLayers() {
        return numLayers;
    }

    public final boolean batchFirst() {
        return batchFirst;
    }

    public final double dropout() {
        return dropout;
    }

    /** The hyperparameters as PyTorch prints them; RNN adds its nonlinearity. */
    String describe(String extra) {
        return op + "(" + inputSize + ", " + hiddenSize + (numLayers != 1 ? ", num_layers=" + numLayers : "") + extra
                + (bias ? "" : ", bias=False") + (batchFirst ? ", batch_first=True" : "") + (dropout != 0 ? ", dropout=" + dropout : "") + ")";
    }

    @Override
    public String toString() {
        return describe("");
    }
}
