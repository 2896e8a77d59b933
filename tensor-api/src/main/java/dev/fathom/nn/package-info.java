/**
 * Neural-network building blocks.
 *
 * <ul>
 *   <li>The core: {@link dev.fathom.nn.Module} (named parameters, buffers and children,
 *       train/eval, state dicts), {@link dev.fathom.nn.Parameter}, {@link dev.fathom.nn.Sequential}.</li>
 *   <li>{@link dev.fathom.nn.Functional}: the layer functions (linear, activations, dropout,
 *       embedding, layer and batch norm) and the losses, with {@link dev.fathom.nn.Reduction}.
 *       Each checks its inputs once and names itself, the shapes and dtypes in its errors.</li>
 *   <li>Layers, one per file, each a thin {@code Module} over a {@code Functional} call that holds
 *       its hyperparameters in final fields and prints them as PyTorch does: {@link dev.fathom.nn.Linear},
 *       {@link dev.fathom.nn.BatchNorm1d}, {@link dev.fathom.nn.BatchNorm2d}, {@link dev.fathom.nn.LayerNorm},
 *       {@link dev.fathom.nn.Dropout}, {@link dev.fathom.nn.Embedding}, {@link dev.fathom.nn.Flatten} and the
 *       activations. State names follow PyTorch ({@code weight}, {@code bias}, {@code running_mean}, …),
 *       so state dicts map one to one.</li>
 *   <li>{@link dev.fathom.nn.Init}: PyTorch's default layer init, He, Glorot, orthogonal, plain fills,
 *       all drawn from a Philox {@code Generator} (reproducible with {@code Fathom.seed}).</li>
 * </ul>
 *
 * <p>Contracts: layers are written with tensor ops only, so they run on every backend and their
 * gradients come from autograd (no backward code here). Functions never modify their inputs,
 * except that batch norm updates the running statistics it is given, in place and unrecorded.
 * Tensors made during a forward pass belong to the caller's {@code Scope}; parameters and buffers
 * live outside scopes and are closed with their module. New layers default to F32 on the default
 * device. Not thread-safe. Depends on {@code dev.fathom.tensor} and {@code dev.fathom.autograd} only.
 */
package dev.fathom.nn;
