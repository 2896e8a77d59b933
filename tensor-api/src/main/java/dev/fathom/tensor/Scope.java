package dev.fathom.tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A region whose tensors are closed together: every tensor created on this thread while the scope
 * is innermost is closed when it closes, except those handed out with {@link #keep}. Scopes nest
 * per thread and must be closed in reverse order of opening (try-with-resources does that).
 *
 * <pre>{@code
 * try (Scope s = Scope.open()) {
 *     Tensor loss = model(x).sub(y).pow(2).mean();
 *     loss.backward();          // parameter grads belong to the parameters, not the scope
 *     result = s.keep(loss);    // survives: now owned by the enclosing scope, or by the caller
 * }
 * }</pre>
 *
 * <p>A scope belongs to the thread that opened it: only that thread creates tensors in it and
 * closes it. A tensor handed to another thread (through a queue, say) may be closed there while
 * the scope's thread goes on: the scope's list is guarded for that one case.
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<Scope> CURRENT = new ThreadLocal<>();

    private final Scope parent;
    private final Thread thread;
    private final List<Tensor> tensors = new ArrayList<>();
    private boolean closed;

    private Scope(Scope parent) {
        this.parent = parent;
        this.thread = Thread.currentThread();
    }

    /** Opens a scope nested in this thread's current one. */
    public static Scope open() {
        Scope s = new Scope(CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /**
     * Hands {@code t} out of this scope: it moves to the enclosing scope, or, when there is none,
     * to the caller, who closes it. Returns {@code t}.
     */
    public Tensor keep(Tensor t) {
        java.util.Objects.requireNonNull(t, "Scope.keep: the tensor is null");
        if (t.owner != this) {
            throw new IllegalArgumentException("Scope.keep: tensor of shape " + Shape.format(t.shape())
                    + " does not belong to this scope" + (t.owner == null ? " (it belongs to no scope)" : ""));
        }
        remove(t);
        if (parent != null) {
            parent.add(t);
        }
        return t;
    }

    /**
     * Removes {@code t} from whichever scope holds it: from now on the caller owns it and closes it
     * (parameters, optimizer state, anything that outlives a training step). Returns {@code t}.
     */
    public static Tensor escape(Tensor t) {
        java.util.Objects.requireNonNull(t, "Scope.escape: the tensor is null");
        Scope owner = t.owner;
        if (owner != null) {
            owner.remove(t);
        }
        return t;
    }

    /** Closes every tensor of this scope that was not kept, and makes the enclosing scope current. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("Scope.close: a scope must be closed by the thread that opened it (" + thread.getName() + ")");
        }
        if (CURRENT.get() != this) {
            throw new IllegalStateException("Scope.close: an inner scope is still open; close scopes in reverse order of opening");
        }
        CURRENT.set(parent);
        List<Tensor> owned = drain(true);
        // Every tensor is closed even when one close fails; the first failure is thrown, the others suppressed in it.
        Throwable failure = null;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    /** Takes every tensor out of this scope, clearing their owner; with {@code close}, also marks the scope closed, so that nothing joins it later. */
    private synchronized List<Tensor> drain(boolean close) {
        if (close) {
            closed = true;
        }
        List<Tensor> out = new ArrayList<>(tensors);
        for (Tensor t : out) {
            t.owner = null;
        }
        tensors.clear();
        return out;
    }

    /**
     * Runs {@code body} in a scope of its own and returns its result; the other tensors it created
     * are the result's intermediates: its graph node adopts them when it is recorded (they then
     * live as long as the graph), else they are closed at once. Composite ops use this so that,
     * outside any scope, closing a result frees everything the op allocated. For library code
     * that builds ops from other ops (layers, losses).
     */
    public static Tensor intermediates(java.util.function.Supplier<Tensor> body) {
        Scope s = open();
        Tensor out;
        try {
            out = body.get();
        } catch (RuntimeException | Error e) {
            s.close();
            throw e;
        }
        boolean created = out.owner == s;
        if (created) {
            s.keep(out);
        }
        List<Tensor> rest = s.drain(false);
        s.close();
        if (!rest.isEmpty()) {
            if (created && out.gradFn() != null) {
                out.gradFn().adopt(rest);
            } else {
                for (Tensor t : rest) {
                    t.close();
                }
            }
        }
        return out;
    }

    /** Called for every new tensor: puts it in this thread's innermost scope, if any. */
    static void track(Tensor t) {
        Scope s = CURRENT.get();
        if (s != null) {
            s.add(t);
        }
    }

    // add and remove are synchronized for the one cross-thread case the class comment allows: a tensor closed on another thread.

    private synchronized void add(Tensor t) {
        if (closed) {
            return;   // a keep() into a parent that closed meanwhile: the caller owns the tensor
        }
        t.owner = this;
        tensors.add(t);
    }

    private synchronized void remove(Tensor t) {
        if (t.owner != this) {
            return;   // already taken out (closed by the scope, or kept) on the other thread
        }
        // Kept tensors are usually recent: search from the end.
        for (int i = tensors.size() - 1; i >= 0; i--) {
            if (tensors.get(i) == t) {
                tensors.remove(i);
                break;
            }
        }
        t.owner = null;
    }
}
