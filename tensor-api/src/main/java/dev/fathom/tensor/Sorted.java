package dev.fathom.tensor;

/**
 * What {@link Tensor#sort} and {@link Tensor#topk} return, as PyTorch's {@code (values, indices)}:
 * the values in order (differentiable: they are {@code x.gather(dim, indices)}) and their I64
 * positions along the sorted dim. Closing it closes both.
 */
public record Sorted(Tensor values, Tensor indices) implements AutoCloseable {
    @Override
    public void close() {
        values.close();
        indices.close();
    }
}
