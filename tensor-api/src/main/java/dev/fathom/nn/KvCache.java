package dev.fathom.nn;

import dev.fathom.tensor.Scope;
import dev.fathom.tensor.Shape;
import dev.fathom.tensor.Tensor;

/**
 * The keys and values that one {@link MultiheadAttention} has seen so far, for generation token by
 * token: each call appends its new keys and values {@code [N, heads, T, head_dim]} and attends over
 * everything cached, so feeding a sequence step by step gives what one causal pass over the whole
 * sequence gives.
 *
 * <p>The cached tensors are detached (generation needs no gradient through past steps; the current
 * step's keys and values still carry theirs) and live outside every scope until {@link #reset} or
 * {@link #close}, so a per-token scope in a sampling loop frees nothing the cache still needs. One
 * cache per attention layer and per sequence batch; not thread-safe.
 */
public final class KvCache implements AutoCloseable {
    private Tensor keys;
    private Tensor values;

    /** The number of cached positions (0 when empty). */
    public int length() {
        return keys == null ? 0 : keys.size(2);
    }

    /** The cached keys {@code [N, heads, S, head_dim]}, or null when empty. */
    public Tensor keys() {
        return keys;
    }

    /** The cached values {@code [N, heads, S, head_dim]}, or null when empty. */
    public Tensor values() {
        return values;
    }

    /**
     * Appends {@code k} and {@code v} ({@code [N, heads, T, head_dim]}) and returns the full keys and
     * values {@code [N, heads, S + T, head_dim]}, in the caller's scope and on the caller's graph.
     */
    Tensor[] append(Tensor k, Tensor v) {
        if (keys != null && (keys.size(0) != k.size(0) || keys.size(1) != k.size(1) || keys.size(3) != k.size(3)
                || !keys.device().equals(k.device()) || keys.dtype() != k.dtype())) {
            throw new IllegalArgumentException("KvCache: new keys " + k.describe() + " do not continue the cached " + keys.describe()
                    + " (batch, heads, head_dim, dtype and device must match); reset() the cache for a new batch");
        }
        Tensor fullK = keys == null ? k : Tensor.cat(2, keys, k);
        Tensor fullV = values == null ? v : Tensor.cat(2, values, v);
        replace(Scope.escape(fullK.detach()), Scope.escape(fullV.detach()));
        return new Tensor[] {fullK, fullV};
    }

    /** Empties the cache (start of a new sequence). */
    public void reset() {
        replace(null, null);
    }

    private void replace(Tensor k, Tensor v) {
        if (keys != null) {
            keys.close();
            values.close();
        }
        keys = k;
        values = v;
    }

    @Override
    public void close() {
        reset();
    }

    @Override
    public String toString() {
        return "KvCache(length=" + length() + (keys == null ? "" : ", keys=" + Shape.format(keys.shape())) + ")";
    }
}
