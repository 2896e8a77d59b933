/**
 * Tensors and everything that describes them: {@link dev.fathom.tensor.Tensor},
 * {@link dev.fathom.tensor.DType}, {@link dev.fathom.tensor.Device}, {@link dev.fathom.tensor.Scope},
 * {@link dev.fathom.tensor.Generator} and the shape rules of {@link dev.fathom.tensor.Shape}.
 *
 * <p>Contracts, stated once for the package:
 * <ul>
 *   <li>A tensor's shape, dtype and device never change. Ops return new tensors; the few that
 *       write in place end in {@code InPlace} (or are {@code copyFrom}) and are never recorded by
 *       autograd.</li>
 *   <li>Every op checks its inputs before dispatch (open, same device, same dtype, shape rule) and
 *       throws {@link java.lang.IllegalArgumentException} naming the op and the shapes; kernels
 *       never see invalid input. Use after close throws {@link java.lang.IllegalStateException}.</li>
 *   <li>Views share storage; storage is reference-counted and freed when its last view closes.</li>
 *   <li>Tensors are not thread-safe; scopes and grad mode are per thread.</li>
 * </ul>
 *
 * <p>The op implementations are package-private, one class per family: {@code Elementwise},
 * {@code Reductions}, {@code Views}, {@code Indexing}, {@code Rearrangements} (flip, roll, repeat,
 * triangles, cumsum), {@code Sorting} (sort, argsort, topk), {@code DerivedElementwise} (isnan,
 * rounding, log1p, expm1, isclose: no kernels of their own), {@code LinearAlgebra},
 * {@code Factories}, {@code Conversions}, {@code Host} (reading back), {@code Printer}; {@code Ops} holds the shared
 * checks. Depends on {@code dev.fathom.spi} and {@code dev.fathom.autograd}; never on a backend.
 */
package dev.fathom.tensor;
