package dev.fathom.spi;

import java.util.Objects;

/**
 * Whether a backend can run here and, when it cannot, exactly why (one line a user can act on,
 * such as {@code "no NVIDIA driver: libcuda.so.1 not found"}).
 */
public record Availability(boolean available, String reason) {

    public Availability {
        Objects.requireNonNull(reason, "Availability: reason is null");
    }

    public static Availability yes(String detail) {
        return new Availability(true, detail);
    }

    public static Availability no(String reason) {
        return new Availability(false, reason);
    }
}
