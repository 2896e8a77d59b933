package dev.fathom.spi;

/**
 * A compute backend, found with {@link java.util.ServiceLoader} (register the implementation in
 * {@code META-INF/services/dev.fathom.spi.Backend}).
 *
 * <p>Lifecycle, as the JDK's service providers: the no-argument constructor is trivial and loads
 * no native code; {@link #availability()} probes once, caches the answer and never throws (a
 * missing native library is a reason, not an exception); {@link #kernels(int)} creates the heavy
 * state on first use and only when available.
 */
public interface Backend {

    /** The device type this backend serves, e.g. {@code "cpu"} or {@code "cuda"}. */
    String name();

    /**
     * Higher wins when {@code Device.auto()} picks a device; the CPU is 0. A negative priority
     * marks a backend that {@code Device.auto()} never picks and that runs only when named (a test
     * backend, such as backend-cuda's emulated CUDA driver for the conformance suite).
     */
    int priority();

    /** Whether this backend can run here, with the reason. Never throws; cheap after the first call. */
    Availability availability();

    /** How many devices of this type there are (0 when unavailable). */
    int deviceCount();

    /** A human-readable description of device {@code index} (model, memory), for {@code fathom devices}. */
    String describe(int index);

    /** The kernels of device {@code index}; only called when {@link #availability()} says available. */
    Kernels kernels(int index);

    /**
     * More lines for {@code fathom devices}, available or not: the versions of what the backend
     * found (driver, libraries), which implementation serves which ops, and why a library is not
     * used. Never throws; cheap after the first call.
     */
    default java.util.List<String> details() {
        return java.util.List.of();
    }
}
