package dev.fathom.autograd;

import dev.fathom.tensor.Tensor;

/**
 * The backward formula of a view that takes a strided part of its one input ({@code select},
 * {@code narrow}, {@code slice}): its input gradient is zeros with the output gradient written in
 * that part. When several such views of one tensor feed the loss (the time steps an RNN selects
 * from its input projection, the gates it chunks), summing those mostly-zero gradients costs a
 * full-size fill and add per view, quadratic in the number of views; the {@link Engine} instead adds
 * each output gradient into {@link #region} of the running sum it already holds.
 */
public interface SliceBackwardFn extends BackwardFn {
    /** The view of {@code inputGrad} (shaped as the op's input) that corresponds to the op's output. */
    Tensor region(Tensor inputGrad);
}
