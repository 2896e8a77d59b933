package dev.fathom.tensor.internal;

import dev.fathom.spi.Availability;
import dev.fathom.spi.Backend;
import dev.fathom.spi.Kernels;
import dev.fathom.tensor.Device;
import dev.fathom.tensor.DeviceUnavailableException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The backends on the class path, found once with {@link ServiceLoader} and ordered by priority
 * (highest first), and the kernels of each device, created on first use. Not API: the tensor layer
 * and tools use it; users go through {@link Device}.
 */
public final class Backends {
    private static final System.Logger LOG = System.getLogger("dev.fathom");
    private static volatile List<Backend> all;
    private static final Map<Device, Kernels> KERNELS = new ConcurrentHashMap<>();
    private static volatile Device auto;

    private Backends() {
    }

    /** Every backend found, highest priority first (available or not). */
    public static List<Backend> all() {
        List<Backend> list = all;
        if (list == null) {
            synchronized (Backends.class) {
                if (all == null) {
                    List<Backend> found = new ArrayList<>();
                    for (Backend b : ServiceLoader.load(Backend.class, Backends.class.getClassLoader())) {
                        found.add(b);
                    }
                    found.sort(Comparator.comparingInt(Backend::priority).reversed().thenComparing(Backend::name));
                    all = List.copyOf(found);
                }
                list = all;
            }
        }
        return list;
    }

    /** The backend named {@code name}, or null. */
    public static Backend find(String name) {
        for (Backend b : all()) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        return null;
    }

    /** The names of all backends found, for messages. */
    public static String names() {
        return all().stream().map(Backend::name).collect(Collectors.joining(", ", "[", "]"));
    }

    /** The kernels of {@code device}; throws {@link DeviceUnavailableException} with the reason when it cannot run. */
    public static Kernels kernels(Device device) {
        Kernels k = KERNELS.get(device);
        if (k != null) {
            return k;
        }
        Backend backend = find(device.type());
        if (backend == null) {
            throw new DeviceUnavailableException(device, "no backend named \"" + device.type() + "\" is on the class path (found: " + names() + ")");
        }
        Availability a = backend.availability();
        if (!a.available()) {
            throw new DeviceUnavailableException(device, a.reason());
        }
        if (device.index() >= backend.deviceCount()) {
            throw new DeviceUnavailableException(device, backend.name() + " has " + backend.deviceCount() + " device(s)");
        }
        return KERNELS.computeIfAbsent(device, d -> backend.kernels(d.index()));
    }

    /**
     * The best usable device: the highest-priority available backend's first device. When a
     * higher-priority backend is present but unusable, says so once on the log, with its reason.
     * Backends with a negative priority are never picked here (see {@link Backend#priority()}).
     */
    public static Device auto() {
        Device d = auto;
        if (d != null) {
            return d;
        }
        synchronized (Backends.class) {
            if (auto == null) {
                List<String> skipped = new ArrayList<>();
                Device chosen = null;
                for (Backend b : all()) {
                    if (b.priority() < 0) {
                        continue; // a test backend (e.g. emulated CUDA): used only when named
                    }
                    Availability a = b.availability();
                    if (a.available() && b.deviceCount() > 0) {
                        chosen = new Device(b.name(), 0);
                        break;
                    }
                    skipped.add(b.name() + " unavailable (" + a.reason() + ")");
                }
                if (chosen == null) {
                    // The CPU is where auto ends up when nothing better runs, so it is the device reported as missing.
                    throw new DeviceUnavailableException(new Device("cpu", 0), "Device.auto found no usable backend on the class path " + names()
                            + (skipped.isEmpty() ? "; add dev.fathom:backend-cpu" : ": " + String.join("; ", skipped)));
                }
                if (!skipped.isEmpty()) {
                    LOG.log(System.Logger.Level.INFO, "Fathom: using " + chosen + ": " + String.join("; ", skipped));
                }
                auto = chosen;
            }
            return auto;
        }
    }
}
