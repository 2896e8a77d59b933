/**
 * Not API. {@link dev.fathom.tensor.internal.Backends}: the ServiceLoader registry of backends and
 * their per-device kernels, used by the tensor layer, the CLI and the tests.
 */
package dev.fathom.tensor.internal;
