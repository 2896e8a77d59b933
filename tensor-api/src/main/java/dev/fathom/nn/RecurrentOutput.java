package dev.fathom.nn;

import dev.fathom.tensor.Tensor;

/**
 * What a recurrent layer returns: the output sequence and the final state, as PyTorch's
 * {@code output, h_n} ({@code output, (h_n, c_n)} for an LSTM).
 *
 * @param output the last layer's hidden state at every step: {@code [T, N, hidden]}, or {@code [N, T, hidden]}
 *               with batch_first, or {@code [T, hidden]} for an unbatched input
 * @param hN     every layer's hidden state after the last step: {@code [num_layers, N, hidden]} ({@code [num_layers, hidden]} unbatched)
 * @param cN     an LSTM's cell state after the last step, shaped as {@code hN}; null for RNN and GRU
 */
public record RecurrentOutput(Tensor output, Tensor hN, Tensor cN) {
}
