/**
 * Reverse-mode automatic differentiation.
 *
 * <p>Each differentiable op records a {@link dev.fathom.autograd.Node} on its output: the inputs,
 * the tensors its formula reads (with their versions, so an in-place change after recording is
 * caught) and a {@link dev.fathom.autograd.BackwardFn} written with tensor ops. The elementwise
 * formulas are in {@link dev.fathom.autograd.GradientRules}, one exhaustive switch per op kind;
 * movement, reduction and indexing ops keep their formula next to their forward in
 * {@code dev.fathom.tensor}. The engine walks the graph in reverse topological order; views that
 * take part of their input ({@link dev.fathom.autograd.SliceBackwardFn}) add their gradient into
 * the input's running sum in place instead of padding it to the input's size.
 *
 * <p>Conventions: gradients accumulate into leaves ({@code +=}) across {@code backward()} calls;
 * {@link dev.fathom.autograd.Autograd#grad} returns gradients instead and, with
 * {@code createGraph}, records the backward pass so it can be differentiated again;
 * {@link dev.fathom.autograd.Gradcheck} compares every formula with central differences in F64.
 * Grad mode is per thread. Depends on {@code dev.fathom.tensor} (with one fact from its internal
 * hooks: whether a gradient's storage is shared) and {@code dev.fathom.spi}.
 */
package dev.fathom.autograd;
