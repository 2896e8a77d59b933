package dev.fathom.autograd;

import dev.fathom.tensor.Tensor;

/**
 * The backward formula of one recorded op, written with tensor ops so that it runs on every
 * backend and can itself be recorded (gradients of gradients).
 */
@FunctionalInterface
public interface BackwardFn {
    /**
     * Given the gradient of the loss with respect to the op's output, returns the gradient with
     * respect to each input, in input order (null where an input gets none). Each gradient has
     * its input's shape.
     */
    Tensor[] apply(Tensor gradOutput);
}
