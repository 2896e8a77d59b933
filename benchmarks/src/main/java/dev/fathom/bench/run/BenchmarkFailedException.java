package dev.fathom.bench.run;

import java.nio.file.Path;

/** A benchmark that threw or produced nothing; {@code log} is where its details are. */
public final class BenchmarkFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Path log;

    public BenchmarkFailedException(String message, Path log, Throwable cause) {
        super(message, cause);
        this.log = log;
    }

    public Path log() {
        return log;
    }
}
