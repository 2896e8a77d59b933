/**
 * Not API. {@link dev.fathom.tensor.internal.Backends}: the ServiceLoader registry of backends and
 * their per-device kernels, used by the tensor layer, the CLI and the tests;
 * {@link dev.fathom.tensor.internal.KernelOps}: the tensor layer's plumbing (kernel operands, outputs,
 * recording) lent to ops that live in other packages, such as convolution and pooling in {@code nn}.
 */
package dev.fathom.tensor.internal;
