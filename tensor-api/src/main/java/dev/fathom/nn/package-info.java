/**
 * Neural-network building blocks: {@link dev.fathom.nn.Module} (named parameters, buffers and
 * children, train/eval, state dicts), {@link dev.fathom.nn.Parameter}, {@link dev.fathom.nn.Sequential},
 * the layers, the losses, initializers, and {@code Functional} (the layer functions that modules
 * call). Layers are written with tensor ops only, so they run on every backend; their gradients
 * come from autograd. Depends on {@code dev.fathom.tensor} and {@code dev.fathom.autograd}.
 */
package dev.fathom.nn;
