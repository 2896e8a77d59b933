/**
 * Fathom's front door: {@link dev.fathom.Fathom} holds the global seed, the default device and the
 * version. Everything a user touches lives below: {@code dev.fathom.tensor} (tensors, devices,
 * scopes), {@code dev.fathom.autograd} (gradients), {@code dev.fathom.spi} (what a backend
 * implements).
 */
package dev.fathom;
