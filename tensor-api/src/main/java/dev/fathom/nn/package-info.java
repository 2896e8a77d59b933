/**
 * Neural-network building blocks: {@link dev.fathom.nn.Module} (named parameters, buffers and
 * children, train/eval, state dicts), {@link dev.fathom.nn.Parameter}, {@link dev.fathom.nn.Sequential},
 * the layers ({@link dev.fathom.nn.Conv2d}, {@link dev.fathom.nn.MaxPool2d},
 * {@link dev.fathom.nn.AvgPool2d}, {@link dev.fathom.nn.AdaptiveAvgPool2d}, ...),
 * {@link dev.fathom.nn.Convolutions} (2-D convolution and pooling on the backends' kernels, recorded
 * for autograd to any order), the losses, initializers, and {@code Functional} (the layer functions
 * that modules call). Layers are written with tensor ops only, so they run on every backend; their
 * gradients come from autograd. Depends on {@code dev.fathom.tensor} and {@code dev.fathom.autograd};
 * the ops with their own kernels ({@code Convolutions}) also on {@code dev.fathom.spi} and
 * {@code dev.fathom.tensor.internal} (kernel operands and recording, through {@code KernelOps}).
 */
package dev.fathom.nn;
