package dev.fathom;

import dev.fathom.tensor.Device;
import dev.fathom.tensor.DeviceUnavailableException;
import dev.fathom.tensor.Generator;

/**
 * The front door: the global seed, the default device and the version.
 *
 * <p>The default device is, in order: the one set with {@link #setDefaultDevice}, the system
 * property {@code fathom.device}, the environment variable {@code FATHOM_DEVICE}, else the CPU.
 * Property and variable accept {@code cpu}, {@code cuda}, {@code cuda:N} and {@code auto}; a named
 * device that cannot run here is an error with the reason, never a silent CPU run.
 */
public final class Fathom {
    private static volatile Device defaultDevice;

    private Fathom() {
    }

    /** Fathom's version. */
    public static String version() {
        String v = Fathom.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }

    /**
     * Reseeds the default generator: every random tensor after this call is reproducible. The
     * generator is one for the whole process, not one per thread: threads drawing from it at the
     * same time interleave their draws.
     */
    public static void seed(long seed) {
        Generator.global().reseed(seed);
    }

    /** The device that factories such as {@code Tensor.zeros} use when none is given. */
    public static Device defaultDevice() {
        Device d = defaultDevice;
        if (d == null) {
            synchronized (Fathom.class) {
                if (defaultDevice == null) {
                    String spec = System.getProperty("fathom.device");
                    String source = "the system property fathom.device";
                    if (spec == null || spec.isBlank()) {
                        spec = System.getenv("FATHOM_DEVICE");
                        source = "the environment variable FATHOM_DEVICE";
                    }
                    defaultDevice = spec == null || spec.isBlank() ? Device.cpu() : configured(spec, source);
                }
                d = defaultDevice;
            }
        }
        return d;
    }

    /** The device {@code spec} names, or an error that also says where the name came from. */
    private static Device configured(String spec, String source) {
        try {
            return Device.parse(spec);
        } catch (DeviceUnavailableException e) {
            throw new DeviceUnavailableException(e.device(), e.reason() + " (the default device \"" + spec + "\" comes from " + source + ")");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (the default device comes from " + source + ")", e);
        }
    }

    /** Sets the default device for every thread; {@code null} restores the configured one. */
    public static void setDefaultDevice(Device device) {
        defaultDevice = device;
    }
}
