package dev.fathom.autograd;

/**
 * Restores the previous grad mode when closed; returned by {@link Autograd#noGrad()} and
 * {@link Autograd#enableGrad()} for use in try-with-resources.
 */
public final class GradMode implements AutoCloseable {
    private final boolean previous;
    private boolean closed;

    GradMode(boolean previous) {
        this.previous = previous;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Autograd.setEnabled(previous);
        }
    }
}
