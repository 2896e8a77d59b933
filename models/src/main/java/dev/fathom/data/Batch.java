package dev.fathom.data;

import dev.fathom.tensor.Tensor;

/**
 * One batch as tensors: features {@code x} (F32, {@code [B, ...]}) and labels {@code y} (I64 class
 * indices {@code [B]}, or F32 targets). Closing it closes both, for code that holds a batch
 * outside a {@link dev.fathom.tensor.Scope}.
 */
public record Batch(Tensor x, Tensor y) implements AutoCloseable {

    /** The number of examples. */
    public int size() {
        return x.size(0);
    }

    @Override
    public void close() {
        x.close();
        y.close();
    }
}
