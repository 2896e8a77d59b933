package dev.fathom.spi;

/**
 * Random fills from the Philox 4x32-10 stream (see {@link Philox}), defined per element so that
 * every backend produces bit-identical values: element {@code i} of a fill with key {@code seed}
 * and counter base {@code c} uses the two 32-bit words {@code w0, w1} at positions
 * {@code 2·(i mod 2)} and {@code 2·(i mod 2)+1} of {@code philox(c + ⌊i/2⌋, seed)}.
 * A fill of n elements consumes {@code ⌈n/2⌉} counters.
 */
public enum RandomOp implements Op {
    /** {@code lo + (hi-lo)·u}, u in [0, 1): F32 uses {@code (w0 >>> 8)·2^-24}, F64 uses 53 bits of {@code w0:w1}. */
    UNIFORM,
    /**
     * {@code mean + std·z} with Box–Muller {@code z = √(-2 ln u1)·cos(2π u2)}, where
     * {@code u1 = (w0 + 1)·2^-32} in (0, 1] and {@code u2 = w1·2^-32}, computed in F64.
     */
    NORMAL,
    /** {@code 1} with probability p (u < p, u as UNIFORM's F32 rule), else {@code 0}; any dtype. */
    BERNOULLI
}
