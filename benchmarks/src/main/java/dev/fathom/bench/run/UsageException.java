package dev.fathom.bench.run;

/** A request {@code scripts/bench} cannot honour as given; the message is the one line it prints before exiting 2. */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
