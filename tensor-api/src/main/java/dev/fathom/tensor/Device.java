package dev.fathom.tensor;

import dev.fathom.spi.Availability;
import dev.fathom.spi.Backend;
import dev.fathom.spi.MemoryStats;
import dev.fathom.tensor.internal.Backends;

import java.util.Locale;
import java.util.Objects;

/**
 * Where a tensor lives: a backend's name ({@code "cpu"}, {@code "cuda"}) and a device index.
 *
 * <p>{@link #cpu()} always works. {@link #cuda()} throws {@link DeviceUnavailableException}
 * with the reason when CUDA cannot be used here (never a silent CPU run); {@link #auto()}
 * picks CUDA when it is usable and otherwise the CPU, saying so once on the log.
 */
public record Device(String type, int index) {

    public Device {
        Objects.requireNonNull(type, "Device: type is null");
        if (type.isBlank() || !type.equals(type.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("Device: type must be a lower-case backend name such as \"cpu\" or \"cuda\", got \"" + type + "\"");
        }
        if (index < 0) {
            throw new IllegalArgumentException("Device: index must be >= 0, got " + index + " for " + type);
        }
    }

    private static final Device CPU = new Device("cpu", 0);

    /** The CPU; always available. */
    public static Device cpu() {
        return CPU;
    }

    /** The first CUDA GPU; throws {@link DeviceUnavailableException} with the reason when CUDA is not usable. */
    public static Device cuda() {
        return cuda(0);
    }

    /** CUDA GPU {@code index}; throws {@link DeviceUnavailableException} with the reason when it is not usable. */
    public static Device cuda(int index) {
        return require(new Device("cuda", index));
    }

    /** CUDA when usable, else the CPU (one log line with the reason, the first time only). */
    public static Device auto() {
        return Backends.auto();
    }

    /**
     * Parses {@code "cpu"}, {@code "cuda"}, {@code "cuda:1"} or {@code "auto"}. Named devices are
     * checked: an unusable one throws {@link DeviceUnavailableException} with the reason.
     */
    public static Device parse(String spec) {
        Objects.requireNonNull(spec, "Device: spec is null");
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("auto")) {
            return auto();
        }
        int colon = s.indexOf(':');
        String type = colon < 0 ? s : s.substring(0, colon);
        int index = 0;
        if (colon >= 0) {
            try {
                index = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Device.parse: bad device index in \"" + spec + "\"; use e.g. \"cuda:0\"", e);
            }
        }
        if (type.isEmpty()) {
            throw new IllegalArgumentException("Device.parse: empty device name in \"" + spec + "\"; use \"cpu\", \"cuda\", \"cuda:N\" or \"auto\"");
        }
        return require(new Device(type, index));
    }

    /** Throws {@link DeviceUnavailableException} unless a backend can run {@code device} here. */
    static Device require(Device device) {
        Backend backend = Backends.find(device.type());
        if (backend == null) {
            throw new DeviceUnavailableException(device, "no backend named \"" + device.type() + "\" is on the class path (found: "
                    + Backends.names() + ")" + (device.type().equals("cuda") ? "; add the dev.fathom:backend-cuda module" : ""));
        }
        Availability a = backend.availability();
        if (!a.available()) {
            throw new DeviceUnavailableException(device, a.reason());
        }
        if (device.index() >= backend.deviceCount()) {
            throw new DeviceUnavailableException(device, "backend " + backend.name() + " has " + backend.deviceCount()
                    + " device(s); index " + device.index() + " is out of range");
        }
        return device;
    }

    /**
     * Waits until all work queued on this device has finished (as {@code torch.cuda.synchronize});
     * for timing. Reading values ({@code item()}, {@code toFloatArray()}) already waits.
     */
    public void synchronize() {
        Backends.kernels(this).synchronize();
    }

    /**
     * This device's memory counters, as {@code torch.cuda.memory_stats} has them: live buffers and
     * their bytes, the peak of those bytes, buffers handed out since start and how many of them the
     * backend's pool served (on CUDA, a training step after the first is all cache hits). A tensor's
     * buffer counts from its creation until its last view is closed; buffers the backend keeps in its
     * pool do not count as live. Throws {@link DeviceUnavailableException} when this device cannot be used here.
     */
    public MemoryStats memoryStats() {
        return Backends.kernels(this).memoryStats();
    }

    /** {@code cpu} for the CPU, {@code type:index} otherwise (and for a CPU index other than 0), as PyTorch prints devices. */
    @Override
    public String toString() {
        return type.equals("cpu") && index == 0 ? "cpu" : type + ":" + index;
    }
}
