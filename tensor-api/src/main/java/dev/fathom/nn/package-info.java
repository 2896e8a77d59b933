/**
 * Neural-network building blocks.
 *
 * <ul>
 *   <li>The core: {@link dev.fathom.nn.Module} (named parameters, buffers and children,
 *       train/eval, state dicts), {@link dev.fathom.nn.Parameter}, {@link dev.fathom.nn.Sequential},
 *       {@link dev.fathom.nn.ModuleList}.</li>
 *   <li>{@link dev.fathom.nn.Functional}: the layer functions (linear, activations, dropout,
 *       embedding, layer and batch norm, convolution and pooling) and the losses, with
 *       {@link dev.fathom.nn.Reduction}. Each checks its inputs once and names itself, the shapes and
 *       dtypes in its errors.</li>
 *   <li>{@link dev.fathom.nn.Convolutions}: 2-D convolution, transposed convolution and pooling on the backends' own kernels
 *       ({@code ConvOps}, {@code PoolOps} record them for autograd, to any order); {@link dev.fathom.nn.Convolutions1d}:
 *       their 1-D forms, run as the 2-D ops on a height of 1.</li>
 *   <li>Layers, one per file, each a thin {@code Module} over a function that holds its
 *       hyperparameters in final fields and prints them as PyTorch does: {@link dev.fathom.nn.Linear},
 *       {@link dev.fathom.nn.Conv1d}, {@link dev.fathom.nn.Conv2d}, {@link dev.fathom.nn.ConvTranspose2d}, {@link dev.fathom.nn.MaxPool1d},
 *       {@link dev.fathom.nn.AvgPool1d}, {@link dev.fathom.nn.MaxPool2d}, {@link dev.fathom.nn.AvgPool2d}, {@link dev.fathom.nn.Upsample},
 *       {@link dev.fathom.nn.AdaptiveAvgPool2d}, {@link dev.fathom.nn.BatchNorm1d},
 *       {@link dev.fathom.nn.BatchNorm2d}, {@link dev.fathom.nn.LayerNorm}, {@link dev.fathom.nn.GroupNorm}, {@link dev.fathom.nn.Dropout},
 *       {@link dev.fathom.nn.Embedding}, {@link dev.fathom.nn.Flatten} and the activations. The recurrent
 *       layers {@link dev.fathom.nn.RNN}, {@link dev.fathom.nn.LSTM} and {@link dev.fathom.nn.GRU} (common
 *       part in {@link dev.fathom.nn.Recurrent}) return a {@link dev.fathom.nn.RecurrentOutput} (output
 *       sequence and final states) and keep PyTorch's gate order; where the backend has a fused LSTM
 *       cell, each LSTM layer is one recorded op over all its steps ({@code LstmLayerOps}), else the
 *       steps are recorded one by one in tensor ops. State names
 *       follow PyTorch ({@code weight}, {@code bias}, {@code running_mean}, …), so state dicts map one
 *       to one.</li>
 *   <li>Attention: {@link dev.fathom.nn.Functional#scaledDotProductAttention} is the one place the
 *       formula lives ({@code Attention}: masks, causal alignment, Note [fully masked rows]); without
 *       a mask or dropout it runs the backend's fused kernel when there is one ({@code FusedAttention});
 *       {@link dev.fathom.nn.MultiheadAttention} (PyTorch's packed {@code in_proj_weight}) with
 *       {@link dev.fathom.nn.KvCache} for generation, the pre-LN {@link dev.fathom.nn.TransformerBlock}
 *       and the learned {@link dev.fathom.nn.PositionalEmbedding}.</li>
 *   <li>{@link dev.fathom.nn.Init}: PyTorch's default layer init, He, Glorot, orthogonal, plain fills,
 *       all drawn from a Philox {@code Generator} (reproducible with {@code Fathom.seed}).</li>
 * </ul>
 *
 * <p>Contracts: layers are written with tensor ops (or recorded kernels), so they run on every
 * backend; gradients come from autograd. Functions never modify their inputs, except that batch
 * norm updates the running statistics it is given, in place and unrecorded. Intermediates of a
 * composite belong to its result's graph; results belong to the caller's {@code Scope}; parameters
 * and buffers live outside scopes and are closed with their module. New layers default to F32 on
 * the default device. Not thread-safe. Depends on {@code dev.fathom.tensor} and
 * {@code dev.fathom.autograd}; {@code Convolutions} also on {@code dev.fathom.spi} and
 * {@code dev.fathom.tensor.internal} (kernel operands and recording, through {@code KernelOps}).
 */
package dev.fathom.nn;
